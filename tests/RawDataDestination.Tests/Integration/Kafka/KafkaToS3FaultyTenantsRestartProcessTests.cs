namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// The KafkaToS3 program run as a process, with a stage, against five customers of which three are broken at the
/// connection level (PUTs that land and lose their answer, connections reset mid-request, PUTs never answered): stopped
/// with SIGTERM mid-flight, then run again with every customer answering until the copiers have emptied the stage.
/// Every record ends in its own customer's bucket exactly once, and nothing is left staged.
/// </summary>
[CancelAfter(240_000)]
public class KafkaToS3FaultyTenantsRestartProcessTests
{
    private const int LosesAnswers = 0, Resets = 1, Silent = 2, Tenants = 5;

    [Test]
    public async Task KafkaToS3Program_SigtermWhileTenantsResetOrNeverAnswerThenARestart_DeliversEveryRecordOnceToItsOwnCustomer()
    {
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(120, sources: Tenants);
        using var customers = await KafkaToS3Customers.CreateAsync(topic, withStage: true);
        await using var faults = TenantPutFaults.Start(
            customers.Customer, (LosesAnswers, ProxyAction.LandThenDropResponse), (Resets, ProxyAction.ResetMidRequest), (Silent, ProxyAction.Stall));
        List<string> arguments = customers.Arguments("faulty", untilCaughtUp: false, faults.ServiceUrl);

        // First run: SIGTERM mid-flight, once something is committed and the broken customers' batches are being staged.
        using (var first = KafkaToS3Customers.Start(arguments))
        {
            await first.WaitForAsync(lines => lines.Any(l => l.Contains(" Committed ", StringComparison.Ordinal)) && lines.Any(l => l.Contains("staging bucket", StringComparison.Ordinal)), TimeSpan.FromSeconds(90), "a commit, and a batch on its way to the stage");
            await first.StopsCleanlyAsync("TERM", TimeSpan.FromSeconds(25), "SIGTERM ends within the step-aside and the connect and response timeouts");
        }

        // Second run, every customer answering: the windows not committed are read again, and the copiers' first pass
        // delivers what the first run staged.
        faults.Heal();
        using var second = KafkaToS3Customers.Start(arguments);
        var clock = Stopwatch.StartNew();
        while (!await EverythingDeliveredAsync(customers))
        {
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(120)), "every record in its customer's bucket and the stage emptied\n" + second.Output);
            Assert.That(second.HasExited, Is.False, second.Output);
            await Task.Delay(250, CancellationToken.None);
        }

        await second.StopsCleanlyAsync("TERM");
        Assert.That(topic.CommittedOffsets("faulty"), Is.EqualTo(Enumerable.Range(0, topic.Partitions).Select(topic.EndOffset)), "every window committed");
        await customers.EachTenantHasItsRecordsOnceAsync(k => $"tenant {k}: each of its records once, and no other customer's");

        Assert.That(await StagingPeers.KeysAsync(customers.Stage), Is.Empty, "nothing left staged, markers included");
    }

    private static async Task<bool> EverythingDeliveredAsync(KafkaToS3Customers customers)
    {
        if ((await StagingPeers.KeysAsync(customers.Stage)).Count > 0)
        {
            return false;
        }

        for (int k = 0; k < Tenants; k++)
        {
            if ((await customers.MessageIdsAsync(k)).Distinct().Count() < customers.Topic.ExpectedMessageIdsOf(k).Count())
            {
                return false;
            }
        }

        return true;
    }
}
