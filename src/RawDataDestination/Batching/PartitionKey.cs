namespace RawDataDestination.Batching;

/// <summary>What a batch holds: one source's events of one UTC received day.</summary>
internal readonly record struct PartitionKey(string SourceId, DateOnly ReceivedDay);
