namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// The KafkaToS3 program stopped by signals while a delivery is under way to a customer whose endpoint never answers,
/// with a long step-aside (<c>--direct-step-aside 120</c>): the stop waits for that delivery, so it says so at once, and a
/// second signal quits without waiting.
/// </summary>
[CancelAfter(180_000)]
public class KafkaToS3SignalsProcessTests
{
    [TestCase("INT", 130, "INT")]
    [TestCase("TERM", 143, "TERM")]
    [TestCase("TERM", 143, "INT")] // a Ctrl+C after a kill -TERM: it said "SIGINT received again", and exited 130
    public async Task KafkaToS3Program_ASecondSignalDuringASlowStop_QuitsAtOnceWithTheFirstSignalsCodeCommittingNothingMore(string signal, int expectedExit, string second)
    {
        // The first signal said nothing, and the second was ignored: the stop waited for the silent customer's attempt
        // (about 30 s here; up to the step-aside) whatever the user did.
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(40, sources: 2);
        using var customers = await KafkaToS3Customers.CreateAsync(topic, withStage: true);
        var stalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using FaultProxy proxy = MotoFaults.Proxy(request =>
        {
            if (TenantPutFaults.IsPutOf(customers.Customer, 1, request))
            {
                stalled.TrySetResult();
                return ProxyAction.Stall;
            }

            return ProxyAction.Forward;
        });
        using var program = KafkaToS3Customers.Start([.. customers.Arguments("second-signal", untilCaughtUp: false, proxy.ServiceUrl), "--direct-step-aside", "120"]);
        await stalled.Task.WaitAsync(TimeSpan.FromSeconds(60));
        long[] committedBefore = topic.CommittedOffsets("second-signal");

        program.Send(signal);
        await program.WaitForErrorAsync($"SIG{signal} received: stopping after the delivery under way (waited for at most --direct-step-aside, 120 s); send it again to quit at once", TimeSpan.FromSeconds(10));
        Assert.That(program.HasExited, Is.False, "the first signal waits for the delivery under way");
        TimeSpan quitting = await program.SignalAsync(second, TimeSpan.FromSeconds(10));

        Assert.That(program.ExitCode, Is.EqualTo(expectedExit), program.Output);
        Assert.That(quitting, Is.LessThan(TimeSpan.FromSeconds(10)));
        string received = second == signal ? $"SIG{second} received again" : $"SIG{second} received while the stop asked for by SIG{signal} is under way";
        Assert.That(program.Output, Does.Contain($"{received}: quitting now; the window under way is not committed, and the next run rebuilds it.")
            .And.Contain("KafkaToS3 stopped: "));
        Assert.That(program.Output, Does.Contain("copied from the stage (what is left there was not listed: quit at once)"), "the stage was never listed: it could have been");
        Assert.That(topic.CommittedOffsets("second-signal"), Is.EqualTo(committedBefore), "nothing committed after the first signal: the window under way waited for the silent customer");
        Assert.That(program.Output, Does.Contain($"Assigned {topic.Name}[0]").And.Not.Contain("end offset -1"), "a worker run until stopped reads on past any end offset");
    }
}
