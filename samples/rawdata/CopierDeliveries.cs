using System.Collections.Concurrent;
using RawDataDestination.Aws;
using RawDataDestination.Staging;

namespace RawDataDestination.Cli;

/// <summary>
/// The staged batches a <see cref="StagedBatchCopier"/> has delivered so far, as it tells them
/// (<see cref="StagedBatchCopier.BatchDelivered"/>): so that a pass stopped by a signal still says what it delivered
/// before it stopped, as a finished pass says in its <see cref="StagedCopyResult"/>. And the errors of the batches it
/// could not deliver (<see cref="StagedBatchCopier.BatchNotDelivered"/>), so that the user reads why they stay staged. A
/// batch that kept failing for its whole retry budget means the customer's bucket (or the stage) is down, and one the
/// staging bucket refused (AccessDenied to the service's credentials, say) means every other would be refused too: the
/// others would each fail as it did, so the first such batch stops the pass (<c>stopPass</c>), leaving the rest staged.
/// </summary>
/// <param name="stopPass">Cancelled at the first batch whose retry budget is spent.</param>
internal sealed class CopierDeliveries(CancellationTokenSource stopPass)
{
    private readonly ConcurrentQueue<DeliveredStagedBatch> _delivered = new();

    private readonly ConcurrentQueue<UndeliveredStagedBatch> _setbacks = new();

    private readonly ConcurrentDictionary<string, UndeliveredStagedBatch> _mayBeInTheBucket = new(StringComparer.Ordinal);

    /// <summary>Gets the deliveries seen so far: the staged key, and the object written to the customer's bucket.</summary>
    public IReadOnlyCollection<DeliveredStagedBatch> Delivered => _delivered;

    /// <summary>Gets the batches not delivered so far, each with its error and whether it was parked.</summary>
    public IReadOnlyCollection<UndeliveredStagedBatch> Setbacks => _setbacks;

    /// <summary>
    /// Gets the staged batches not delivered that may be in the customer's bucket all the same (a PutObject of theirs was
    /// sent in full and got no answer, or a copy stopped while it waited for one; <see cref="UndeliveredStagedBatch.MayBeAt"/>),
    /// by where they may be, each once, bar those a later copy delivered.
    /// </summary>
    public IReadOnlyList<UndeliveredStagedBatch> MayBeInTheBucket()
    {
        var delivered = new HashSet<string>(_delivered.Select(batch => batch.StagedKey), StringComparer.Ordinal);
        return [.. _mayBeInTheBucket.Values.Where(batch => !delivered.Contains(batch.StagedKey)).OrderBy(batch => batch.MayBeAt, StringComparer.Ordinal)];
    }

    /// <summary>Gets the staged batches that failed for a transient reason and were not delivered later, each once.</summary>
    public int Failing()
    {
        var delivered = new HashSet<string>(_delivered.Select(batch => batch.StagedKey), StringComparer.Ordinal);
        return _setbacks.Where(setback => !setback.Parked && !delivered.Contains(setback.StagedKey)).Select(setback => setback.StagedKey).Distinct(StringComparer.Ordinal).Count();
    }

    /// <summary>Gets the staged batches parked and not delivered later, each once, and their events.</summary>
    public int Parked()
    {
        var delivered = new HashSet<string>(_delivered.Select(batch => batch.StagedKey), StringComparer.Ordinal);
        return _setbacks.Where(setback => setback.Parked && !delivered.Contains(setback.StagedKey)).Select(setback => setback.StagedKey).Distinct(StringComparer.Ordinal).Count();
    }

    /// <summary>Gets whether a batch failed without being parked (its retry budget spent, or the staging bucket refused it), which stopped the pass.</summary>
    public bool GaveUp => _setbacks.Any(setback => !setback.Parked);

    /// <summary>
    /// Gets whether a batch that stopped the pass kept failing for a transient reason, so for its whole retry budget;
    /// otherwise the staging bucket refused it for a reason retrying cannot fix, at once, and no budget was spent.
    /// </summary>
    public bool RetryBudgetSpent => _setbacks.Any(setback => !setback.Parked && TransientErrors.IsTransient(setback.Error, CancellationToken.None));

    /// <summary>Listens to <paramref name="copier"/>'s deliveries and failures.</summary>
    public void Watch(StagedBatchCopier copier)
    {
        ArgumentNullException.ThrowIfNull(copier);
        copier.BatchDelivered = _delivered.Enqueue;
        copier.BatchNotDelivered = NotDelivered;
    }

    /// <summary>
    /// Notes a batch the copier could not deliver, and stops the pass when it failed rather than parked. A copy that the
    /// pass's stop cut short is noted only for where it may be in the customer's bucket: its error is the stop.
    /// </summary>
    private void NotDelivered(UndeliveredStagedBatch setback)
    {
        if (setback.MayBeAt is not null)
        {
            _mayBeInTheBucket[setback.StagedKey] = setback;
        }

        if (setback.Error is OperationCanceledException && stopPass.IsCancellationRequested)
        {
            return;
        }

        _setbacks.Enqueue(setback);
        if (!setback.Parked)
        {
            stopPass.Cancel();
        }
    }
}
