using Confluent.Kafka;

namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>The mock cluster itself: what the worker's tests rely on.</summary>
public class KafkaMockClusterTests
{
    [Test, CancelAfter(60_000)]
    public async Task MockCluster_ProducedRecords_AreReadBackByAGroupConsumer()
    {
        using var cluster = MockKafkaCluster.Start();
        TestContext.Out.WriteLine(cluster.BootstrapServers);
        using (IProducer<string?, string> producer = cluster.CreateProducer())
        {
            for (int i = 0; i < 10; i++)
            {
                await producer.ProduceAsync(new TopicPartition("smoke", i % 2), new Message<string?, string> { Value = $"v{i}" });
            }
        }

        using IConsumer<Ignore, string> consumer = new ConsumerBuilder<Ignore, string>(new ConsumerConfig
        {
            BootstrapServers = cluster.BootstrapServers, GroupId = "g", AutoOffsetReset = AutoOffsetReset.Earliest, EnablePartitionEof = true,
        }).Build();
        consumer.Subscribe("smoke");
        var values = new List<string>();
        int eofs = 0;
        Assert.That(cluster.PartitionCount("smoke"), Is.EqualTo(MockKafkaCluster.AutoCreatedPartitions));
        while (eofs < MockKafkaCluster.AutoCreatedPartitions)
        {
            ConsumeResult<Ignore, string> result = consumer.Consume(TimeSpan.FromSeconds(20));
            Assert.That(result, Is.Not.Null, "timed out");
            if (result.IsPartitionEOF)
            {
                eofs++;
            }
            else
            {
                values.Add(result.Message.Value);
            }
        }

        Assert.That(values, Has.Count.EqualTo(10));
        consumer.Close();
    }
}
