namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// The KafkaToS3 program run as a scheduled batch job runs it (<c>--until-caught-up</c>, no stage), two customers of which
/// one's endpoint never answers (its PUTs stalled by the fault proxy, on partitions 0 and 1): the run gives those
/// partitions up once their held windows have kept failing for <c>--retry-time-limit</c>, delivers the other customer,
/// commits nothing it did not deliver and exits 1 naming them; a rerun with the customer answering again delivers the
/// rest, every event once. The same for a refused customer whose batches the staging bucket, silent, does not take.
/// </summary>
[CancelAfter(240_000)]
public class KafkaToS3RetryTimeLimitProcessTests
{
    private const int Healthy = 0, Silent = 1;

    [Test]
    public async Task KafkaToS3Program_UntilCaughtUpWithoutAStage_ACustomerWhoseEndpointNeverAnswers_GivesItsPartitionsUpAfterTheRetryTimeLimitAndARerunDeliversTheRestOnce()
    {
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(40, sources: 2, sourceOf: i => i % 4 < 2 && i / 4 % 2 == 1 ? Silent : Healthy);
        string customer = await topic.NewCustomerBucketAsync();
        bool silent = true;
        await using FaultProxy proxy = MotoFaults.Proxy(request =>
            Volatile.Read(ref silent) && request.Method == "PUT" && request.Path.StartsWith(HeldTenantRun.TenantPath(customer, Silent), StringComparison.Ordinal) ? ProxyAction.Stall : ProxyAction.Forward);
        string file = KafkaToS3Program.WriteTenantsFile(KafkaTopic.TenantsJson(topic.Tenants(k => HeldTenantRun.TenantBucket(customer, k))));
        try
        {
            List<string> arguments = [.. KafkaToS3Program.Arguments(topic, "silent-customer", file, proxy.ServiceUrl.ToString()), "--retry-time-limit", "5"];
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

                Assert.That(errors[^1], Does.Contain("Stopping with exit 1: 2 partition(s) given up, 2 caught up.").And.Contain("--retry-time-limit"), "what to do, last\n" + first.Errors);
                Assert.That(first.Lines.Last(), Does.StartWith("KafkaToS3 stopped: "), "the summary line last on stdout");
            }

            Assert.That(topic.CommittedOffsets("silent-customer"), Is.EqualTo(new[] { -1001L, -1001L, topic.EndOffset(2), topic.EndOffset(3) }), "nothing of partitions 0 and 1 committed; the others to their ends");
            IEnumerable<string> ofPartitions2And3 = topic.RecordsOf(Healthy).Where(i => i % 4 >= 2).Select(KafkaTopic.MessageId);
            Assert.That(await HeldTenantRun.TenantMessageIdsAsync(customer, Healthy), Is.Unique.And.SubsetOf(topic.ExpectedMessageIdsOf(Healthy)).And.SupersetOf(ofPartitions2And3), "the healthy customer's events once (all of partitions 2 and 3)");

            // The customer answers again; the job runs again, the same command.
            Volatile.Write(ref silent, false);
            await HeldTenantRun.RerunDeliversEveryEventOnceAsync(topic, "silent-customer", arguments, customer, Healthy, Silent);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public async Task KafkaToS3Program_UntilCaughtUp_ARefusedCustomerWhileTheStagingBucketNeverAnswers_GivesItsPartitionsUpAfterTheRetryTimeLimit()
    {
        // The refused customer's batches go to the stage, which never answers: their windows are held, as without a stage.
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(40, sources: 2, sourceOf: i => i % 4 < 2 && i / 4 % 2 == 1 ? Silent : Healthy);
        string customer = await topic.NewCustomerBucketAsync();
        string stage = await StagingPeers.NewBucketAsync("stage");
        await using FaultProxy stageProxy = MotoFaults.Proxy(request =>
            request.Method == "PUT" && request.Path.StartsWith($"/{stage}/", StringComparison.Ordinal) ? ProxyAction.Stall : ProxyAction.Forward);
        string file = KafkaToS3Program.WriteTenantsFile(KafkaTopic.TenantsJson(topic.Tenants(k => HeldTenantRun.TenantBucket(customer, k), k => k == Silent ? "not-the-external-id" : null)));
        try
        {
            List<string> arguments =
            [
                .. KafkaToS3Program.Arguments(topic, "stage-silent", file), "--retry-time-limit", "5",
                "--stage-bucket", stage, "--stage-region", "us-east-1", "--stage-endpoint-url", stageProxy.ServiceUrl.ToString(),
            ];
            using var run = KafkaToS3QaProcess.Start(arguments, SharedPeers.ServiceEnvironment());
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

            Assert.That(errors[^1], Does.Contain("Run again once the staging bucket (--stage-bucket)").And.Contain("raise --retry-time-limit").And.Not.Contain("run with --stage-bucket"), "what to do, last\n" + run.Errors);
            Assert.That(topic.CommittedOffsets("stage-silent"), Is.EqualTo(new[] { -1001L, -1001L, topic.EndOffset(2), topic.EndOffset(3) }), "nothing of partitions 0 and 1 committed; the others to their ends");
            IEnumerable<string> ofPartitions2And3 = topic.RecordsOf(Healthy).Where(i => i % 4 >= 2).Select(KafkaTopic.MessageId);
            Assert.That(await HeldTenantRun.TenantMessageIdsAsync(customer, Healthy), Is.Unique.And.SupersetOf(ofPartitions2And3), "the healthy customer's events of partitions 2 and 3, once");
        }
        finally
        {
            File.Delete(file);
        }
    }
}
