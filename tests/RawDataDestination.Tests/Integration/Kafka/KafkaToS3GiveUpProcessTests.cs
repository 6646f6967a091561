namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// The KafkaToS3 program run as a scheduled batch job runs it (<c>--until-caught-up</c>), two customers of which one is
/// broken (on partitions 0 and 1): its bucket does not exist, or its endpoint never answers (its PUTs stalled by the
/// fault proxy) until the held windows have kept failing for <c>--retry-time-limit</c>, or it is refused while the
/// staging bucket never answers. The run gives those partitions up, delivers the other customer, commits nothing it did
/// not deliver, and its exit code and stderr say so in the words of the tenants file and the flags, whether it ends by
/// itself or a signal stops it first; a rerun with the customer answering again delivers the rest, every event once.
/// </summary>
[CancelAfter(300_000)]
public class KafkaToS3GiveUpProcessTests
{
    private const int Healthy = 0, Missing = 1, Silent = 1, Throttled = 2;

    [Test]
    public async Task KafkaToS3Program_UntilCaughtUpWithoutAStage_ACustomerWhoseBucketDoesNotExist_ExitsOneNamingTheGivenUpPartitionsOnStderr()
    {
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(40, sources: 2, sourceOf: KafkaTopic.OnPartitions0And1(Missing, Healthy));
        string missing = await KafkaToS3Customers.MissingBucketAsync();
        using var customers = await KafkaToS3Customers.CreateAsync(topic, bucketOf: k => k == Missing ? missing : null);

        var (exitCode, stdout, stderr) = await customers.RunToEndAsync("given-up");
        TestContext.Out.WriteLine(stdout + "\n--- stderr ---\n" + stderr);

        Assert.That(exitCode, Is.EqualTo(1), "partitions given up: not exit 0\n" + stdout + stderr);
        AssertGivenUpNamed(stderr, topic, missing);
        Assert.That(stderr, Does.Contain("Stopping with exit 1: 2 partitions given up, 2 caught up. Fix the customer's setup"));
        Assert.That(stdout.TrimEnd().Split('\n')[^1], Does.StartWith("KafkaToS3 stopped: "), "the summary line last on stdout");
        Assert.That(topic.CommittedOffsets("given-up"), Is.EqualTo(topic.OnlyPartitions2And3Committed), "nothing of partitions 0 and 1 committed; the others to their ends");
        List<string> delivered = await customers.MessageIdsAsync(Healthy);
        IEnumerable<string> ofPartitions2And3 = topic.MessageIdsOnPartitions2And3(Healthy);
        Assert.That(delivered, Is.Unique.And.SubsetOf(topic.ExpectedMessageIdsOf(Healthy)).And.SupersetOf(ofPartitions2And3), "the healthy customer's events once (all of partitions 2 and 3)");
    }

    [Test]
    public async Task KafkaToS3Program_UntilCaughtUpWithoutAStage_ACustomerWhoseRoleRefusesTheExternalId_ExitsOneNamingTheRefusalOnStderr()
    {
        // A customer whose role's trust no longer accepts the external id (trust revoked): STS refuses AssumeRole, a
        // refusal retrying cannot fix, so its partitions are given up as for a bucket that does not exist.
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(40, sources: 2, sourceOf: KafkaTopic.OnPartitions0And1(Missing, Healthy));
        using var customers = await KafkaToS3Customers.CreateAsync(topic, externalIdOf: k => k == Missing ? "not-the-external-id" : null);

        var (exitCode, stdout, stderr) = await customers.RunToEndAsync("trust-revoked");
        TestContext.Out.WriteLine(stdout + "\n--- stderr ---\n" + stderr);

        Assert.That(exitCode, Is.EqualTo(1), stdout + stderr);
        foreach (int partition in new[] { 0, 1 })
        {
            Assert.That(stderr, Does.Contain($"Not caught up: {topic.Name}[{partition}], nothing committed from offset 0 on; refused by tenant {topic.Sources[Missing]}: STS refused to assume role"));
        }

        Assert.That(topic.CommittedOffsets("trust-revoked"), Is.EqualTo(topic.OnlyPartitions2And3Committed));
        Assert.That(await customers.MessageIdsAsync(Missing), Is.Empty, "nothing of the refused customer's");
    }

