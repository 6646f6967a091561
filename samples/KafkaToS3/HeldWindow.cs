using Confluent.Kafka;

namespace RawDataDestination.KafkaToS3;

/// <summary>
/// A sealed window of one partition whose batches were not all delivered or staged: the ones left, the offset to commit
/// once they are, and when to try them again. Its partition is paused meanwhile; the other partitions go on.
/// </summary>
internal sealed class HeldWindow(TopicPartitionOffset commit, long firstOffset, List<RoutedBatch> batches)
{
    /// <summary>Gets the window's end: the offset committed once every batch is delivered or staged.</summary>
    public TopicPartitionOffset Commit { get; } = commit;

    /// <summary>Gets the offset of the window's first record.</summary>
    public long FirstOffset { get; } = firstOffset;

    /// <summary>Gets the batches not yet delivered or staged.</summary>
    public List<RoutedBatch> Batches { get; } = batches;

    /// <summary>Gets or sets how many times the window was held.</summary>
    public int Holds { get; set; }

    /// <summary>Gets or sets when the window was first held, as the worker's monotonic time since it was made: its <see cref="KafkaToS3Options.RetryTimeLimit"/> counts from then.</summary>
    public TimeSpan HeldSince { get; set; }

    /// <summary>Gets or sets when the next retry is due, as the worker's monotonic time since it was made.</summary>
    public TimeSpan RetryAt { get; set; }

    /// <summary>Gets or sets how many of the window's objects were delivered directly so far.</summary>
    public int Delivered { get; set; }

    /// <summary>Gets or sets how many of the window's batches were staged so far.</summary>
    public int Staged { get; set; }

    /// <summary>
    /// Gets or sets why the window was given up, one line per tenant: the refusals retrying cannot fix that its last try met
    /// ("refused by tenant acme: explanation"), or what kept failing for <see cref="KafkaToS3Options.RetryTimeLimit"/>.
    /// </summary>
    public IReadOnlyList<string> Reasons { get; set; } = [];

    /// <summary>Gets or sets whether the window was given up because it kept failing for <see cref="KafkaToS3Options.RetryTimeLimit"/> (rather than refused).</summary>
    public bool KeptFailing { get; set; }
}
