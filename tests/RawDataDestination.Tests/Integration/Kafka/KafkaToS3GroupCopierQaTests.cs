namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// Two KafkaToS3 programs in one group over a stage that an earlier run filled (one customer refusing, one throttling,
/// every offset committed): once both hold their partitions, each staged batch is copied by one of them, so the
/// customers' bucket gets one PUT per staged batch and the two last lines' "copied from the stage" add up to what was
/// staged. Before, every worker's copiers listed and copied the whole stage: each batch was read and PUT by both, and
/// counted by both.
/// </summary>
[CancelAfter(300_000)]
public partial class KafkaToS3GroupCopierQaTests
{
    private const int Tenants = 2, Refused = 0, Throttled = 1;

    [Test]
    public async Task KafkaToS3Program_TwoWorkersInOneGroupOverAStage_EachStagedBatchIsPutOnceAndCountedOnce()
    {
        using KafkaToS3GroupFixture group = await KafkaToS3GroupFixture.CreateAsync(Tenants);
        KafkaTopic topic = group.Topic;

        // The earlier run: one customer refuses (its batches staged, then parked by the copier), the other throttles (staged,
        // then failing in the copier); every partition is committed to its end.
        await using (var faults = TenantPutFaults.Start(group.Customer, (Refused, ProxyAction.AccessDenied), (Throttled, ProxyAction.SlowDown)))
        {
            using var earlier = KafkaToS3Customers.Start(group.Arguments("copiers", faults.ServiceUrl));
            await KafkaToS3GroupFixture.WaitUntilAsync(
                () => Task.FromResult(topic.CommittedOffsets("copiers").SequenceEqual(group.Ends)), TimeSpan.FromSeconds(120), () => "every partition committed to its end\n" + earlier.Output);
            await earlier.StopsCleanlyAsync("TERM");
        }

        int staged = (await StagingPeers.KeysAsync(group.Stage)).Count(k => k.EndsWith(".gz", StringComparison.Ordinal));
        Assert.That(staged, Is.EqualTo(topic.BatchCount), "every batch of the topic staged");

        // Both customers take batches again, each PUT answered 300 ms later, so copies of one batch by two workers would
        // overlap. The copiers' listings wait until the group has settled (both workers hold their partitions): what is
        // tested is the steady state, not the moment of a rebalance, when two may copy one batch (harmlessly).
        var settled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using FaultProxy stageSide = MotoFaults.Proxy(request =>
            request.Method == "GET" && request.Path.Contains("list-type=2", StringComparison.Ordinal) && request.Path.Contains(group.Customer, StringComparison.Ordinal)
                ? new ProxyDecision(ProxyAction.Forward) { Gate = settled.Task }
                : ProxyAction.Forward);
        string customerPath = "/" + group.Customer + "/";
        await using FaultProxy customerSide = MotoFaults.Proxy(request =>
            request.Method == "PUT" && request.Path.StartsWith(customerPath, StringComparison.Ordinal)
                ? new ProxyDecision(ProxyAction.Forward) { Delay = TimeSpan.FromMilliseconds(300) }
                : ProxyAction.Forward);
        List<string> arguments = group.Arguments("copiers", customerSide.ServiceUrl, stageUrl: stageSide.ServiceUrl);
        string assigned = $"Assigned {topic.Name}[";
        using var first = KafkaToS3Customers.Start(arguments);
        await first.WaitForAsync(lines => lines.Count(l => l.Contains(assigned, StringComparison.Ordinal)) == topic.Partitions, TimeSpan.FromSeconds(60), "the first worker holding every partition");
        using var second = KafkaToS3Customers.Start(arguments);
        await second.WaitForAsync(lines => lines.Any(l => l.Contains(assigned, StringComparison.Ordinal)), TimeSpan.FromSeconds(60), "the second worker holding partitions");
        await first.WaitForAsync(lines => lines.Count(l => l.Contains(assigned, StringComparison.Ordinal)) > topic.Partitions, TimeSpan.FromSeconds(60), "the first worker holding the others after the rebalance");
        settled.SetResult();

        await KafkaToS3GroupFixture.WaitUntilAsync(
            async () => (await StagingPeers.KeysAsync(group.Stage)).Count == 0, TimeSpan.FromSeconds(120), () => "the stage emptied\n" + first.Output + "\n" + second.Output);
        await first.StopsCleanlyAsync("TERM");
        await second.StopsCleanlyAsync("TERM");

        List<string> puts = [.. customerSide.Log.Where(l => l.Request.Method == "PUT" && l.Request.Path.StartsWith(customerPath, StringComparison.Ordinal)).Select(l => l.Request.Path.Split('?')[0])];
        TestContext.Out.WriteLine($"{staged} staged; {puts.Count} PUTs to the customers' bucket");
        Assert.That(puts.GroupBy(p => p).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {g.Count()} PUTs"), Is.Empty, "each staged batch PUT to the customer once");
        Assert.That(puts, Has.Count.EqualTo(staged), "one PUT per staged batch");

        int copiedByFirst = Copied(first.Stdout), copiedBySecond = Copied(second.Stdout);
        Assert.That(copiedByFirst + copiedBySecond, Is.EqualTo(staged), "the two last lines' copies add up to what was staged");
        Assert.That(copiedByFirst, Is.Positive, "the first worker copied its share");
        Assert.That(copiedBySecond, Is.Positive, "the second worker copied its share");

        ILookup<string, string> objectsOf = await group.ObjectsOfEachEventAsync();
        Assert.That(objectsOf.Select(g => g.Key), Is.EquivalentTo(topic.ExpectedMessageIds), "every event, none other");
        Assert.That(KafkaToS3GroupFixture.InTwoObjects(objectsOf), Is.Empty, "no event in two objects");
    }

    private static int Copied(string stdout)
    {
        Match counts = CopiedCount().Match(stdout);
        Assert.That(counts.Success, Is.True, "the last line says how many were copied from the stage\n" + stdout);
        return int.Parse(counts.Groups["copied"].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"KafkaToS3 stopped: .*, (?<copied>\d+) copied from the stage")]
    private static partial Regex CopiedCount();
}
