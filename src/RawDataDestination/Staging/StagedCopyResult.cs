using RawDataDestination.S3;

namespace RawDataDestination.Staging;

/// <summary>What a pass of <see cref="StagedBatchCopier"/> over the staging prefix did.</summary>
/// <param name="Delivered">The objects written to the customer's bucket and removed from staging.</param>
/// <param name="ParkedBatches">How many batches are parked after the pass: refused by the customer's bucket for a reason retrying cannot fix, kept staged.</param>
/// <param name="ParkedEvents">How many events the parked batches hold.</param>
/// <param name="FailedBatches">How many batches failed for a transient reason (or could not be read back intact) and stay staged for the next pass, with those the pass did not try after one failed for a transient reason.</param>
/// <param name="ExpiredBatches">How many batches were deleted undelivered at the end of their retention: past it, tried once more, and refused by the customer's bucket in that try (<see cref="Expired"/>).</param>
public sealed record StagedCopyResult(IReadOnlyList<UploadedObject> Delivered, int ParkedBatches, long ParkedEvents, int FailedBatches, int ExpiredBatches)
{
    /// <summary>
    /// Gets how many staged objects under the destination's prefixes the pass did not send because nothing confirms they
    /// were staged for this destination: their metadata names another bucket or key, or none (objects staged by an earlier
    /// version, in the layout that setups sharing a staging bucket could both write). They are never sent nor deleted,
    /// and each is logged once as an error; a person decides what they are.
    /// </summary>
    /// <value>At least zero. The default value is 0.</value>
    public int UnconfirmedBatches { get; init; }

    /// <summary>
    /// Gets the batches deleted undelivered at the end of their retention, each with the customer's bucket and key it was
    /// for and its event count: the events lost. A batch past its retention is tried once more and deleted only when the
    /// customer's bucket refuses it in that try; one the customer takes is delivered.
    /// </summary>
    /// <value>The default value is empty.</value>
    public IReadOnlyList<ExpiredStagedBatch> Expired { get; init; } = [];

    /// <summary>Gets the number of events deleted undelivered with <see cref="Expired"/>.</summary>
    public long ExpiredEvents => Expired.Sum(b => b.EventCount);

    /// <summary>
    /// Gets when the first of the batches parked after the pass is tried again on its schedule
    /// (<see cref="StagingOptions.ParkedRetryInterval"/> after its last refusal); <see langword="null"/> when none is parked.
    /// How a host says until when they wait.
    /// </summary>
    internal DateTimeOffset? NextParkedAttemptAt { get; init; }

    /// <summary>Gets the number of events delivered.</summary>
    public long DeliveredEvents => Delivered.Sum(o => o.EventCount);

    /// <summary>Gets a value indicating whether nothing is left behind: no batch parked, failed, expired or unconfirmed.</summary>
    public bool AllDelivered => ParkedBatches == 0 && FailedBatches == 0 && ExpiredBatches == 0 && UnconfirmedBatches == 0;
}
