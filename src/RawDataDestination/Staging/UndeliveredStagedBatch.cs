namespace RawDataDestination.Staging;

/// <summary>
/// A staged batch that a <see cref="StagedBatchCopier"/> tried and could not deliver; it stays staged. Given to
/// <see cref="StagedBatchCopier.BatchNotDelivered"/>.
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
public sealed record UndeliveredStagedBatch(string StagedKey, Exception Error, bool Parked);
