using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RawDataDestination.Batching;
using RawDataDestination.Ndjson;

namespace RawDataDestination.KafkaToS3;

/// <summary>
/// One member of a consumer group that writes a topic to S3 with exactly-once objects: per partition, it cuts batches
/// at offset windows, uploads them, and commits a window's end only after S3 confirmed every object of the window.
/// </summary>
/// <remarks>
/// <para>
/// Any number of workers share the topic's partitions through the group. On a rebalance, a partition's open window is
/// dropped, not committed: its new owner reads it again from the committed offset and rebuilds the same objects (same
/// keys, same bytes), so a window uploaded but not committed is written again onto itself, never next to itself.
/// </para>
/// <para>
/// A stop (the token) drops the open windows and leaves the group; an upload that is under way finishes first and
/// is committed. A failed delivery leaves the group without committing and ends with <see cref="ExitCodes.DeliveryFailed"/>.
/// </para>
/// </remarks>
internal sealed partial class KafkaToS3Worker(
    KafkaToS3Options options,
    ISealedBatchConsumer destination,
    ILogger? logger = null,
    WorkerHooks? hooks = null)
{
    private readonly ILogger _logger = logger ?? NullLogger.Instance;
    private readonly WorkerHooks _hooks = hooks ?? new WorkerHooks();
    private readonly Dictionary<TopicPartition, PartitionWriter> _writers = [];
    private readonly List<PartitionWriter> _dropped = [];
    private bool _assigned;

    /// <summary>Gets the number of records read.</summary>
    public long RecordsRead { get; private set; }

    /// <summary>Gets the number of records refused.</summary>
    public long RecordsRejected { get; private set; }

    /// <summary>Gets the number of objects S3 confirmed.</summary>
    public long ObjectsUploaded { get; private set; }

    /// <summary>Gets the number of offsets committed.</summary>
    public long Commits { get; private set; }

    /// <summary>Gets the number of open batches dropped uncommitted (revoked, lost, or open at shutdown).</summary>
    public long BatchesDropped { get; private set; }

    /// <summary>Runs the worker until <paramref name="stoppingToken"/> is cancelled, or until caught up when asked.</summary>
    /// <returns><see cref="ExitCodes.Success"/>, or <see cref="ExitCodes.DeliveryFailed"/>.</returns>
    public async Task<int> RunAsync(CancellationToken stoppingToken)
    {
        using IConsumer<byte[]?, byte[]?> consumer = Build();
        consumer.Subscribe(options.Topic);
        try
        {
            while (true)
            {
                ConsumeResult<byte[]?, byte[]?> result;
                try
                {
                    result = consumer.Consume(stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    break;
                }
                catch (ConsumeException exception) when (!exception.Error.IsFatal)
                {
                    // For example a missed poll deadline: the group moves on, the partitions come back as lost and
                    // are dropped, and the consumer joins again by itself.
                    Log.KafkaError(_logger, exception.Error.Code, exception.Error.Reason);
                    await DisposeDroppedAsync();
                    continue;
                }

                await DisposeDroppedAsync();
                if (result is not null && _writers.TryGetValue(result.TopicPartition, out PartitionWriter? writer))
                {
                    if (result.IsPartitionEOF)
                    {
                        await OnEndOfPartitionAsync(consumer, writer, result.Offset.Value);
                    }
                    else
                    {
                        await OnRecordAsync(consumer, writer, result);
                    }
                }

                if (options.UntilCaughtUp && _assigned && _writers.Values.All(w => w.CaughtUp))
                {
                    Log.CaughtUp(_logger, _writers.Count);
                    break;
                }
            }
        }
        catch (DeliveryFailedException exception)
        {
            Log.NotDelivered(_logger, exception.InnerException!, exception.Message);
            await LeaveAsync(consumer, "delivery failed");
            return ExitCodes.DeliveryFailed;
        }

        await LeaveAsync(consumer, "shutdown");
        return ExitCodes.Success;
    }

    private IConsumer<byte[]?, byte[]?> Build()
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = options.BootstrapServers,
            GroupId = options.GroupId,
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnablePartitionEof = true,
            ClientId = "KafkaToS3",
        };
        foreach ((string name, string value) in options.ConsumerSettings)
        {
            config.Set(name, value);
        }

        return new ConsumerBuilder<byte[]?, byte[]?>(config)
            .SetPartitionsAssignedHandler((consumer, partitions) =>
            {
                _assigned = true;
                foreach (TopicPartition partition in partitions)
                {
                    long? end = options.UntilCaughtUp ? consumer.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(10)).High.Value : null;
                    _writers[partition] = new PartitionWriter(partition, options.MaxBatchRecords, end);
                    Log.Assigned(_logger, partition.Topic, partition.Partition.Value, end ?? -1);
                }
            })
            .SetPartitionsRevokedHandler((_, partitions) => Revoke(partitions, "revoked"))
            .SetPartitionsLostHandler((_, partitions) => Revoke(partitions, "lost"))
            .SetErrorHandler((_, error) => Log.KafkaError(_logger, error.Code, error.Reason))
            .SetLogHandler((_, message) => Log.Kafka(_logger, message.Facility, message.Message))
            .Build();
    }

    private async Task OnRecordAsync(IConsumer<byte[]?, byte[]?> consumer, PartitionWriter writer, ConsumeResult<byte[]?, byte[]?> record)
    {
        long offset = record.Offset.Value;
        if (writer.IsOpen && offset >= writer.WindowEnd)
        {
            await DeliverAsync(consumer, writer); // a gap (compaction, transaction markers) hid the window's last offsets
        }

        if (writer.CaughtUp || offset >= writer.EndAtAssignment)
        {
            MarkCaughtUp(consumer, writer); // written after the worker was assigned the partition: the next run's
            return;
        }

        _hooks.RecordRead?.Invoke(record);
        RecordsRead++;
        WorkerMetrics.RecordsRead.Add(1);
        if (await writer.AppendAsync(record, CancellationToken.None) is { } rejected)
        {
            RecordsRejected++;
            WorkerMetrics.RecordsRejected.Add(1, new KeyValuePair<string, object?>("reason", rejected.Reason.ToString()));
            Log.Rejected(_logger, record.Topic, record.Partition.Value, offset, rejected.Reason, rejected.Message);
            _hooks.RecordRejected?.Invoke(new RejectedRecord(record.Topic, record.Partition.Value, offset, rejected.Reason, rejected.Message));
        }

        if (offset + 1 >= writer.WindowEnd)
        {
            await DeliverAsync(consumer, writer);
        }

        if (offset + 1 >= writer.EndAtAssignment)
        {
            MarkCaughtUp(consumer, writer);
        }
    }

    private async Task OnEndOfPartitionAsync(IConsumer<byte[]?, byte[]?> consumer, PartitionWriter writer, long position)
    {
        if (writer.IsOpen && position >= writer.WindowEnd)
        {
            await DeliverAsync(consumer, writer);
        }

        if (!writer.IsOpen && position >= writer.EndAtAssignment)
        {
            MarkCaughtUp(consumer, writer);
        }
    }

    /// <summary>Uploads the open window's objects, then commits the window's end: never the other way round.</summary>
    private async Task DeliverAsync(IConsumer<byte[]?, byte[]?> consumer, PartitionWriter writer)
    {
        var commit = new TopicPartitionOffset(writer.Partition, writer.WindowEnd);
        long first = writer.FirstOffset;
        List<SealedBatch> batches = await writer.SealAsync(CancellationToken.None);
        try
        {
            foreach (SealedBatch batch in batches)
            {
                try
                {
                    await destination.ConsumeAsync(batch, CancellationToken.None); // returns once S3 confirmed the object
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    throw new DeliveryFailedException(
                        $"The batch {batch.FileName} of {writer.Partition} (offsets {first} to {commit.Offset.Value - 1}) was not delivered: {exception.Message} Its offsets are not committed; the next run delivers it.",
                        exception);
                }

                ObjectsUploaded++;
                WorkerMetrics.ObjectsUploaded.Add(1);
            }
        }
        finally
        {
            batches.ForEach(b => b.Dispose());
        }

        _hooks.BeforeCommit?.Invoke(commit);
        try
        {
            consumer.Commit([commit]);
            Commits++;
            WorkerMetrics.OffsetsCommitted.Add(1);
            Log.Committed(_logger, commit.Topic, commit.Partition.Value, commit.Offset.Value, batches.Count);
        }
        catch (KafkaException exception)
        {
            // The group moved on (a rebalance): the partition's new owner rebuilds this window onto the same keys.
            Log.CommitRefused(_logger, commit.Topic, commit.Partition.Value, commit.Offset.Value, exception.Error.Reason);
        }
    }

    private void MarkCaughtUp(IConsumer<byte[]?, byte[]?> consumer, PartitionWriter writer)
    {
        if (options.UntilCaughtUp && !writer.CaughtUp && !writer.IsOpen)
        {
            writer.CaughtUp = true;
            consumer.Pause([writer.Partition]);
        }
    }

    private void Revoke(List<TopicPartitionOffset> partitions, string cause)
    {
        Drop(partitions.Select(p => p.TopicPartition), cause);
        _assigned = _writers.Count > 0; // "caught up on every assigned partition" waits for the next assignment
    }

    private void Drop(IEnumerable<TopicPartition> partitions, string cause)
    {
        foreach (TopicPartition partition in partitions)
        {
            if (_writers.Remove(partition, out PartitionWriter? writer))
            {
                if (writer.IsOpen)
                {
                    BatchesDropped++;
                    WorkerMetrics.BatchesDropped.Add(1, new KeyValuePair<string, object?>("cause", cause));
                    Log.Dropped(_logger, partition.Topic, partition.Partition.Value, writer.FirstOffset, writer.RecordCount, cause);
                }

                _dropped.Add(writer);
            }
        }
    }

    private async Task DisposeDroppedAsync()
    {
        foreach (PartitionWriter writer in _dropped)
        {
            await writer.DropAsync();
        }

        _dropped.Clear();
    }

    private async Task LeaveAsync(IConsumer<byte[]?, byte[]?> consumer, string cause)
    {
        Drop([.. _writers.Keys], cause);
        await DisposeDroppedAsync();
        consumer.Close(); // leaves the group at once, committing nothing more
    }

    private sealed class DeliveryFailedException(string message, Exception innerException) : Exception(message, innerException);

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Refused record {Topic}[{Partition}]@{Offset} ({Reason}): {Message}")]
        public static partial void Rejected(ILogger logger, string topic, int partition, long offset, EventRejectionReason reason, string message);

        [LoggerMessage(2, LogLevel.Information, "Committed {Topic}[{Partition}] at {Offset} after {Objects} object(s) were confirmed")]
        public static partial void Committed(ILogger logger, string topic, int partition, long offset, int objects);

        [LoggerMessage(3, LogLevel.Warning, "Commit of {Topic}[{Partition}] at {Offset} refused ({Reason}); the partition's next owner rebuilds the same objects")]
        public static partial void CommitRefused(ILogger logger, string topic, int partition, long offset, string reason);

        [LoggerMessage(4, LogLevel.Information, "Dropped the open batch of {Topic}[{Partition}] from offset {FirstOffset} ({Records} records, {Cause}); uncommitted, it is rebuilt by the next owner")]
        public static partial void Dropped(ILogger logger, string topic, int partition, long firstOffset, int records, string cause);

        [LoggerMessage(5, LogLevel.Information, "Assigned {Topic}[{Partition}] (end offset {End})")]
        public static partial void Assigned(ILogger logger, string topic, int partition, long end);

        [LoggerMessage(6, LogLevel.Information, "Caught up on {Partitions} partition(s): stopping")]
        public static partial void CaughtUp(ILogger logger, int partitions);

        [LoggerMessage(7, LogLevel.Error, "Not delivered: {Message}")]
        public static partial void NotDelivered(ILogger logger, Exception exception, string message);

        [LoggerMessage(8, LogLevel.Warning, "Kafka error {Code}: {Reason}")]
        public static partial void KafkaError(ILogger logger, ErrorCode code, string reason);

        [LoggerMessage(9, LogLevel.Debug, "librdkafka {Facility}: {Message}")]
        public static partial void Kafka(ILogger logger, string facility, string message);
    }
}
