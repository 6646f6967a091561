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
        using KafkaToS3GroupFixture group = await KafkaToS3GroupFixture.CreateAsync(Tenants);
        KafkaTopic topic = group.Topic;
        bool throttled = true;
        await using FaultProxy proxy = MotoFaults.Proxy(request => throttled && group.IsPutOf(Throttled, request) ? ProxyAction.SlowDown : ProxyAction.Forward);

        for (int kill = 0; kill < Kills; kill++)
        {
            int commits = random.Next(1, 12);
            int delayMs = random.Next(0, 400);
            using var run = KafkaToS3QaProcess.Start(group.Arguments("killed", proxy.ServiceUrl), SharedPeers.ServiceEnvironment());
            await run.WaitForAsync(lines => lines.Count(l => l.Contains(" Committed ", StringComparison.Ordinal)) >= commits, TimeSpan.FromSeconds(90), $"{commits} commits in run {kill + 1}");
            await Task.Delay(delayMs); // real time: a random point between uploads and commits
            await run.SignalAsync("KILL", TimeSpan.FromSeconds(30));
            TestContext.Out.WriteLine($"run {kill + 1}: killed {delayMs} ms after commit {commits}; committed {string.Join(",", topic.CommittedOffsets("killed"))}");
        }

        // The last run, with the throttled customer answering again: to every partition's end, and the stage emptied.
        throttled = false;
        using var last = KafkaToS3QaProcess.Start(group.Arguments("killed", proxy.ServiceUrl), SharedPeers.ServiceEnvironment());
        // A partition may have been committed to its end by a killed run: ask the group, not the last run's log.
        await KafkaToS3GroupFixture.WaitUntilAsync(() => Task.FromResult(topic.CommittedOffsets("killed").SequenceEqual(group.Ends)), TimeSpan.FromSeconds(120), () => "every partition committed to its end\n" + last.Output);
        await KafkaToS3GroupFixture.WaitUntilAsync(async () => (await StagingPeers.KeysAsync(group.Stage)).Count == 0, TimeSpan.FromSeconds(60), () => "the stage emptied by the copier\n" + last.Output);
        await last.SignalAsync("TERM", TimeSpan.FromSeconds(60));
        TestContext.Out.WriteLine(last.Output);
        Assert.That(last.ExitCode, Is.EqualTo(0), last.Output);
        Assert.That(topic.CommittedOffsets("killed"), Is.EqualTo(group.Ends));

        ILookup<string, string> objectsOf = await group.ObjectsOfEachEventAsync();
        Assert.That(objectsOf.Select(g => g.Key), Is.EquivalentTo(topic.ExpectedMessageIds), "every event, none other");
        Assert.That(KafkaToS3GroupFixture.InTwoObjects(objectsOf), Is.Empty, "no event in two objects, nor twice in one");
    }
}
