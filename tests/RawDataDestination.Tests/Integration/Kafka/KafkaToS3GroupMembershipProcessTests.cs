using Confluent.Kafka;

namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// The KafkaToS3 program when the group stops counting it as a member: a scheduled run (<c>--until-caught-up</c>) whose
/// group coordinator goes away mid-run loses its partitions, says so per partition (and the refused commit dropped with
/// each) and, given none again within <c>--assign-timeout</c>, leaves with exit 1 naming Kafka's last error (it waited as
/// long as the coordinator was away, saying nothing); and a worker paused past its session timeout (SIGSTOP, SIGCONT)
/// ends with a line that says it was no longer a member and that nothing is lost, not that the coordinator must answer.
/// </summary>
[CancelAfter(240_000)]
public class KafkaToS3GroupMembershipProcessTests
{
    private const int Coordinator = 2, Leader = 1;

    [Test]
    public async Task KafkaToS3Program_UntilCaughtUp_WhoseCoordinatorGoesAwayMidRun_SaysItLostEachPartitionAndExitsOneAtTheAssignTimeout()
    {
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(40);
        for (int partition = 0; partition < topic.Partitions; partition++)
        {
            topic.Cluster.SetPartitionLeader(topic.Name, partition, Leader); // the records stay readable; only the coordinator goes
        }

        const string group = "coordinator-away";
        topic.Cluster.SetCoordinator(group, Coordinator);
        using var customers = await KafkaToS3Customers.CreateAsync(topic);

        // The customer's PUTs wait until the coordinator is down (the records are read by then: the committed offsets
        // were fetched from it): every window's commit is refused, none lands.
        var firstPut = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var coordinatorDown = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using FaultProxy customer = PutsHeldUntil(coordinatorDown.Task, firstPut);
        string kafkaConfig = KafkaToS3Program.WriteShortSessionConfig();
        try
        {
            using KafkaToS3QaProcess run = KafkaToS3Customers.Start([.. customers.Arguments(group, untilCaughtUp: true, customer.ServiceUrl), "--kafka-config", kafkaConfig, "--assign-timeout", "5"]);
            await firstPut.Task.WaitAsync(TimeSpan.FromSeconds(60));
            topic.Cluster.SetBrokerDown(Coordinator);
            coordinatorDown.SetResult();

            int exitCode = await run.WaitForExitAsync(TimeSpan.FromSeconds(90));
            TestContext.Out.WriteLine(run.Output);

            Assert.That(exitCode, Is.EqualTo(1), "a run meant to end ends, exit 1\n" + run.Output);
            Assert.That(run.Errors, Does.Contain($"Stopping: the partitions of topic {topic.Name} were lost (this worker's session in group {group} ended) and none was assigned again within 00:00:05 (--assign-timeout). Kafka's last error was "), "stderr says why it ends");
            for (int partition = 0; partition < topic.Partitions; partition++)
            {
                Assert.That(run.Count($"Lost {topic.Name}[{partition}]: the group took it from this worker"), Is.EqualTo(1), $"the loss of partition {partition} said once\n{run.Output}");
            }

            Assert.That(run.Count("refused (") , Is.GreaterThan(0), "the refused commits met");
            Assert.That(run.Lines.Where(l => l.Contains("Lost ", StringComparison.Ordinal)), Has.Some.Match(@"its commit at \d+, refused \("), "a refused commit dropped with its partition is named");
        }
        finally
        {
            File.Delete(kafkaConfig);
        }
    }

