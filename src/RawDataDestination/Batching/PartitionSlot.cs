namespace RawDataDestination.Batching;

/// <summary>
/// One partition's place in the open set. Its gate outlives the partition's batches: appends to a partition queue on
/// it in the order they are made (the gate is first come, first served), so a size seal, which opens the next batch
/// under the same gate, never lets a later append overtake an earlier one.
/// </summary>
internal sealed class PartitionSlot(PartitionKey key)
{
    public PartitionKey Key { get; } = key;

    /// <summary>Serializes the partition's writers and sealers. Hold it for every member below.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>Gets or sets the open batch, or <see langword="null"/> between batches.</summary>
    public OpenBatch? Batch { get; set; }

    /// <summary>Gets or sets the order of the last append (a counter shared by all slots), for the least-recently-appended choice.</summary>
    public long LastAppend { get; set; }

    /// <summary>Gets or sets whether the slot left the set; a writer that finds it removed looks the partition up again.</summary>
    public bool Removed { get; set; }
}
