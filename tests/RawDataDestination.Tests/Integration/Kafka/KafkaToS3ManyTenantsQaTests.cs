namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// The KafkaToS3 program run as a process, with a stage, for 50 customers of which 2 are broken (one whose endpoint
/// never answers, one that refuses every PUT), every customer on every partition: the 48 healthy customers' objects
/// land and every window is committed promptly, also for records produced later; SIGINT while the silent customer's
/// attempt is under way stops it in bounded time; a restart with both answering delivers every event once.
/// </summary>
[CancelAfter(300_000)]
public class KafkaToS3ManyTenantsQaTests
{
    private const int Tenants = 50, Silent = 7, Refusing = 23;

    [Test]
    public async Task KafkaToS3Program_FiftyTenantsTwoBroken_HealthyOnesDeliverPromptlyEveryWindowCommitsSigintStopsAndARestartDeliversOnce()
    {
        using var customers = await KafkaToS3Customers.ProduceAsync(400, sources: Tenants, withStage: true);
        await using var faults = TenantPutFaults.Start(customers.Customer, (Silent, ProxyAction.Stall), (Refusing, ProxyAction.AccessDenied));
        List<string> arguments = customers.Arguments("many", untilCaughtUp: false, faults.ServiceUrl);

        using (var first = KafkaToS3Customers.Start(arguments))
        {
            var clock = Stopwatch.StartNew();
            await KafkaToS3GroupFixture.WaitUntilAsync(() => Task.FromResult(customers.EveryPartitionCommitted("many")), TimeSpan.FromSeconds(120), () => "every window committed\n" + first.Output);
            TestContext.Out.WriteLine($"every window committed after {clock.Elapsed.TotalSeconds:0.0} s");
            await customers.EachTenantHasItsRecordsOnceAsync(k => $"healthy tenant {k}: each event once", which: k => k is not Silent and not Refusing);

            // Records produced while the two stay broken: committed promptly too.
            await customers.Topic.ProduceMoreAsync(200);
            clock.Restart();
            await KafkaToS3GroupFixture.WaitUntilAsync(() => Task.FromResult(customers.EveryPartitionCommitted("many")), TimeSpan.FromSeconds(60), () => "the new windows committed\n" + first.Output);
            TestContext.Out.WriteLine($"the new windows committed after {clock.Elapsed.TotalSeconds:0.0} s");

            await first.StopsCleanlyAsync("INT", TimeSpan.FromSeconds(25), "SIGINT: bounded");
        }

        faults.Heal();
        using var second = KafkaToS3Customers.Start(arguments);
        await KafkaToS3GroupFixture.WaitUntilAsync(async () => (await StagingPeers.KeysAsync(customers.Stage)).Count == 0, TimeSpan.FromSeconds(120), () => "the stage emptied\n" + second.Output);
        await second.StopsCleanlyAsync("TERM");
        await customers.EachTenantHasItsRecordsOnceAsync(k => $"tenant {k}: each event once over both runs");
    }
}
