using Confluent.Kafka;

namespace RawDataDestination.KafkaToS3;

/// <summary>
/// A commit Kafka refused while this worker still holds its partition (the group's coordinator moving, not answering in
/// time): tried again until it lands, a later window's commit covers it, or the partition is revoked (then its next
/// owner rebuilds the windows after the last commit onto the same keys).
/// </summary>
/// <param name="Offset">The offset refused: every record before it is delivered (or staged).</param>
/// <param name="Reason">What Kafka said at the last try.</param>
/// <param name="FirstRefusedAt">When the first try of this partition's commits was refused (the worker's clock).</param>
/// <param name="RetryAt">When it is tried again.</param>
/// <param name="Tries">How many times it was tried.</param>
internal sealed record RefusedCommit(TopicPartitionOffset Offset, string Reason, TimeSpan FirstRefusedAt, TimeSpan RetryAt, int Tries)
{
    /// <summary>Gets or sets a value indicating whether a <see cref="KafkaToS3Options.UntilCaughtUp"/> run stopped trying it after <see cref="KafkaToS3Options.RetryTimeLimit"/>.</summary>
    public bool GivenUp { get; init; }
}
