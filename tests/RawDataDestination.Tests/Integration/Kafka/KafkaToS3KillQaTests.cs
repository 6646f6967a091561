namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// The KafkaToS3 program killed with SIGKILL at seeded random points mid-run (between uploads and commits, while a
/// throttled customer's batches are staged and copied), and run again each time: in the end every event is in its
/// customer's bucket in exactly one object (an object rewritten at its own key is fine; an event in two objects is not),
/// nothing is left staged, and every offset is committed.
/// </summary>
[CancelAfter(420_000)]
public class KafkaToS3KillQaTests
{
    private const int Tenants = 4, Throttled = 2, Kills = 4;

    [Test]
    public async Task KafkaToS3Program_KilledAtRandomPointsAndRestarted_EveryEventInExactlyOneObject()
    {
        int seed = Environment.TickCount;
        TestContext.Out.WriteLine($"seed {seed}");
        var random = new Random(seed);
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(400, sources: Tenants);
        string customer = await topic.NewCustomerBucketAsync();
        string stage = await StagingPeers.NewBucketAsync("stage");
        bool throttled = true;
        await using FaultProxy proxy = MotoFaults.Proxy(request =>
            throttled && request.Method == "PUT" && request.Path.StartsWith($"/{customer}/t{Throttled:00}/", StringComparison.Ordinal) ? ProxyAction.SlowDown : ProxyAction.Forward);
        string tenants = KafkaToS3Program.WriteTenantsFile(KafkaTopic.TenantsJson(topic.Tenants(k => string.Create(CultureInfo.InvariantCulture, $"{customer}/t{k:00}"))));
        string kafkaConfig = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"kafka-{Guid.NewGuid():N}.properties");

        // A killed member is noticed within 3 s, so the next run is assigned its partitions soon.
        await File.WriteAllTextAsync(kafkaConfig, "session.timeout.ms=3000\nheartbeat.interval.ms=100\n");
        long[] ends = [.. Enumerable.Range(0, topic.Partitions).Select(topic.EndOffset)];
        try
        {
            List<string> Arguments() =>
            [
                .. KafkaToS3Program.Arguments(topic, "killed", tenants, proxy.ServiceUrl.ToString(), untilCaughtUp: false),
                "--stage-bucket", stage, "--stage-region", "us-east-1", "--stage-endpoint-url", SharedPeers.S3.ServiceUrl,
                "--kafka-config", kafkaConfig, "--direct-step-aside", "60",
            ];

            for (int kill = 0; kill < Kills; kill++)
            {
                int commits = random.Next(1, 12);
                int delayMs = random.Next(0, 400);
                using var run = KafkaToS3QaProcess.Start(Arguments(), SharedPeers.ServiceEnvironment());
                await run.WaitForAsync(lines => lines.Count(l => l.Contains(" Committed ", StringComparison.Ordinal)) >= commits, TimeSpan.FromSeconds(90), $"{commits} commits in run {kill + 1}");
                await Task.Delay(delayMs); // real time: a random point between uploads and commits
                await run.SignalAsync("KILL", TimeSpan.FromSeconds(30));
                TestContext.Out.WriteLine($"run {kill + 1}: killed {delayMs} ms after commit {commits}; committed {string.Join(",", topic.CommittedOffsets("killed"))}");
            }

            // The last run, with the throttled customer answering again: to every partition's end, and the stage emptied.
            throttled = false;
            using var last = KafkaToS3QaProcess.Start(Arguments(), SharedPeers.ServiceEnvironment());
            // A partition may have been committed to its end by a killed run: ask the group, not the last run's log.
            await WaitUntilAsync(() => Task.FromResult(topic.CommittedOffsets("killed").SequenceEqual(ends)), TimeSpan.FromSeconds(120), () => "every partition committed to its end\n" + last.Output);
            await WaitUntilAsync(async () => (await StagingPeers.KeysAsync(stage)).Count == 0, TimeSpan.FromSeconds(60), () => "the stage emptied by the copier\n" + last.Output);
            await last.SignalAsync("TERM", TimeSpan.FromSeconds(60));
            TestContext.Out.WriteLine(last.Output);
            Assert.That(last.ExitCode, Is.EqualTo(0), last.Output);
            Assert.That(topic.CommittedOffsets("killed"), Is.EqualTo(ends));

            Dictionary<string, string[]> objects = await Objects.ReadAllAsync("t", customer);
            var keysOf = objects.SelectMany(o => Objects.MessageIds(o.Value).Select(id => (Id: id, Key: o.Key))).ToLookup(x => x.Id, x => x.Key);
            Assert.That(keysOf.Select(g => g.Key), Is.EquivalentTo(topic.ExpectedMessageIds), "every event, none other");
            Assert.That(keysOf.Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(" ", g)}"), Is.Empty, "no event in two objects, nor twice in one");
        }
        finally
        {
            File.Delete(tenants);
            File.Delete(kafkaConfig);
        }
    }

    /// <summary>Polls <paramref name="done"/> every 200 ms (real time: the program is another process), at most <paramref name="bound"/>.</summary>
    internal static async Task WaitUntilAsync(Func<Task<bool>> done, TimeSpan bound, Func<string> what)
    {
        var deadline = Stopwatch.StartNew();
        while (!await done())
        {
            if (deadline.Elapsed > bound)
            {
                Assert.Fail($"Not {what()} within {bound}");
            }

            await Task.Delay(200);
        }
    }
}
