using RawDataDestination.S3;

namespace RawDataDestination.Staging;

/// <summary>The counts of one pass of a <see cref="StagedBatchCopier"/>, updated by its concurrent copies.</summary>
internal sealed class StagedCopyTally
{
    private readonly List<UploadedObject> _delivered = [];
    private readonly List<ExpiredStagedBatch> _expiredBatches = [];
    private int _parked;
    private long _parkedEvents;
    private DateTimeOffset? _nextParkedAttempt;
    private int _failed;
    private int _expired;
    private int _unconfirmed;
    private int _deferred;
    private bool _stopped;

    /// <summary>Gets whether a batch of the pass failed for a transient reason: the pass starts no other batch.</summary>
    public bool Stopped => Volatile.Read(ref _stopped);

    /// <summary>Gets how many batches the pass did not try because an earlier one failed for a transient reason.</summary>
    public int DeferredBatches => Volatile.Read(ref _deferred);

    public void Delivered(UploadedObject uploaded)
    {
        lock (_delivered)
        {
            _delivered.Add(uploaded);
        }
    }

    /// <summary>Counts a batch left parked, tried again at <paramref name="nextAttemptAt"/>.</summary>
    public void Parked(long events, DateTimeOffset nextAttemptAt)
    {
        Interlocked.Increment(ref _parked);
        Interlocked.Add(ref _parkedEvents, events);
        lock (_delivered)
        {
            if (_nextParkedAttempt is not { } next || nextAttemptAt < next)
            {
                _nextParkedAttempt = nextAttemptAt;
            }
        }
    }

    public void Failed() => Interlocked.Increment(ref _failed);

    /// <summary>Counts a batch that failed for a transient reason, and stops the pass from starting others.</summary>
    public void FailedTransiently()
    {
        Interlocked.Increment(ref _failed);
        Volatile.Write(ref _stopped, true);
    }

    /// <summary>Counts a batch left for the next pass, not tried because the pass stopped; it counts as failed.</summary>
    public void Deferred()
    {
        Interlocked.Increment(ref _failed);
        Interlocked.Increment(ref _deferred);
    }

    public void Expired(ExpiredStagedBatch batch)
    {
        lock (_expiredBatches)
        {
            _expiredBatches.Add(batch);
            _expired++;
        }
    }

    public void Unconfirmed() => Interlocked.Increment(ref _unconfirmed);

    public StagedCopyResult ToResult()
    {
        lock (_delivered)
        lock (_expiredBatches)
        {
            return new StagedCopyResult([.. _delivered.OrderBy(o => o.Key, StringComparer.Ordinal)], _parked, _parkedEvents, _failed, _expired)
            {
                UnconfirmedBatches = _unconfirmed,
                Expired = [.. _expiredBatches.OrderBy(b => b.StagedKey, StringComparer.Ordinal)],
                NextParkedAttemptAt = _nextParkedAttempt,
            };
        }
    }
}
