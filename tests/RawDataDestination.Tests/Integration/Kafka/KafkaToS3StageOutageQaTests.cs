namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// The KafkaToS3 program run as a process while a customer is broken (its role refused) and the staging bucket fails
/// for a transient reason (503 SlowDown on every PUT, or PUTs that never get an answer): the partition that carries the
/// broken customer is held, not lost and not committed, while the other partitions reach their ends; SIGTERM stops it
/// in bounded time with exit 0; a restart with the stage healthy delivers the healthy customers' events once and stages
/// the broken one's once.
/// </summary>
[CancelAfter(240_000)]
public class KafkaToS3StageOutageQaTests
{
    private const int Tenants = 4, Refused = 0;

    [TestCase(true)]
    [TestCase(false)]
    public async Task KafkaToS3Program_StageFailingWhileATenantIsRefused_HoldsItsPartitionOnlyStopsOnSigtermAndARestartDeliversOnce(bool neverAnswers)
    {
        // The refused customer's records are all on partition 0; the other partitions carry only healthy customers.
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(120, sources: Tenants, sourceOf: i => i % 4 == 0 ? Refused : 1 + (i / 4 % 3));
        using var customers = await KafkaToS3Customers.CreateAsync(topic, withStage: true, externalIdOf: k => k == Refused ? "not-the-external-id" : null);
        bool broken = true;
        await using FaultProxy stageProxy = MotoFaults.Proxy(request =>
            broken && request.Method == "PUT" && request.Path.StartsWith($"/{customers.Stage}/", StringComparison.Ordinal)
                ? neverAnswers ? ProxyAction.Stall : ProxyAction.SlowDown
                : ProxyAction.Forward);
        using (var first = KafkaToS3Customers.Start(customers.Arguments("stage-down", untilCaughtUp: false, stageUrl: stageProxy.ServiceUrl)))
        {
            // Partition 0's first window is held; the others go on to their ends meanwhile.
            await first.WaitForAsync(lines => lines.Any(l => l.Contains("Held the window of " + topic.Name + "[0]", StringComparison.Ordinal)), TimeSpan.FromSeconds(60), "partition 0 held");

            // More records while it is held, once its first retry (1 s after the hold) is under way: the other
            // partitions' new windows must not wait for its retries. (Real time: a child process has no fake clock.)
            await Task.Delay(TimeSpan.FromSeconds(3));
            await topic.ProduceMoreAsync(60);
            var held = Stopwatch.StartNew();
            long[] ends = [.. Enumerable.Range(0, topic.Partitions).Select(topic.EndOffset)];
            await first.WaitForAsync(
                lines => Enumerable.Range(1, 3).All(p => lines.Any(l => l.Contains($"Committed {topic.Name}[{p}] at {ends[p]} ", StringComparison.Ordinal))),
                TimeSpan.FromSeconds(60),
                "partitions 1 to 3 committed to their ends");
            TestContext.Out.WriteLine($"partitions 1 to 3 done {held.Elapsed.TotalSeconds:0.0} s after the records produced while partition 0 was held");
            Assert.That(held.Elapsed, Is.LessThan(TimeSpan.FromSeconds(20)), "the held partition's retries do not stall the others\n" + first.Output);
            await first.StopsCleanlyAsync("TERM", TimeSpan.FromSeconds(25), "SIGTERM: a held window is dropped, the staging attempt under way is bounded");
            Assert.That(first.Output, Does.Contain("KafkaToS3 stopped: ").And.Contain(", 0 staged, 0 copied from the stage (0 left there), 27 offsets committed"));
            if (!neverAnswers)
            {
                // QA: it said "(AmazonS3Exception: Please reduce your request rate.)", naming neither the stage nor the code.
                Assert.That(first.Output, Does.Match($"could not be staged either: the staging bucket '{Regex.Escape(customers.Stage)}' did not take it: .*SlowDown"), "names the staging bucket and S3's answer\n" + first.Output);
            }
        }

        Assert.That(topic.CommittedOffsets("stage-down")[0], Is.LessThan(0), "a held window is never committed");

        broken = false;
        using var second = KafkaToS3Customers.Start(customers.Arguments("stage-down", untilCaughtUp: true, stageUrl: stageProxy.ServiceUrl));
        Assert.That(await second.WaitForExitAsync(TimeSpan.FromSeconds(120)), Is.EqualTo(0), second.Output);
        TestContext.Out.WriteLine(second.Output);
        Assert.That(topic.CommittedOffsets("stage-down"), Is.EqualTo(Enumerable.Range(0, topic.Partitions).Select(topic.EndOffset)), "every window committed");
        await customers.EachTenantHasItsRecordsOnceAsync(k => $"tenant {k}: each event once", which: k => k != Refused);

        Assert.That(await KafkaTopic.StagedMessageIdsAsync(customers.Stage), Is.EquivalentTo(topic.ExpectedMessageIdsOf(Refused)), "the refused customer's events staged, once");
    }
}
