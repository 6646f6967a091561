namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// The KafkaToS3 program run as a process while the one STS endpoint every tenant's role goes through is broken (it
/// refuses every AssumeRole, or never answers): every window is still committed (the batches staged, with the service's
/// own credentials), SIGTERM stops it in bounded time, and a restart with STS healthy delivers every event once.
/// </summary>
[CancelAfter(240_000)]
public class KafkaToS3StsOutageQaTests
{
    private const int Tenants = 4;

    [TestCase(true)]
    [TestCase(false)]
    public async Task KafkaToS3Program_StsBrokenForEveryTenant_StagesCommitsStopsOnSigtermAndARestartDeliversEveryEventOnce(bool neverAnswers)
    {
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(40, sources: Tenants);
        using var customers = await KafkaToS3Customers.CreateAsync(topic, withStage: true);
        bool broken = true;
        ProxyDecision refusal = new(
            ProxyAction.Respond,
            403,
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User is not authorized to perform: sts:AssumeRole</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>");
        await using var stsProxy = new FaultProxy(new Uri(SharedPeers.S3.ServiceUrl), _ => !broken ? ProxyAction.Forward : neverAnswers ? ProxyAction.Stall : refusal);
        List<string> arguments =
        [
            .. customers.Arguments("sts-down", untilCaughtUp: false).Select(a => a == SharedPeers.Sts.ServiceUrl ? stsProxy.ServiceUrl.ToString() : a),
            "--direct-step-aside", "1",
        ];

        // Every partition holds 10 records: two windows each, eight commits.
        using (var first = KafkaToS3Customers.Start(arguments))
        {
            await first.WaitForAsync(lines => lines.Count(l => l.Contains(" Committed ", StringComparison.Ordinal)) >= 8, TimeSpan.FromSeconds(90), "every window committed");
            await Task.Delay(TimeSpan.FromSeconds(2)); // real time: the copiers' passes meet the broken STS
            await first.StopsCleanlyAsync("TERM", TimeSpan.FromSeconds(25), "SIGTERM: bounded by the connect and response timeouts");
            Assert.That(first.Output, Does.Contain($"KafkaToS3 stopped: 40 records read, 3 refused (1 without a tenant), 0 objects uploaded, {topic.BatchCount} staged"));
        }

        Assert.That(topic.CommittedOffsets("sts-down"), Is.EqualTo(Enumerable.Range(0, topic.Partitions).Select(topic.EndOffset)), "every window committed: staged");
        Assert.That(await KafkaTopic.StagedMessageIdsAsync(customers.Stage), Is.EquivalentTo(topic.ExpectedMessageIds), "every event staged once");

        // STS answers again: the restart's first pass delivers what the first run staged.
        broken = false;
        using var second = KafkaToS3Customers.Start(arguments);
        await second.WaitForAsync(
            lines => lines.Count(l => l.Contains("to the customer's bucket; left staged 0", StringComparison.Ordinal)) >= Tenants,
            TimeSpan.FromSeconds(90),
            "every tenant's staged batches delivered");
        await second.StopsCleanlyAsync("TERM");
        Assert.That(second.Output, Does.Contain($"KafkaToS3 stopped: 0 records read, 0 refused (0 without a tenant), 0 objects uploaded, 0 staged, {topic.BatchCount} copied from the stage (0 left there), 0 offsets committed"));
        Dictionary<string, string[]> objects = await Objects.ReadAllAsync("t", customers.Customer);
        Assert.That(objects, Has.Count.EqualTo(topic.BatchCount), "the summary's counts add up: one object per batch staged, then copied");
        Assert.That(Objects.MessageIds(objects.Values.SelectMany(l => l)), Is.EquivalentTo(topic.ExpectedMessageIds), "every event once in the customers' buckets");
        Assert.That(await StagingPeers.KeysAsync(customers.Stage), Is.Empty, "nothing left staged");
    }
}
