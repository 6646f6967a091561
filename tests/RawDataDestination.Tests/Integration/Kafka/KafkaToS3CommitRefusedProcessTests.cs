using Confluent.Kafka;

namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// The KafkaToS3 program run <c>--until-caught-up</c> while the group's coordinator refuses commits for a while
/// (<c>COORDINATOR_NOT_AVAILABLE</c>, pushed into librdkafka's mock cluster: what a coordinator moving looks like). A
/// refused commit is tried again while the worker holds the partition, so the run ends with every offset committed; a
/// coordinator that keeps refusing past <c>--retry-time-limit</c> ends the run with exit 1 naming each offset not
/// committed, not with "caught up" and exit 0 (the next run would cut the short last window again, at another length,
/// and its events would land twice).
/// </summary>
[CancelAfter(180_000)]
public class KafkaToS3CommitRefusedProcessTests
{
    private const short OffsetCommit = 8;

    [Test]
    public async Task KafkaToS3Program_UntilCaughtUp_CommitsRefusedForAWhile_AreTriedAgainAndEveryOffsetIsCommitted()
    {
        using var customers = await CommitsRefusedAsync(times: 12);
        KafkaTopic topic = customers.Topic;

        var (exitCode, stdout, stderr) = await customers.RunToEndAsync("refused-for-a-while");
        TestContext.Out.WriteLine(stdout + "\n--- stderr ---\n" + stderr);

        Assert.That(exitCode, Is.EqualTo(0), stdout + stderr);
        Assert.That(topic.CommittedOffsets("refused-for-a-while"), Is.EqualTo(topic.EndOffsets), "every partition committed to its end");
        Assert.That(stdout, Does.Contain("refused (Broker: Coordinator not available); tried again"), "the fault was met");
        Assert.That(stdout, Does.Contain("Caught up on every partition"));
        Assert.That(await customers.MessageIdsAsync(0), Is.EquivalentTo(topic.ExpectedMessageIdsOf(0)), "every event once");
    }

    [Test]
    public async Task KafkaToS3Program_UntilCaughtUp_CommitsRefusedPastTheRetryTimeLimit_ExitsOneNamingEachOffsetNotCommitted()
    {
        using var customers = await CommitsRefusedAsync(times: 100_000);
        KafkaTopic topic = customers.Topic;

        var (exitCode, stdout, stderr) = await customers.RunToEndAsync("refused-for-good", s3Url: null, "--retry-time-limit", "3");
        TestContext.Out.WriteLine(stdout + "\n--- stderr ---\n" + stderr);

        Assert.That(exitCode, Is.EqualTo(1), "offsets not committed: not exit 0\n" + stdout + stderr);
        for (int partition = 0; partition < topic.Partitions; partition++)
        {
            Assert.That(stderr, Does.Contain($"Not committed: {topic.Name}[{partition}] at {topic.EndOffset(partition)}: Kafka refused the commit"), $"partition {partition} named on stderr");
        }

        Assert.That(stdout, Does.Not.Contain("Caught up on every partition"));
        Assert.That(topic.CommittedOffsets("refused-for-good"), Is.All.EqualTo(-1001L), "nothing committed");
        Assert.That(await customers.MessageIdsAsync(0), Is.EquivalentTo(topic.ExpectedMessageIdsOf(0)), "every event delivered once all the same");
    }

    /// <summary>
    /// A topic of 40 records of one customer, whose cluster refuses the next <paramref name="times"/> commits
    /// (OffsetCommit) with "Coordinator not available".
    /// </summary>
    private static async Task<KafkaToS3Customers> CommitsRefusedAsync(int times)
    {
        KafkaToS3Customers customers = await KafkaToS3Customers.ProduceAsync(40);
        customers.Topic.Cluster.FailRequests(OffsetCommit, ErrorCode.GroupCoordinatorNotAvailable, times);
        return customers;
    }
}