    [Test]
    public async Task KafkaToS3Program_SigtermAfterAPartitionWasGivenUpBeforeTheOthersAreCaughtUp_ExitsOneNamingTheGivenUpPartitions()
    {
        // A third customer, on partition 2 only, throttled for good: its window is held and retried (a transient failure is
        // never given up), so the run is not over when partitions 0 and 1 are given up. SIGTERM then: the run ended with
        // exit 0, the give-up only in the log.
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(40, sources: 3, sourceOf: i => i / 4 % 2 == 0 ? Healthy : i % 4 < 2 ? Missing : i % 4 == 2 ? Throttled : Healthy);
        string missing = await KafkaToS3Customers.MissingBucketAsync();
        using var customers = await KafkaToS3Customers.CreateAsync(topic, bucketOf: k => k == Missing ? missing : null);
        await using var faults = TenantPutFaults.Start(customers.Customer, (Throttled, ProxyAction.SlowDown));
        using var program = KafkaToS3Customers.Start(customers.Arguments("given-up-then-stopped", untilCaughtUp: true, faults.ServiceUrl));
        await program.WaitForAsync(lines => lines.Count(l => l.Contains("Gave up ", StringComparison.Ordinal)) == 2 && lines.Any(l => l.Contains("Held the window of " + topic.Name + "[2]", StringComparison.Ordinal)), TimeSpan.FromSeconds(60), "partitions 0 and 1 given up while partition 2 is held");
        Assert.That(program.HasExited, Is.False, "partition 2 is not caught up: its held window is retried");

        TimeSpan stopping = await program.SignalAsync("TERM", TimeSpan.FromSeconds(30));
        TestContext.Out.WriteLine($"stopped {stopping.TotalSeconds:0.0} s after SIGTERM, exit {program.ExitCode}\n{program.Output}");

        Assert.That(program.ExitCode, Is.EqualTo(ExitCodes.Failed), "two partitions given up, their windows undelivered: not exit 0\n" + program.Output);
        AssertGivenUpNamed(program.Errors, topic, missing);
        Assert.That(program.Errors, Does.Contain("Stopping with exit 1: 2 partitions given up, 1 caught up, 1 stopped by the signal before their end. Fix the customer's setup"));
        Assert.That(program.Lines.Last(), Does.StartWith("KafkaToS3 stopped: "), "the summary line last on stdout");
        long[] committed = topic.CommittedOffsets("given-up-then-stopped");
        Assert.That((committed[0], committed[1], committed[3]), Is.EqualTo((-1001L, -1001L, topic.EndOffset(3))), "nothing of the given-up partitions committed");
        Assert.That(committed[2], Is.LessThan(topic.EndOffset(2)), "the throttled customer's window held, uncommitted");
    }

