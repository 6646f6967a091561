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
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(400, sources: Tenants);
        string customer = await topic.NewCustomerBucketAsync();
        string stage = await StagingPeers.NewBucketAsync("stage");
        await using FaultProxy proxy = MotoFaults.Proxy(request =>
            request.Method == "PUT" && request.Path.StartsWith($"/{customer}/t{Reset:00}/", StringComparison.Ordinal) ? ProxyAction.ResetMidRequest : ProxyAction.Forward);
        string tenants = KafkaToS3Program.WriteTenantsFile(KafkaTopic.TenantsJson(topic.Tenants(k => string.Create(CultureInfo.InvariantCulture, $"{customer}/t{k:00}"))));
        string kafkaConfig = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"kafka-{Guid.NewGuid():N}.properties");
        await File.WriteAllTextAsync(kafkaConfig, "session.timeout.ms=3000\nheartbeat.interval.ms=100\n");
        long[] ends = [.. Enumerable.Range(0, topic.Partitions).Select(topic.EndOffset)];
        try
        {
            List<string> Arguments() =>
            [
                .. KafkaToS3Program.Arguments(topic, "pair", tenants, proxy.ServiceUrl.ToString(), untilCaughtUp: false),
                "--stage-bucket", stage, "--stage-region", "us-east-1", "--stage-endpoint-url", SharedPeers.S3.ServiceUrl,
                "--kafka-config", kafkaConfig, "--direct-step-aside", "60",
            ];

            using var first = KafkaToS3QaProcess.Start(Arguments(), SharedPeers.ServiceEnvironment());
            await first.WaitForAsync(lines => lines.Any(l => l.Contains(" Committed ", StringComparison.Ordinal)), TimeSpan.FromSeconds(60), "the first worker committing");
            using var second = KafkaToS3QaProcess.Start(Arguments(), SharedPeers.ServiceEnvironment());
            await second.WaitForAsync(lines => lines.Any(l => l.Contains(" Committed ", StringComparison.Ordinal)), TimeSpan.FromSeconds(60), "the second worker committing (a rebalance shared the partitions)");
            await first.SignalAsync("KILL", TimeSpan.FromSeconds(30));
            TestContext.Out.WriteLine($"first worker killed; committed {string.Join(",", topic.CommittedOffsets("pair"))}\n{first.Output}");

            // A partition may have been committed to its end by the killed worker: ask the group, not the second worker's log.
            await KafkaToS3KillQaTests.WaitUntilAsync(
                () => Task.FromResult(topic.CommittedOffsets("pair").SequenceEqual(ends)), TimeSpan.FromSeconds(120), () => "every partition committed to its end\n" + second.Output);
            TimeSpan stopping = await second.SignalAsync("INT", TimeSpan.FromSeconds(60));
            TestContext.Out.WriteLine($"second worker stopped {stopping.TotalSeconds:0.0} s after SIGINT\n{second.Output}");
            Assert.That(second.ExitCode, Is.EqualTo(0), second.Output);
            Assert.That(stopping, Is.LessThan(TimeSpan.FromSeconds(25)));
            Assert.That(second.Output, Does.Contain("KafkaToS3 stopped: "));
            Assert.That(topic.CommittedOffsets("pair"), Is.EqualTo(ends));

            Dictionary<string, string[]> objects = await Objects.ReadAllAsync("t", customer);
            var keysOf = objects.SelectMany(o => Objects.MessageIds(o.Value).Select(id => (Id: id, Key: o.Key))).ToLookup(x => x.Id, x => x.Key);
            Assert.That(keysOf.Select(g => g.Key), Is.EquivalentTo(Enumerable.Range(0, Tenants).Where(k => k != Reset).SelectMany(topic.ExpectedMessageIdsOf)), "the healthy customers' events, none of the reset one");
            Assert.That(keysOf.Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(" ", g)}"), Is.Empty, "no event in two objects");
            Assert.That(await KafkaTopic.StagedMessageIdsAsync(stage), Is.EquivalentTo(topic.ExpectedMessageIdsOf(Reset)), "the reset customer's events staged, each once");
        }
        finally
        {
            File.Delete(tenants);
            File.Delete(kafkaConfig);
        }
    }
}
