namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// The KafkaToS3 program without a stage, killed with SIGKILL at seeded random points while one customer's PUTs land
/// and lose their answer and another's are throttled (their windows held), and run again each time: nothing is
/// committed past a window that was not delivered, and in the end every event is in its customer's bucket in exactly
/// one object, every offset committed.
/// </summary>
[CancelAfter(420_000)]
public class KafkaToS3KillWithoutStageQaTests
{
    private const int Tenants = 4, LosesAnswers = 1, Throttled = 2, Kills = 3;

    [Test]
    public async Task KafkaToS3Program_WithoutAStageKilledAtRandomPointsWhileTenantsAreBroken_CommitsOnlyWhatWasDeliveredAndEveryEventLandsInExactlyOneObject()
    {
        int seed = Environment.TickCount;
        TestContext.Out.WriteLine($"seed {seed}");
        var random = new Random(seed);
        using KafkaToS3GroupFixture group = await KafkaToS3GroupFixture.CreateAsync(Tenants);
        KafkaTopic topic = group.Topic;
        bool broken = true;
        await using FaultProxy proxy = MotoFaults.Proxy(request =>
            !Volatile.Read(ref broken) ? ProxyAction.Forward
            : group.IsPutOf(LosesAnswers, request) ? ProxyAction.LandThenDropResponse
            : group.IsPutOf(Throttled, request) ? ProxyAction.SlowDown
            : ProxyAction.Forward);
        List<string> arguments = WithoutStage(group.Arguments("killed", proxy.ServiceUrl));

        for (int kill = 0; kill < Kills; kill++)
        {
            int delayMs = random.Next(0, 4000);
            using var run = KafkaToS3QaProcess.Start(arguments, SharedPeers.ServiceEnvironment());
            await run.WaitForAsync(lines => lines.Any(l => l.Contains("Held the window", StringComparison.Ordinal)), TimeSpan.FromSeconds(90), $"a held window in run {kill + 1}");
            await Task.Delay(delayMs); // real time: a random point among held windows' retries
            await run.SignalAsync("KILL", TimeSpan.FromSeconds(30));
            TestContext.Out.WriteLine($"run {kill + 1}: killed {delayMs} ms after its first held window; committed {string.Join(",", topic.CommittedOffsets("killed"))}");

            // Every partition carries every customer, and the broken ones' windows were never delivered: no commit at all.
            Assert.That(topic.CommittedOffsets("killed"), Has.All.EqualTo(-1001L), "nothing committed past a window whose batches were not delivered\n" + run.Output);
        }

        Volatile.Write(ref broken, false);
        using var last = KafkaToS3QaProcess.Start(arguments, SharedPeers.ServiceEnvironment());
        await KafkaToS3GroupFixture.WaitUntilAsync(() => Task.FromResult(topic.CommittedOffsets("killed").SequenceEqual(group.Ends)), TimeSpan.FromSeconds(120), () => "every partition committed to its end\n" + last.Output);
        await last.SignalAsync("TERM", TimeSpan.FromSeconds(60));
        Assert.That(last.ExitCode, Is.EqualTo(0), last.Output);

        ILookup<string, string> objectsOf = await group.ObjectsOfEachEventAsync();
        Assert.That(objectsOf.Select(g => g.Key), Is.EquivalentTo(topic.ExpectedMessageIds), "every event, none other");
        Assert.That(KafkaToS3GroupFixture.InTwoObjects(objectsOf), Is.Empty, "no event in two objects, nor twice in one");
    }

    private static List<string> WithoutStage(List<string> arguments)
    {
        int stage = arguments.IndexOf("--stage-bucket");
        arguments.RemoveRange(stage, 6);
        return arguments;
    }
}
