namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// The KafkaToS3 program stopped by SIGTERM while it delivers a window of many customers whose endpoints never answer:
/// its acknowledgement promises to wait for the delivery under way at most --direct-step-aside, and the stop keeps that
/// promise for the whole window, not for each of its batches (QA-K K2: 11 s after a "2 s" acknowledgement, 40 tenants).
/// </summary>
[CancelAfter(180_000)]
public class KafkaToS3StopDeadlineProcessTests
{
    [Test]
    public async Task KafkaToS3Program_SigtermWhileAWindowOfManySilentCustomersIsDelivered_EndsWithinTheStepAsideFromTheSignalLeavingTheWindowUncommitted()
    {
        // 64 sources, each on every partition: each partition's one window (64 records) has a batch for each of 64 tenants,
        // and every customer's PUTs stall. Delivered 8 at a time, each waited for the 2 s step-aside and then staged, the
        // window took 8 step-asides (16 s and more) after the signal, which had said "waited for at most ... 2 s".
        const int tenants = 64;
        TimeSpan stepAside = TimeSpan.FromSeconds(2);
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(tenants * MockKafkaCluster.AutoCreatedPartitions, sources: tenants);
        using var customers = await KafkaToS3Customers.CreateAsync(topic, withStage: true);
        var stalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using FaultProxy proxy = MotoFaults.Proxy(request =>
        {
            if (request.Method == "PUT" && request.Path.StartsWith($"/{customers.Customer}/", StringComparison.Ordinal))
            {
                stalled.TrySetResult();
                return ProxyAction.Stall;
            }

            return ProxyAction.Forward;
        });
        List<string> arguments = [.. customers.Arguments("stop-deadline", untilCaughtUp: false, proxy.ServiceUrl), "--direct-step-aside", "2"];
        arguments[arguments.IndexOf("--max-batch-records") + 1] = tenants.ToString(CultureInfo.InvariantCulture); // one window per partition
        using var program = KafkaToS3Customers.Start(arguments);
        await stalled.Task.WaitAsync(TimeSpan.FromSeconds(60));

        TimeSpan stopping = await program.SignalAsync("TERM", TimeSpan.FromSeconds(60));
        TestContext.Out.WriteLine($"stopped {stopping.TotalSeconds:0.0} s after SIGTERM, exit {program.ExitCode}\n{program.Output}");

        Assert.That(program.ExitCode, Is.EqualTo(ExitCodes.Success), program.Output);
        Assert.That(program.Errors, Does.Contain("SIGTERM received: stopping after the delivery under way (waited for at most --direct-step-aside, 2 s"));
        Assert.That(stopping, Is.LessThan(stepAside + TimeSpan.FromSeconds(6)), "the stop waits for the window under way at most the step-aside in all, not the step-aside per round of 8 batches");
        Assert.That(topic.CommittedOffsets("stop-deadline").Zip(Enumerable.Range(0, topic.Partitions).Select(topic.EndOffset)).All(p => p.First < p.Second), Is.True, "the window cut short by the stop is not committed (every batch was staged, and it committed, 16 s after the signal)");
        Assert.That(program.Errors, Does.Contain("Held at the stop: ").And.Contain("the stop's wait for the window ended (2 s after the signal, --direct-step-aside)"), "the held window says why its batches were left");
        Assert.That(program.Errors, Does.Contain(" and ").And.Contain(" more: "), "one clause for the tenants left alike, not one per tenant");
    }
}
