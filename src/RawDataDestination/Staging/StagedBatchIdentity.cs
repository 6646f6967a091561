namespace RawDataDestination.Staging;

/// <summary>What a staged key says about its batch: enough to rebuild the batch's customer key.</summary>
/// <param name="SourceId">The source id.</param>
/// <param name="ReceivedDay">The UTC day the events were received.</param>
/// <param name="BatchId">The batch id.</param>
/// <param name="SealedAt">When the batch was sealed, to the millisecond.</param>
internal readonly record struct StagedBatchIdentity(string SourceId, DateOnly ReceivedDay, string BatchId, DateTimeOffset SealedAt);
