namespace RawDataDestination.KafkaToS3;

/// <summary>What the worker reads and how it cuts batches. The destination is configured separately.</summary>
internal sealed class KafkaToS3Options
{
    /// <summary>The default of <see cref="MaxBatchRecords"/>: about 100 MB of NDJSON with events of 1 KB.</summary>
    public const int DefaultMaxBatchRecords = 100_000;

    /// <summary>Gets or sets the Kafka brokers, <c>host:port[,host:port...]</c>. Required.</summary>
    public string BootstrapServers { get; set; } = "";

    /// <summary>Gets or sets the topic to read. Required.</summary>
    public string Topic { get; set; } = "";

    /// <summary>Gets or sets the consumer group; instances with the same group share the topic's partitions. Required.</summary>
    public string GroupId { get; set; } = "";

    /// <summary>
    /// Gets or sets the width of a batch in offsets: a batch holds the records of one partition whose offsets fall in one
    /// window <c>[k·N, (k+1)·N)</c>, windows aligned on multiples of N. The default value is 100,000.
    /// </summary>
    public int MaxBatchRecords { get; set; } = DefaultMaxBatchRecords;

    /// <summary>
    /// Gets or sets whether the worker stops once every partition assigned to it is read to the end offset it had at
    /// assignment, delivered and committed. The default value is <see langword="false"/>: run until stopped.
    /// </summary>
    public bool UntilCaughtUp { get; set; }

    /// <summary>Gets extra librdkafka settings, applied last (for example <c>session.timeout.ms</c>). Empty by default.</summary>
    public Dictionary<string, string> ConsumerSettings { get; } = new(StringComparer.Ordinal);
}
