using System.Text;
using System.Globalization;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using RawDataDestination.Batching;
using RawDataDestination.KafkaToS3;

namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// A topic on a fresh mock cluster, filled with <c>records</c> events of one source spread over its 4 partitions
/// (record i on partition i % 4), with fixed timestamps. Two records are bad on purpose: one is not JSON, one has no
/// <c>source-id</c> header and no key. One has no header but its key names the source (the documented fallback).
/// </summary>
internal sealed class KafkaTopic : IDisposable
{
    public const int NotJsonRecord = 7;
    public const int NoSourceRecord = 12;
    public const int KeyFallbackRecord = 3;

    /// <summary>The batch window used by the tests: 5 offsets, so a handful of records spans several batches.</summary>
    public const int Window = 5;

    private static readonly DateTimeOffset FirstTimestamp = new(2026, 11, 30, 10, 0, 0, TimeSpan.Zero);

    private KafkaTopic(MockKafkaCluster cluster, string name, string source, int records)
    {
        Cluster = cluster;
        Name = name;
        Source = source;
        Records = records;
    }

    /// <summary>Produces records <see cref="Records"/> to <paramref name="count"/> - 1 more.</summary>
    public async Task ProduceMoreAsync(int count)
    {
        using IProducer<string?, string> producer = Cluster.CreateProducer();
        int from = Records;
        for (int i = from; i < from + count; i++)
        {
            await producer.ProduceAsync(new TopicPartition(Name, i % Partitions), CreateMessage(i));
        }

        Records = from + count;
    }

    public MockKafkaCluster Cluster { get; }

    public string Name { get; }

    public string Source { get; }

    public int Records { get; private set; }

    public int Partitions { get; } = MockKafkaCluster.AutoCreatedPartitions;

    /// <summary>The messageIds that must land in the bucket, each exactly once.</summary>
    public IEnumerable<string> ExpectedMessageIds =>
        Enumerable.Range(0, Records).Where(i => i is not NotJsonRecord and not NoSourceRecord).Select(MessageId);

    /// <summary>
    /// The batch ids a run cuts when it reads the whole topic to its end: one per window of <see cref="Window"/>
    /// offsets, the last window of each partition cut at the partition's end offset.
    /// </summary>
    public IEnumerable<string> ExpectedBatchIds =>
        from partition in Enumerable.Range(0, Partitions)
        let end = EndOffset(partition)
        from first in Enumerable.Range(0, (int)((end + Window - 1) / Window)).Select(w => (long)w * Window)
        select BatchIdentity.For(Name, partition, first, Math.Min(first + Window, end) - 1);

    /// <summary>How many records each partition holds: its end offset.</summary>
    public long EndOffset(int partition) => Enumerable.Range(0, Records).Count(i => i % Partitions == partition);

    public static async Task<KafkaTopic> ProduceAsync(int records)
    {
        var cluster = MockKafkaCluster.Start();
        string suffix = Guid.NewGuid().ToString("N")[..8];
        var topic = new KafkaTopic(cluster, "orders." + suffix, "kafka-" + suffix, 0);
        await topic.ProduceMoreAsync(records);
        return topic;
    }

    private Message<string?, string> CreateMessage(int i)
    {
        var message = new Message<string?, string>
        {
            Value = i == NotJsonRecord ? "{not json" : $"{{\"type\":\"track\",\"messageId\":\"{MessageId(i)}\",\"event\":\"Order Completed\",\"properties\":{{\"revenue\":{i}.5}}}}",
            Timestamp = new Timestamp(FirstTimestamp.AddSeconds(i)),
            Headers = [],
        };
        if (i == KeyFallbackRecord)
        {
            message.Key = Source;
        }
        else if (i != NoSourceRecord)
        {
            message.Headers.Add(RecordSourceId.HeaderName, Encoding.UTF8.GetBytes(Source));
        }

        return message;
    }

    public static string MessageId(int i) => "m-" + i.ToString(CultureInfo.InvariantCulture);

    public KafkaToS3Options Options(string group, bool untilCaughtUp = true)
    {
        var options = new KafkaToS3Options
        {
            BootstrapServers = Cluster.BootstrapServers,
            Topic = Name,
            GroupId = group,
            MaxBatchRecords = Window,
            UntilCaughtUp = untilCaughtUp,
        };

        // A dead member is noticed after 3 s instead of 45, and rebalances are noticed within 100 ms.
        options.ConsumerSettings["session.timeout.ms"] = "3000";
        options.ConsumerSettings["heartbeat.interval.ms"] = "100";
        return options;
    }

    public KafkaToS3Worker Worker(string group, ISealedBatchConsumer destination, WorkerHooks? hooks = null, ILogger? logger = null, bool untilCaughtUp = true) =>
        new(Options(group, untilCaughtUp), destination, logger, hooks);

    /// <summary>The offsets the group committed, per partition (-1001 when none).</summary>
    public long[] CommittedOffsets(string group)
    {
        using IConsumer<Ignore, Ignore> consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = Cluster.BootstrapServers, GroupId = group }).Build();
        List<TopicPartitionOffset> committed = consumer.Committed(Enumerable.Range(0, Partitions).Select(p => new TopicPartition(Name, p)), TimeSpan.FromSeconds(10));
        return [.. committed.OrderBy(c => c.Partition.Value).Select(c => c.Offset.Value)];
    }

    public void Dispose() => Cluster.Dispose();
}
