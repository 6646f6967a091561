namespace RawDataDestination.Staging;

/// <summary>
/// A staged batch that a <see cref="StagedBatchCopier"/> tried and could not deliver; it stays staged. Given to
/// <see cref="StagedBatchCopier.BatchNotDelivered"/>; also for a copy stopped (the pass cancelled) while its PutObject
/// waited for an answer, with <see cref="MayBeAt"/> set and the cancellation as <see cref="Error"/>.
/// </summary>
/// <param name="StagedKey">The batch's key in the staging bucket.</param>
/// <param name="Error">
/// Why: the customer's refusal (a <see cref="S3.DestinationException"/>), or the error of the staging bucket or of the
/// network.
/// </param>
/// <param name="Parked">
/// Whether the batch was parked: refused for a reason retrying cannot fix (<see cref="S3.DestinationException.IsPermanent"/>),
/// it is tried again after <see cref="StagingOptions.ParkedRetryInterval"/>. When <see langword="false"/>, it failed
/// for a transient reason and the next pass tries it again.
/// </param>
public sealed record UndeliveredStagedBatch(string StagedKey, Exception Error, bool Parked)
{
    /// <summary>
    /// Gets where the batch may be in the customer's bucket all the same, <c>s3://bucket/key</c>: a PutObject of it was
    /// sent in full and got no answer (a lost answer, a timeout, a copy stopped while it waited), so S3 may hold the
    /// object. The next pass writes the same key again (with conditional writes, S3 keeps the first). <see langword="null"/>
    /// when no PutObject of it can have landed.
    /// </summary>
    public string? MayBeAt { get; init; }

    /// <summary>Gets the batch's events when <see cref="MayBeAt"/> is set (the batch was read back); 0 otherwise.</summary>
    public long EventCount { get; init; }
}
