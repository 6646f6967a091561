using RawDataDestination.S3;

namespace RawDataDestination.Staging;

/// <summary>What a pass of <see cref="StagedBatchCopier"/> over the staging prefix did.</summary>
/// <param name="Delivered">The objects written to the customer's bucket and removed from staging.</param>
/// <param name="ParkedBatches">How many batches are parked after the pass: refused by the customer's bucket for a reason retrying cannot fix, kept staged.</param>
/// <param name="ParkedEvents">How many events the parked batches hold.</param>
/// <param name="FailedBatches">How many batches failed for a transient reason (or could not be read back intact) and stay staged for the next pass.</param>
/// <param name="ExpiredBatches">How many batches were deleted undelivered at the end of their retention.</param>
public sealed record StagedCopyResult(IReadOnlyList<UploadedObject> Delivered, int ParkedBatches, long ParkedEvents, int FailedBatches, int ExpiredBatches)
{
    /// <summary>Gets the number of events delivered.</summary>
    public long DeliveredEvents => Delivered.Sum(o => o.EventCount);

    /// <summary>Gets a value indicating whether nothing is left behind: no batch parked, failed or expired.</summary>
    public bool AllDelivered => ParkedBatches == 0 && FailedBatches == 0 && ExpiredBatches == 0;
}
