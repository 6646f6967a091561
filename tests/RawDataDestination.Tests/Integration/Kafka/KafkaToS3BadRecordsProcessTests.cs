using Confluent.Kafka;

namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>The KafkaToS3 program run as a process over records whose source id no batch can carry: refused as such, never poisoning the others.</summary>
[CancelAfter(120_000)]
public class KafkaToS3BadRecordsProcessTests
{
    [Test]
    public async Task KafkaToS3Program_RecordsWithAnInvalidSourceId_AreRefusedAsInvalidSourceIdNotAsWithoutATenant()
    {
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(20);
        (string What, byte[] Header)[] invalid =
        [
            ("a space", "a b"u8.ToArray()),
            ("a relative path segment", ".."u8.ToArray()),
            ("bytes that are not UTF-8", [0xff, 0xfe]),
            ("an empty header", []),
        ];

        // Partition 0, offsets 5 to 8; the record's key names a valid source, which an invalid header does not fall back to.
        await ProduceToPartition0Async(topic, [.. invalid.Select(i => new Message<byte[]?, byte[]?>
        {
            Key = Encoding.UTF8.GetBytes(topic.Source),
            Value = "{\"type\":\"track\",\"messageId\":\"invalid-source\"}"u8.ToArray(),
            Headers = new Headers { { RecordSourceId.HeaderName, i.Header } },
        })]);

        await topic.ProduceMoreAsync(20); // after them, so the windows they share are delivered as usual
        string bucket = await StagingPeers.NewBucketAsync("customer");
        var (exitCode, stdout, stderr) = await KafkaToS3Program.RunAsync(topic, "invalid-sources", topic.Tenants(_ => bucket), environment: SharedPeers.ServiceEnvironment());

        Assert.That(exitCode, Is.EqualTo(0), stdout + stderr);
        string[] lines = stdout.Split('\n');
        foreach (long offset in Enumerable.Range(5, invalid.Length))
        {
            string line = lines.SingleOrDefault(l => l.Contains(string.Create(CultureInfo.InvariantCulture, $"Refused record {topic.Name}[0]@{offset} ("), StringComparison.Ordinal)) ?? "";
            Assert.That(line, Does.Contain("(InvalidSourceId): ").And.Not.Contain("add it to a tenant's Sources"), $"{invalid[offset - 5].What}: refused as invalid, with no fix that cannot work");
        }

        Assert.That(stdout, Does.Contain("(InvalidSourceId): The record's 'source-id' header is empty."));
        Assert.That(stdout, Does.Contain("KafkaToS3 stopped: 44 records read, 7 refused (1 without a tenant)"), "only the record of an unknown source is counted as without a tenant");
        Assert.That(
            await Objects.MessageIdsAsync("segment-logs/", bucket),
            Is.EquivalentTo(topic.ExpectedMessageIds),
            "every other record delivered, once");
    }

    [Test]
    public async Task KafkaToS3Program_ARecordOverMaxEventBytes_IsRefusedNamingTheFlagAndDeliveredByARunThatRaisesIt()
    {
        // The refusal said "raise MaxEventBytes", a setting the worker has no way to set.
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(20);
        await ProduceToPartition0Async(topic, [new Message<byte[]?, byte[]?>
        {
            Key = Encoding.UTF8.GetBytes(topic.Source),
            Value = Encoding.UTF8.GetBytes($"{{\"type\":\"track\",\"messageId\":\"large\",\"padding\":\"{new string('x', 40_000)}\"}}"),
        }]);

        string bucket = await StagingPeers.NewBucketAsync("customer");
        var (exitCode, stdout, stderr) = await KafkaToS3Program.RunAsync(topic, "default-limit", topic.Tenants(_ => bucket), environment: SharedPeers.ServiceEnvironment());

        Assert.That(exitCode, Is.EqualTo(0), stdout + stderr);
        Assert.That(stdout, Does.Contain($"Refused record {topic.Name}[0]@5 (TooLarge): The event is 40049 bytes, over the limit of 32768 bytes (--max-event-bytes). Send smaller events or raise --max-event-bytes."), stdout);
        Assert.That(await Objects.MessageIdsAsync("segment-logs/", bucket), Is.EquivalentTo(topic.ExpectedMessageIds));

        string raised = await StagingPeers.NewBucketAsync("customer");
        (exitCode, stdout, stderr) = await KafkaToS3Program.RunAsync(topic, "raised-limit", topic.Tenants(_ => raised), ["--max-event-bytes", "65536"], environment: SharedPeers.ServiceEnvironment());

        Assert.That(exitCode, Is.EqualTo(0), stdout + stderr);
        Assert.That(stdout, Does.Not.Contain("(TooLarge)"), stdout);
        Assert.That(
            await Objects.MessageIdsAsync("segment-logs/", raised),
            Is.EquivalentTo(topic.ExpectedMessageIds.Append("large")),
            "the large record delivered with the others, once");
    }

    /// <summary>Produces <paramref name="messages"/>, raw bytes as given, to partition 0 of <paramref name="topic"/>, in order, each acknowledged by every in-sync replica.</summary>
    private static async Task ProduceToPartition0Async(KafkaTopic topic, Message<byte[]?, byte[]?>[] messages)
    {
        var config = new ProducerConfig { BootstrapServers = topic.Cluster.BootstrapServers, Acks = Acks.All };
        using IProducer<byte[]?, byte[]?> producer = new ProducerBuilder<byte[]?, byte[]?>(config).Build();
        foreach (Message<byte[]?, byte[]?> message in messages)
        {
            await producer.ProduceAsync(new TopicPartition(topic.Name, 0), message);
        }
    }
}