    [Test]
    public async Task KafkaToS3Program_AWindowGivenUpForOneCustomersRefusalWhileAnotherIsThrottled_LosesNoneOfTheThrottledOnesEventsAndARerunDeliversEachOnce()
    {
        // Partitions 0 and 1 carry both customers in the same windows: one refuses (AccessDenied), the other is throttled
        // (503 SlowDown) and recovers later; partitions 2 and 3 carry only the throttled one. Giving up a window for the
        // refusal must neither commit nor lose the throttled customer's batch held in it.
        const int Throttled = 0, Refusing = 1;
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(40, sources: 2, sourceOf: KafkaTopic.OnPartitions0And1(Refusing, Throttled));
        using var customers = await KafkaToS3Customers.CreateAsync(topic);
        await using var faults = TenantPutFaults.Start(customers.Customer, (Refusing, ProxyAction.AccessDenied), (Throttled, ProxyAction.SlowDown));
        List<string> arguments = customers.Arguments("refused-and-throttled", untilCaughtUp: true, faults.ServiceUrl);
        using (var first = KafkaToS3QaProcess.Start(arguments, SharedPeers.ServiceEnvironment()))
        {
            await first.WaitForAsync(
                lines => lines.Count(l => l.Contains("Gave up ", StringComparison.Ordinal)) == 2
                    && lines.Any(l => l.Contains("Held the window of " + topic.Name + "[2]", StringComparison.Ordinal))
                    && lines.Any(l => l.Contains("Held the window of " + topic.Name + "[3]", StringComparison.Ordinal)),
                TimeSpan.FromSeconds(60),
                "partitions 0 and 1 given up while 2 and 3 are held");
            Assert.That(topic.CommittedOffsets("refused-and-throttled"), Is.EqualTo(new[] { -1001L, -1001L, -1001L, -1001L }), "nothing committed while the throttled customer's batches are not delivered");

            // The throttled customer recovers (the refusing one does not): partitions 2 and 3 are delivered, and the run ends.
            faults.Heal();
            int exitCode = await first.WaitForExitAsync(TimeSpan.FromSeconds(120));
            TestContext.Out.WriteLine(first.Output);
            Assert.That(exitCode, Is.EqualTo(ExitCodes.Failed), first.Output);
            Assert.That(first.Errors, Does.Contain($"Not caught up: {topic.Name}[0], nothing committed from offset 0 on; refused by tenant {topic.Sources[Refusing]}: "));
        }

        Assert.That(topic.CommittedOffsets("refused-and-throttled"), Is.EqualTo(topic.OnlyPartitions2And3Committed), "nothing of the given-up partitions committed");
        IEnumerable<string> ofPartitions2And3 = topic.MessageIdsOnPartitions2And3(Throttled);
        Assert.That(await customers.MessageIdsAsync(Throttled), Is.Unique.And.SupersetOf(ofPartitions2And3), "the throttled customer's events of partitions 2 and 3, once");

        // The refusing customer fixes its setup; the job runs again, the same command.
        await HeldTenantRun.RerunDeliversEveryEventOnceAsync(topic, "refused-and-throttled", arguments, customers.Customer, Throttled, Refusing);
    }

    [Test]
    public async Task KafkaToS3Program_UntilCaughtUpWithoutAStage_ACustomerWhoseEndpointNeverAnswers_GivesItsPartitionsUpAfterTheRetryTimeLimitAndARerunDeliversTheRestOnce()
    {
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(40, sources: 2, sourceOf: KafkaTopic.OnPartitions0And1(Silent, Healthy));
        using var customers = await KafkaToS3Customers.CreateAsync(topic);
        await using var faults = TenantPutFaults.Start(customers.Customer, (Silent, ProxyAction.Stall));
        List<string> arguments = [.. customers.Arguments("silent-customer", untilCaughtUp: true, faults.ServiceUrl), "--retry-time-limit", "5"];
        using (var first = KafkaToS3QaProcess.Start(arguments, SharedPeers.ServiceEnvironment()))
        {
            // It waited for the silent customer as long as it ran: a scheduled job never ended.
            int exitCode = await first.WaitForExitAsync(TimeSpan.FromSeconds(90));
            TestContext.Out.WriteLine(first.Output);

            Assert.That(exitCode, Is.EqualTo(ExitCodes.Failed), "partitions given up: not exit 0\n" + first.Output);
            List<string> errors = [.. first.Errors.Split('\n').Where(l => l.Trim().Length > 0)];
            foreach (int partition in new[] { 0, 1 })
            {
                Assert.That(errors, Has.One.Contain($"Not caught up: {topic.Name}[{partition}], nothing committed from offset 0 on; tenant {topic.Sources[Silent]} kept failing for 5 s (--retry-time-limit): "), first.Errors);
            }

            Assert.That(errors[^1], Does.Contain("Stopping with exit 1: 2 partitions given up, 2 caught up.").And.Contain("--retry-time-limit"), "what to do, last\n" + first.Errors);
            Assert.That(first.Lines.Last(), Does.StartWith("KafkaToS3 stopped: "), "the summary line last on stdout");
        }

        Assert.That(topic.CommittedOffsets("silent-customer"), Is.EqualTo(topic.OnlyPartitions2And3Committed), "nothing of partitions 0 and 1 committed; the others to their ends");
        IEnumerable<string> ofPartitions2And3 = topic.MessageIdsOnPartitions2And3(Healthy);
        Assert.That(await customers.MessageIdsAsync(Healthy), Is.Unique.And.SubsetOf(topic.ExpectedMessageIdsOf(Healthy)).And.SupersetOf(ofPartitions2And3), "the healthy customer's events once (all of partitions 2 and 3)");

        // The customer answers again; the job runs again, the same command.
        faults.Heal();
        await HeldTenantRun.RerunDeliversEveryEventOnceAsync(topic, "silent-customer", arguments, customers.Customer, Healthy, Silent);
    }

