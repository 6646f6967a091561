namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// Which staged batches a KafkaToS3 worker's copiers take (<see cref="CopierShare"/>): those cut from a partition it holds,
/// read back from the batch id in the staged key; a batch of no partition of the topic goes with partition 0.
/// </summary>
public class KafkaCopierShareTests
{
    private const string Stage = "ops-stage/rawdata/~acme-logs/t00/segment-logs/web/1764460800000/";

    private static string Staged(string topic, int partition, long first, long last) => $"{Stage}1764496800000.{BatchIdentity.For(topic, partition, first, last)}.gz";

    [TestCase("orders")]
    [TestCase("orders.eu")]
    [TestCase("orders-eu-2")]
    [TestCase("a-1-2-3")]
    public void PartitionOf_ABatchOfTheTopic_IsThePartitionItWasCutFrom(string topic)
    {
        Assert.That(CopierShare.PartitionOf(topic, Staged(topic, 3, 1200, 1299)), Is.EqualTo(3));
        Assert.That(CopierShare.PartitionOf(topic, Staged(topic, 0, 0, 4)), Is.Zero);
    }

    [Test]
    public void PartitionOf_ABatchOfATopicLongEnoughToBeCutAndHashed_IsItsPartition()
    {
        string topic = new('t', 249);
        Assert.That(CopierShare.PartitionOf(topic, Staged(topic, 2147483647, 9_000_000_000_000_000_000, 9_000_000_000_000_000_099)), Is.EqualTo(2147483647));
        Assert.That(CopierShare.PartitionOf(new string('t', 248) + "u", Staged(topic, 7, 0, 4)), Is.Null, "another long topic with the same first characters");
    }

    [TestCase("1764496800000.orders_us-3-1200-1299.gz", Description = "another topic's")]
    [TestCase("1764496800000.0192d5e4-8f3a-7c21-9b4e-2f6a1c3d5e7f.gz", Description = "a UUID v7, as the library names batches")]
    [TestCase("1764496800000.orders-03-1200-1299.gz", Description = "a partition Kafka would not name so")]
    [TestCase("not-a-batch.gz")]
    public void PartitionOf_ABatchOfNoPartitionOfTheTopic_IsNull(string fileName) =>
        Assert.That(CopierShare.PartitionOf("orders", Stage + fileName), Is.Null);

    [Test]
    public void Takes_TheBatchesOfThePartitionsHeld_AndTheTopiclessOnesWithPartitionZero()
    {
        var share = new CopierShare("orders");
        string ofOne = Staged("orders", 1, 0, 4), ofTwo = Staged("orders", 2, 0, 4), topicless = Stage + "1764496800000.0192d5e4-8f3a-7c21-9b4e-2f6a1c3d5e7f.gz";
        Assert.That(new[] { ofOne, ofTwo, topicless }.Where(share.Takes), Is.Empty, "holding no partition: nothing");

        share.Hold([1, 3]);
        Assert.That(new[] { ofOne, ofTwo, topicless }.Where(share.Takes), Is.EqualTo(new[] { ofOne }));

        share.Hold([0, 2]);
        Assert.That(new[] { ofOne, ofTwo, topicless }.Where(share.Takes), Is.EqualTo(new[] { ofOne, ofTwo, topicless }), "holding every partition: everything");

        share.Release([1, 0]);
        Assert.That(new[] { ofOne, ofTwo, topicless }.Where(share.Takes), Is.EqualTo(new[] { ofTwo }), "revoked: left to the next owner");
    }
}