    [Test]
    public async Task KafkaToS3Program_PausedPastItsSessionTimeoutThenResumed_EndsSayingItWasNoLongerAMemberAndNothingIsLost()
    {
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(20); // one window per partition
        const string group = "paused";
        using var customers = await KafkaToS3Customers.CreateAsync(topic);
        var firstPut = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var resumed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using FaultProxy customer = PutsHeldUntil(resumed.Task, firstPut); // answered once the worker runs again
        string kafkaConfig = KafkaToS3Program.WriteShortSessionConfig();
        try
        {
            using KafkaToS3QaProcess worker = KafkaToS3Customers.Start([.. customers.Arguments(group, untilCaughtUp: false, customer.ServiceUrl), "--kafka-config", kafkaConfig, "--direct-step-aside", "600"]);

            // Paused with its uploads under way, and asked to stop (the signal waits for it to run again).
            await firstPut.Task.WaitAsync(TimeSpan.FromSeconds(60));
            worker.Send("STOP");
            worker.Send("TERM");

            // Another member joins: the group gives it the partitions once the paused worker's session has ended.
            using (IConsumer<Ignore, Ignore> other = topic.JoinUntilAssigned(group))
            {
                worker.Send("CONT");
                resumed.SetResult();
                int exitCode = await worker.WaitForExitAsync(TimeSpan.FromSeconds(60));
                TestContext.Out.WriteLine(worker.Output);
                Assert.That(exitCode, Is.EqualTo(0), worker.Output);
                other.Close();
            }

            Assert.That(worker.Stdout, Does.Contain("Kafka refused the commit because this worker was no longer a member of the group (Broker: "), "the expulsion named\n" + worker.Output);
            Assert.That(worker.Stdout, Does.Contain("Nothing is lost").And.Contain("Nothing is to be done for it"));
            Assert.That(worker.Errors, Does.Not.Contain("Not committed").And.Not.Contain("Run again once the group's coordinator answers"), "no failure on stderr in a run that exits 0");
            Assert.That(await customers.MessageIdsAsync(0), Is.Unique, "no event twice");
        }
        finally
        {
            File.Delete(kafkaConfig);
        }
    }

    [Test]
    public async Task KafkaToS3Program_StoppedWhileTheGroupRebalancesAndRefusesItsCommits_EndsWithAWarningThatNothingIsLostNotAFailure()
    {
        // QA: a plain SIGTERM in a rolling restart ended with a stderr "fail: Not committed ... Run again once the
        // group's coordinator answers", and a warning of a window cut short, for a worker run until stopped: both untrue.
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(20);
        const string group = "rebalancing";
        using var customers = await KafkaToS3Customers.CreateAsync(topic);
        topic.Cluster.FailRequests(8 /* OffsetCommit */, ErrorCode.RebalanceInProgress, 100_000);

        using KafkaToS3QaProcess worker = KafkaToS3Customers.Start(customers.Arguments(group, untilCaughtUp: false));
        await worker.WaitForAsync(lines => lines.Any(line => line.Contains("refused (Broker: Group rebalance in progress)", StringComparison.Ordinal)), TimeSpan.FromSeconds(90), "a commit refused while the group rebalances");
        worker.Send("TERM");
        int exitCode = await worker.WaitForExitAsync(TimeSpan.FromSeconds(60));
        TestContext.Out.WriteLine(worker.Output);

        Assert.That(exitCode, Is.EqualTo(0), worker.Output);
        Assert.That(worker.Stdout, Does.Contain("because the group was rebalancing").And.Contain("Nothing is lost, and nothing is to be done"), "the refusal named as what it is\n" + worker.Output);
        Assert.That(worker.Errors, Does.Not.Contain("Not committed").And.Not.Contain("Run again once the group's coordinator answers"), "no failure on stderr in a run that exits 0\n" + worker.Output);
        Assert.That(await customers.MessageIdsAsync(0), Is.Unique, "no event twice");
    }

    /// <summary>
    /// A proxy before moto's S3 that holds every PUT (to the customer's bucket) until <paramref name="release"/> completes,
    /// then lets it land; <paramref name="firstPut"/> completes when the first arrives.
    /// </summary>
    private static FaultProxy PutsHeldUntil(Task release, TaskCompletionSource firstPut) => MotoFaults.Proxy(request =>
    {
        if (request.Method != "PUT")
        {
            return ProxyAction.Forward;
        }

        firstPut.TrySetResult();
        return new ProxyDecision(ProxyAction.Forward) { Gate = release };
    });
}