    [Test]
    public async Task KafkaToS3Program_UntilCaughtUp_ARefusedCustomerWhileTheStagingBucketNeverAnswers_GivesItsPartitionsUpAfterTheRetryTimeLimit()
    {
        // The refused customer's batches go to the stage, which never answers: their windows are held, as without a stage.
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(40, sources: 2, sourceOf: KafkaTopic.OnPartitions0And1(Silent, Healthy));
        using var customers = await KafkaToS3Customers.CreateAsync(topic, withStage: true, externalIdOf: k => k == Silent ? "not-the-external-id" : null);
        await using FaultProxy stageProxy = MotoFaults.Proxy(request =>
            request.Method == "PUT" && request.Path.StartsWith($"/{customers.Stage}/", StringComparison.Ordinal) ? ProxyAction.Stall : ProxyAction.Forward);
        using var run = KafkaToS3Customers.Start([.. customers.Arguments("stage-silent", untilCaughtUp: true, stageUrl: stageProxy.ServiceUrl), "--retry-time-limit", "5"]);
        int exitCode = await run.WaitForExitAsync(TimeSpan.FromSeconds(90));
        TestContext.Out.WriteLine(run.Output);

        Assert.That(exitCode, Is.EqualTo(ExitCodes.Failed), run.Output);
        List<string> errors = [.. run.Errors.Split('\n').Where(l => l.Trim().Length > 0)];
        foreach (int partition in new[] { 0, 1 })
        {
            // Why the customer's bucket did not take it (STS refused the role), and why the stage did not either.
            string givenUp = $"Not caught up: {topic.Name}[{partition}], nothing committed from offset 0 on; tenant {topic.Sources[Silent]} kept failing for 5 s (--retry-time-limit): STS refused to assume role";
            Assert.That(errors.Count(l => l.Contains(givenUp, StringComparison.Ordinal) && l.Contains("; and not staged: the staging bucket ", StringComparison.Ordinal)), Is.EqualTo(1), run.Errors);
        }

        Assert.That(errors, Has.None.Contain(".;").And.None.Contain(".."), "each reason is a clause of its line, without its own full stop\n" + run.Errors);
        Assert.That(errors[^1], Does.Contain("Run again once the staging bucket (--stage-bucket)").And.Contain("raise --retry-time-limit").And.Not.Contain("run with --stage-bucket"), "what to do, last\n" + run.Errors);
        Assert.That(topic.CommittedOffsets("stage-silent"), Is.EqualTo(topic.OnlyPartitions2And3Committed), "nothing of partitions 0 and 1 committed; the others to their ends");
        IEnumerable<string> ofPartitions2And3 = topic.MessageIdsOnPartitions2And3(Healthy);
        Assert.That(await customers.MessageIdsAsync(Healthy), Is.Unique.And.SupersetOf(ofPartitions2And3), "the healthy customer's events of partitions 2 and 3, once");
    }

    /// <summary>Stderr names each given-up partition with its tenant and the refusal in the tenants file's words, then what to do, last.</summary>
    private static void AssertGivenUpNamed(string stderr, KafkaTopic topic, string missing)
    {
        List<string> lines = [.. stderr.Split('\n').Where(l => l.Trim().Length > 0)];
        foreach (int partition in new[] { 0, 1 })
        {
            Assert.That(lines, Has.One.Contain($"Not caught up: {topic.Name}[{partition}], nothing committed from offset 0 on; refused by tenant {topic.Sources[Missing]}: Bucket '{missing}' does not exist (NoSuchBucket)."), stderr);
        }

        Assert.That(stderr, Does.Contain("Check the bucket name in the tenant's \"bucket\" in the --tenants file.").And.Not.Contain("in Bucket."), "the setting named as the tenants file has it");
        Assert.That(lines[^1], Does.Contain("Fix the customer's setup").And.Contain("--stage-bucket"), "what to do, last");
    }
}
