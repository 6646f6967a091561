namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// The KafkaToS3 program run as a process while the staging bucket, not proven yet, answers a write only after the
/// step-aside, and then refuses it: the window is held (nothing lost, nothing committed), and the refusal decides the
/// exit code even when SIGTERM comes before the held window's next retry would have met it.
/// </summary>
[CancelAfter(180_000)]
public class KafkaToS3StageRefusalProcessTests
{
    [Test]
    public async Task KafkaToS3Program_AStagingRefusalThatCameAfterItsWindowWasHeldThenSigterm_ExitsFailedNamingTheStagingBucket()
    {
        // One customer whose role is refused: every batch goes to the staging bucket.
        using var customers = await KafkaToS3Customers.ProduceAsync(20, withStage: true, externalIdOf: _ => "not-the-external-id");
        using var answer = new ManualResetEventSlim();
        await using FaultProxy stageProxy = MotoFaults.Proxy(request =>
        {
            if (request.Method == "PUT" && request.Path.StartsWith($"/{customers.Stage}/", StringComparison.Ordinal))
            {
                answer.Wait(TimeSpan.FromSeconds(90)); // the staging bucket answers when the test says so: after the step-aside
                return ProxyAction.AccessDenied;
            }

            return ProxyAction.Forward;
        });
        using var worker = KafkaToS3Customers.Start(customers.Arguments("late-refusal", untilCaughtUp: false, stageUrl: stageProxy.ServiceUrl));

        // The write stepped aside, its window held; the held windows' retries back off (1, 2, 4 s) while it goes on.
        await worker.WaitForAsync(lines => lines.Count(l => l.Contains("is not staged now: the staging bucket has not answered an earlier batch yet", StringComparison.Ordinal)) >= 8, TimeSpan.FromSeconds(60), "the held windows retried twice each");
        Assert.That(worker.Count("had no answer from the staging bucket within"), Is.EqualTo(1), worker.Output);

        // The staging bucket refuses the write; SIGTERM comes before the next retry of a held window.
        answer.Set();
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            while (!stageProxy.Exchanges.Any(e => e.Action == ProxyAction.AccessDenied))
            {
                await Task.Delay(20, deadline.Token);
            }
        }

        TimeSpan stopping = await worker.SignalAsync("TERM", TimeSpan.FromSeconds(60));
        TestContext.Out.WriteLine($"stopped {stopping.TotalSeconds:0.0} s after SIGTERM, exit {worker.ExitCode}\n{worker.Output}");
        Assert.That(worker.ExitCode, Is.EqualTo(ExitCodes.Failed), "the staging bucket refused a batch: not a clean stop\n" + worker.Output);
        Assert.That(worker.Output, Does.Contain($"Stopping: The staging bucket '{customers.Stage}' refused batch").And.Contain("Nothing of the window is committed"));
        Assert.That(customers.Topic.CommittedOffsets("late-refusal"), Has.All.LessThan(0), "nothing committed: the next run delivers it all");
    }
}
