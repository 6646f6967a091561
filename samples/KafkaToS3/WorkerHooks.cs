using Confluent.Kafka;

namespace RawDataDestination.KafkaToS3;

/// <summary>
/// Points where a host (or a test) can watch the worker. An exception thrown from a hook ends the worker as a crash
/// would: nothing more is committed and the consumer leaves without telling the group.
/// </summary>
internal sealed class WorkerHooks
{
    /// <summary>Gets or sets what runs after a record is read, before it is appended.</summary>
    public Action<ConsumeResult<byte[]?, byte[]?>>? RecordRead { get; set; }

    /// <summary>Gets or sets what runs when a record is refused. The default does nothing beyond the log and metric.</summary>
    public Action<RejectedRecord>? RecordRejected { get; set; }

    /// <summary>Gets or sets what runs when a window is held, and each time a retry of it leaves batches undelivered.</summary>
    public Action<TopicPartitionOffset>? WindowHeld { get; set; }

    /// <summary>Gets or sets what runs after S3 confirmed (or staged) a window's objects, before its offset is committed.</summary>
    public Action<TopicPartitionOffset>? BeforeCommit { get; set; }
}
