using RawDataDestination.S3;

namespace RawDataDestination.Staging;

/// <summary>The counts of one pass of a <see cref="StagedBatchCopier"/>, updated by its concurrent copies.</summary>
internal sealed class StagedCopyTally
{
    private readonly List<UploadedObject> _delivered = [];
    private int _parked;
    private long _parkedEvents;
    private int _failed;
    private int _expired;
    private int _unconfirmed;

    public void Delivered(UploadedObject uploaded)
    {
        lock (_delivered)
        {
            _delivered.Add(uploaded);
        }
    }

    public void Parked(long events)
    {
        Interlocked.Increment(ref _parked);
        Interlocked.Add(ref _parkedEvents, events);
    }

    public void Failed() => Interlocked.Increment(ref _failed);

    public void Expired() => Interlocked.Increment(ref _expired);

    public void Unconfirmed() => Interlocked.Increment(ref _unconfirmed);

    public StagedCopyResult ToResult()
    {
        lock (_delivered)
        {
            return new StagedCopyResult([.. _delivered.OrderBy(o => o.Key, StringComparer.Ordinal)], _parked, _parkedEvents, _failed, _expired) { UnconfirmedBatches = _unconfirmed };
        }
    }
}
