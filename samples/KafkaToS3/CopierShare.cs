using System.Collections.Immutable;
using System.Globalization;
using RawDataDestination.Batching;

namespace RawDataDestination.KafkaToS3;

/// <summary>
/// Which staged batches this worker's copiers take, so that the workers of one consumer group share the stage, each
/// staged batch copied by one of them: a batch belongs to the partition it was cut from (its batch id,
/// <see cref="BatchIdentity"/>, names the topic and the partition), and is taken by the worker that holds that partition
/// now. Kafka gives every partition to one live member of the group, so every batch has one copier; during a rebalance
/// two may copy one batch for a moment, which is harmless (the same key with the same bytes; a <c>412</c> under
/// conditional writes counts as delivered). A batch whose id is not one of the topic's (staged by <c>rawdata</c>, or by a
/// worker of another topic sharing the stage) belongs to partition 0. A worker holding no partition takes nothing; a
/// worker alone in its group holds every partition and takes every batch.
/// </summary>
/// <remarks>
/// The worker that stages a batch holds its partition, so the wake-up of its own copier reaches the batch's owner; a
/// worker given a partition wakes its copiers (<see cref="StagedDelivery.Hold"/>), which then take what the partition's
/// earlier owner left staged.
/// </remarks>
/// <param name="topic">The worker's topic.</param>
internal sealed class CopierShare(string topic)
{
    private ImmutableHashSet<int> _held = [];

    /// <summary>Adds partitions given to this worker.</summary>
    public void Hold(IEnumerable<int> partitions) => ImmutableInterlocked.Update(ref _held, (held, added) => held.Union(added), partitions);

    /// <summary>Removes partitions taken from this worker (revoked, or lost).</summary>
    public void Release(IEnumerable<int> partitions) => ImmutableInterlocked.Update(ref _held, (held, removed) => held.Except(removed), partitions);

    /// <summary>Whether this worker's copiers take the batch staged at <paramref name="stagedKey"/>: whether it holds the batch's partition.</summary>
    public bool Takes(string stagedKey) => Volatile.Read(ref _held).Contains(PartitionOf(topic, stagedKey) ?? 0);

    /// <summary>
    /// The partition of <paramref name="topic"/> a staged batch was cut from, read from its file name
    /// (<c>{sealed ms}.{batch id}.gz</c>, the batch id <c>{topic}-{partition}-{first}-{last}</c>); <see langword="null"/>
    /// when its batch id is not one of the topic's.
    /// </summary>
    public static int? PartitionOf(string topic, string stagedKey)
    {
        string fileName = stagedKey[(stagedKey.LastIndexOf('/') + 1)..];
        if (BatchNaming.TryParseFileName(fileName, out _, out string batchId) is not null)
        {
            return null;
        }

        string[] parts = batchId.Split('-');
        return parts.Length >= 4
            && int.TryParse(parts[^3], NumberStyles.None, CultureInfo.InvariantCulture, out int partition)
            && long.TryParse(parts[^2], NumberStyles.None, CultureInfo.InvariantCulture, out long first)
            && long.TryParse(parts[^1], NumberStyles.None, CultureInfo.InvariantCulture, out long last)
            && string.Equals(BatchIdentity.For(topic, partition, first, last), batchId, StringComparison.Ordinal)
            ? partition
            : null;
    }
}
