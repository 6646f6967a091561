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
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(400, sources: Tenants);
        string customer = await topic.NewCustomerBucketAsync();
        string stage = await StagingPeers.NewBucketAsync("stage");
        bool broken = true;
        await using FaultProxy proxy = MotoFaults.Proxy(request =>
            !Volatile.Read(ref broken) || request.Method != "PUT" ? ProxyAction.Forward
            : request.Path.StartsWith(HeldTenantRun.TenantPath(customer, Silent), StringComparison.Ordinal) ? ProxyAction.Stall
            : request.Path.StartsWith(HeldTenantRun.TenantPath(customer, Refusing), StringComparison.Ordinal) ? ProxyAction.AccessDenied
            : ProxyAction.Forward);
        string file = KafkaToS3Program.WriteTenantsFile(KafkaTopic.TenantsJson(topic.Tenants(k => HeldTenantRun.TenantBucket(customer, k))));
        try
        {
            List<string> arguments =
            [
                .. KafkaToS3Program.Arguments(topic, "many", file, proxy.ServiceUrl.ToString(), untilCaughtUp: false),
                "--stage-bucket", stage, "--stage-region", "us-east-1", "--stage-endpoint-url", SharedPeers.S3.ServiceUrl,
            ];

            using (var first = KafkaToS3QaProcess.Start(arguments, SharedPeers.ServiceEnvironment()))
            {
                var clock = Stopwatch.StartNew();
                await KafkaToS3GroupFixture.WaitUntilAsync(() => Task.FromResult(topic.CommittedOffsets("many").SequenceEqual(Enumerable.Range(0, topic.Partitions).Select(topic.EndOffset))), TimeSpan.FromSeconds(120), () => "every window committed\n" + first.Output);
                TestContext.Out.WriteLine($"every window committed after {clock.Elapsed.TotalSeconds:0.0} s");
                for (int k = 0; k < Tenants; k++)
                {
                    if (k is not Silent and not Refusing)
                    {
                        Assert.That(await HeldTenantRun.TenantMessageIdsAsync(customer, k), Is.EquivalentTo(topic.ExpectedMessageIdsOf(k)), $"healthy tenant {k}: each event once");
                    }
                }

                // Records produced while the two stay broken: committed promptly too.
                await topic.ProduceMoreAsync(200);
                clock.Restart();
                await KafkaToS3GroupFixture.WaitUntilAsync(() => Task.FromResult(topic.CommittedOffsets("many").SequenceEqual(Enumerable.Range(0, topic.Partitions).Select(topic.EndOffset))), TimeSpan.FromSeconds(60), () => "the new windows committed\n" + first.Output);
                TestContext.Out.WriteLine($"the new windows committed after {clock.Elapsed.TotalSeconds:0.0} s");

                TimeSpan stopping = await first.SignalAsync("INT", TimeSpan.FromSeconds(60));
                TestContext.Out.WriteLine($"first run stopped {stopping.TotalSeconds:0.0} s after SIGINT, exit {first.ExitCode}\n{first.Output}");
                Assert.That(first.ExitCode, Is.EqualTo(ExitCodes.Success), first.Output);
                Assert.That(stopping, Is.LessThan(TimeSpan.FromSeconds(25)), "SIGINT: bounded");
            }

            Volatile.Write(ref broken, false);
            using var second = KafkaToS3QaProcess.Start(arguments, SharedPeers.ServiceEnvironment());
            await KafkaToS3GroupFixture.WaitUntilAsync(async () => (await StagingPeers.KeysAsync(stage)).Count == 0, TimeSpan.FromSeconds(120), () => "the stage emptied\n" + second.Output);
            await second.SignalAsync("TERM", TimeSpan.FromSeconds(60));
            TestContext.Out.WriteLine(second.Output);
            Assert.That(second.ExitCode, Is.EqualTo(ExitCodes.Success), second.Output);
            for (int k = 0; k < Tenants; k++)
            {
                Assert.That(await HeldTenantRun.TenantMessageIdsAsync(customer, k), Is.EquivalentTo(topic.ExpectedMessageIdsOf(k)), $"tenant {k}: each event once over both runs");
            }
        }
        finally
        {
            File.Delete(file);
        }
    }
}
