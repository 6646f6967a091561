namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// A KafkaToS3 run until caught up with nothing new to read, over a stage that holds an earlier run's batches for a
/// customer whose bucket takes them again: the run ends its copiers' pass before it ends, and its last line says how
/// many batches are left in the stage. It ended while the pass was under way, leaving batches staged without a word.
/// </summary>
[CancelAfter(240_000)]
public class KafkaToS3StageLeftProcessTests
{
    private const int Refusing = 0, Tenants = 2;

    [Test]
    public async Task KafkaToS3Program_UntilCaughtUpWithNothingNewOverAnEarlierRunsStage_CopiesItBeforeItEndsAndSaysNoneIsLeft()
    {
        // Enough records that the refusing customer's make about 20 staged batches, and the copier's pass as many PUTs.
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(200, sources: Tenants);
        using var customers = await KafkaToS3Customers.CreateAsync(topic, withStage: true);
        await using var faults = TenantPutFaults.Start(customers.Customer, (Refusing, ProxyAction.AccessDenied));

        var (firstExit, firstOut, firstErr) = await customers.RunToEndAsync("stage-left", faults.ServiceUrl);
        Assert.That(firstExit, Is.Zero, firstOut + firstErr);
        int staged = (await StagingPeers.KeysAsync(customers.Stage)).Count(key => !key.EndsWith(".parked.json", StringComparison.Ordinal));
        Assert.That(staged, Is.Positive, "the refusing customer's batches staged\n" + firstOut);
        Assert.That(firstOut, Does.Contain($"0 copied from the stage ({staged} left there)"), "the first run's last line counts what it left staged");

        // The customer takes them again, each PUT answered seconds later (within the response timeout): the pass over
        // its many batches lasts past the moment the run is caught up.
        faults.Set(Refusing, new ProxyDecision(ProxyAction.Forward) { Delay = TimeSpan.FromSeconds(6) });
        var (exitCode, stdout, stderr) = await customers.RunToEndAsync("stage-left", faults.ServiceUrl);
        TestContext.Out.WriteLine(stdout + "\n--- stderr ---\n" + stderr);

        Assert.That(exitCode, Is.Zero, stdout + stderr);
        Assert.That(stdout, Does.Contain($"0 staged, {staged} copied from the stage (0 left there)"), "the second run copied all before it ended, and said so");
        Assert.That(await StagingPeers.KeysAsync(customers.Stage), Is.Empty, "nothing left staged, markers included");
        for (int k = 0; k < Tenants; k++)
        {
            Assert.That(await customers.MessageIdsAsync(k), Is.EquivalentTo(topic.ExpectedMessageIdsOf(k)), $"tenant {k}: each of its records once");
        }
    }
}
