namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// Two KafkaToS3 programs in one group, one customer's S3 resetting every connection mid-body: the first is killed with
/// SIGKILL mid-run, the second takes its partitions over and reaches every partition's end, and stops on SIGINT with
/// exit 0. Every healthy customer's event is in exactly one object; the reset customer's events are staged, each once.
/// </summary>
[CancelAfter(300_000)]
public class KafkaToS3GroupQaTests
{
    private const int Tenants = 4, Reset = 1;

    [Test]
    public async Task KafkaToS3Program_TwoWorkersOneKilledAndATenantResettingMidBody_TheOtherFinishesAndEveryEventIsOnce()
    {
        using KafkaToS3GroupFixture group = await KafkaToS3GroupFixture.CreateAsync(Tenants);
        KafkaTopic topic = group.Topic;
        await using var faults = TenantPutFaults.Start(group.Customer, (Reset, ProxyAction.ResetMidRequest));

        using var first = KafkaToS3Customers.Start(group.Arguments("pair", faults.ServiceUrl));
        await first.WaitForAsync(lines => lines.Any(l => l.Contains(" Committed ", StringComparison.Ordinal)), TimeSpan.FromSeconds(60), "the first worker committing");
        using var second = KafkaToS3Customers.Start(group.Arguments("pair", faults.ServiceUrl));
        await second.WaitForAsync(lines => lines.Any(l => l.Contains(" Committed ", StringComparison.Ordinal)), TimeSpan.FromSeconds(60), "the second worker committing (a rebalance shared the partitions)");
        await first.SignalAsync("KILL", TimeSpan.FromSeconds(30));
        TestContext.Out.WriteLine($"first worker killed; committed {string.Join(",", topic.CommittedOffsets("pair"))}\n{first.Output}");

        // A partition may have been committed to its end by the killed worker: ask the group, not the second worker's log.
        await KafkaToS3GroupFixture.WaitUntilAsync(
            () => Task.FromResult(topic.CommittedOffsets("pair").SequenceEqual(group.Ends)), TimeSpan.FromSeconds(120), () => "every partition committed to its end\n" + second.Output);
        await second.StopsCleanlyAsync("INT", TimeSpan.FromSeconds(25), "SIGINT: bounded");
        Assert.That(second.Output, Does.Contain("KafkaToS3 stopped: "));
        Assert.That(topic.CommittedOffsets("pair"), Is.EqualTo(group.Ends));

        ILookup<string, string> objectsOf = await group.ObjectsOfEachEventAsync();
        Assert.That(objectsOf.Select(g => g.Key), Is.EquivalentTo(Enumerable.Range(0, Tenants).Where(k => k != Reset).SelectMany(topic.ExpectedMessageIdsOf)), "the healthy customers' events, none of the reset one");
        Assert.That(KafkaToS3GroupFixture.InTwoObjects(objectsOf), Is.Empty, "no event in two objects");
        Assert.That(await KafkaTopic.StagedMessageIdsAsync(group.Stage), Is.EquivalentTo(topic.ExpectedMessageIdsOf(Reset)), "the reset customer's events staged, each once");
    }
}
