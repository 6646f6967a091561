namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// A KafkaToS3 run until caught up with nothing new to read, over a stage that holds an earlier run's batches for a
/// customer whose bucket takes them again, each copy answered late: the run ends during its copiers' pass, and its last
/// line says how many batches it copied and how many are left in the stage, as the staging bucket holds them. It said
/// only "N copied from the stage", which an operator read as an empty stage.
/// </summary>
[CancelAfter(240_000)]
public partial class KafkaToS3StageLeftProcessTests
{
    private const int Refusing = 0, Tenants = 2;

    [Test]
    public async Task KafkaToS3Program_UntilCaughtUpEndingDuringACopierPass_SaysHowManyBatchesAreLeftInTheStage()
    {
        // Enough records that the refusing customer's make about 20 staged batches, and the copier's pass as many PUTs.
        using var customers = await KafkaToS3Customers.ProduceAsync(200, sources: Tenants, withStage: true);
        await using var faults = TenantPutFaults.Start(customers.Customer, (Refusing, ProxyAction.AccessDenied));

        var (firstExit, firstOut, firstErr) = await customers.RunToEndAsync("stage-left", faults.ServiceUrl);
        Assert.That(firstExit, Is.Zero, firstOut + firstErr);
        int staged = await StagedBatchesAsync(customers);
        Assert.That(staged, Is.Positive, "the refusing customer's batches staged\n" + firstOut);
        Assert.That(firstOut, Does.Contain($"0 copied from the stage ({staged} left there)"), "the first run's last line counts what it left staged");

        // The customer takes them again, each PUT answered seconds later (within the response timeout): the run is caught
        // up, and ends, during the pass over the customer's many batches.
        faults.Set(Refusing, new ProxyDecision(ProxyAction.Forward) { Delay = TimeSpan.FromSeconds(6) });
        var (exitCode, stdout, stderr) = await customers.RunToEndAsync("stage-left", faults.ServiceUrl);
        TestContext.Out.WriteLine(stdout + "\n--- stderr ---\n" + stderr);
        Assert.That(exitCode, Is.Zero, stdout + stderr);
        Match counts = StageCounts().Match(stdout);
        Assert.That(counts.Success, Is.True, "the last line: copied, and left there\n" + stdout);
        int copied = int.Parse(counts.Groups["copied"].Value, CultureInfo.InvariantCulture), left = int.Parse(counts.Groups["left"].Value, CultureInfo.InvariantCulture);
        Assert.That(left, Is.EqualTo(await StagedBatchesAsync(customers)), "what the line says is left is what the staging bucket holds");
        Assert.That(copied + left, Is.EqualTo(staged), "every staged batch copied or left, none counted twice");

        // A third run, answered at once, copies the rest: nothing was lost by the run that ended during its pass.
        faults.Heal();
        var (lastExit, lastOut, lastErr) = await customers.RunToEndAsync("stage-left", faults.ServiceUrl);
        Assert.That(lastExit, Is.Zero, lastOut + lastErr);
        await WaitUntilStageEmptyOrRunAgainAsync(customers);
        await customers.EachTenantHasItsRecordsOnceAsync(k => $"tenant {k}: each of its records once");
    }

    /// <summary>Runs again (bounded) while the stage still holds batches: a short run may end during its pass again.</summary>
    private static async Task WaitUntilStageEmptyOrRunAgainAsync(KafkaToS3Customers customers)
    {
        for (int run = 0; run < 5 && await StagedBatchesAsync(customers) > 0; run++)
        {
            var (exitCode, stdout, stderr) = await customers.RunToEndAsync("stage-left");
            Assert.That(exitCode, Is.Zero, stdout + stderr);
        }

        Assert.That(await StagingPeers.KeysAsync(customers.Stage), Is.Empty, "nothing left staged, markers included");
    }

    /// <summary>The staged batches in the stage (parked markers not counted).</summary>
    private static async Task<int> StagedBatchesAsync(KafkaToS3Customers customers) =>
        (await StagingPeers.KeysAsync(customers.Stage)).Count(key => !key.EndsWith(".parked.json", StringComparison.Ordinal));

    [GeneratedRegex(@"0 staged, (?<copied>\d+) copied from the stage \((?<left>\d+) left there\)")]
    private static partial Regex StageCounts();
}
