namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// The KafkaToS3 worker run <c>--until-caught-up</c>, in process, without a stage: when the last partition to reach its
/// end does so by the retry of a held window (not by a record read), the run ends there instead of waiting for a record
/// that its paused partitions can never give.
/// </summary>
[CancelAfter(180_000)]
public class KafkaToS3HeldCaughtUpTests
{
    [Test]
    public async Task KafkaToS3_UntilCaughtUp_WhenEveryPartitionEndsByAHeldWindowsRetry_StopsWithEveryOffsetCommitted()
    {
        // The customer answers the first two PUTs of each object with 503 SlowDown (the direct attempt and its quick
        // retry): every window is held once, and its retry a second later delivers it and reaches its partition's end.
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(20);
        string customer = await StagingPeers.NewBucketAsync("customer");
        var putsOf = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        await using FaultProxy proxy = MotoFaults.Proxy(request =>
            request.Method == "PUT" && putsOf.AddOrUpdate(request.Path.Split('?')[0], 1, (_, n) => n + 1) <= 2 ? ProxyAction.SlowDown : ProxyAction.Forward);
        TenantDestinationsOptions tenants = topic.Tenants(_ => customer, defaults: Destinations.Options(s3Url: proxy.ServiceUrl.ToString()));
        KafkaToS3Options options = topic.Options("held-caught-up");
        options.TenantBreakDuration = TimeSpan.FromMilliseconds(500); // the shortest: the circuit keeps no retry waiting long
        KafkaToS3Worker worker;
        var log = new CapturingLogger();
        await using (TenantDelivery delivery = TenantDelivery.Create(options, tenants, null, Destinations.BaseCredentials(), null, null, log))
        {
            worker = new KafkaToS3Worker(options, delivery, log);
            Task<int> run = Task.Run(() => worker.RunAsync(CancellationToken.None));
            Assert.That(await run.WaitAsync(TimeSpan.FromSeconds(60)), Is.EqualTo(ExitCodes.Success), "caught up on every partition: the run ends by itself (it waited forever for a record)");
        }

        Assert.That(log.Lines.Count(l => l.Contains("Caught up on 4 partition(s)", StringComparison.Ordinal)), Is.EqualTo(1));
        Assert.That(worker.WindowsHeld, Is.EqualTo(topic.Partitions), "every partition's window was held, and ended by its retry");
        Assert.That(topic.CommittedOffsets("held-caught-up"), Is.EqualTo(Enumerable.Range(0, topic.Partitions).Select(topic.EndOffset)));
        Assert.That(Objects.MessageIds((await Objects.ReadAllAsync("segment-logs/", customer)).Values.SelectMany(l => l)), Is.EquivalentTo(topic.ExpectedMessageIds).And.Unique);
    }
}
