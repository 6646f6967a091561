namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// The KafkaToS3 worker, in process, without a stage, with a customer slower than the step-aside: a direct attempt that
/// goes on after its window stopped waiting for it, and lands, is counted once, not sent again by the held window's retry.
/// </summary>
[CancelAfter(180_000)]
public class KafkaToS3SlowDirectTests
{
    [Test]
    public async Task KafkaToS3_WithoutAStage_ADirectPutSlowerThanTheStepAside_IsCountedOnceNotSentAgainByTheHeldWindowsRetry()
    {
        // The first PUT to the customer's bucket is answered only once its window has stopped waiting for it (held, after
        // the step-aside); it lands then. The held window's retry must find the batch delivered: a second PUT of it is a
        // second upload of the whole batch.
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(20);
        string customer = await StagingPeers.NewBucketAsync("customer");
        using var firstWindowHeld = new ManualResetEventSlim();
        int puts = 0;
        await using FaultProxy proxy = MotoFaults.Proxy(request =>
        {
            if (request.Method == "PUT" && Interlocked.Increment(ref puts) == 1)
            {
                firstWindowHeld.Wait(WorkerRuns.Limit); // slower than the step-aside: answered once its window is held
            }

            return ProxyAction.Forward;
        });
        TenantDestinationsOptions tenants = topic.Tenants(_ => customer, defaults: Destinations.Options(s3Url: proxy.ServiceUrl.ToString()));
        KafkaToS3Options options = topic.Options("slow-direct");
        options.DirectStepAside = TimeSpan.FromSeconds(1);
        var hooks = new WorkerHooks { WindowHeld = _ => firstWindowHeld.Set() };
        var log = new CapturingLogger();
        KafkaToS3Worker worker;
        await using (TenantDelivery delivery = TenantDelivery.Create(options, tenants, null, Destinations.BaseCredentials(), null, null, log))
        {
            worker = new KafkaToS3Worker(options, delivery, log, hooks);
            Assert.That(await worker.RunToEndAsync(), Is.EqualTo(ExitCodes.Success));
        }

        List<string> paths = [.. proxy.Log.Where(e => e.Request.Method == "PUT").Select(e => e.Request.Path.Split('?')[0])];
        TestContext.Out.WriteLine($"PUTs to the customer's bucket: {string.Join(", ", paths.GroupBy(p => p).Select(g => g.Count()))}");
        Assert.That(firstWindowHeld.IsSet, Is.True, "the first PUT took longer than the step-aside: its window was held");
        Assert.That(paths, Has.Count.EqualTo(topic.BatchCount).And.Unique, "one PUT per batch: the slow one was not sent again");
        Assert.That(worker.ObjectsUploaded, Is.EqualTo(topic.BatchCount), "the slow PUT counted once, when it landed");
        Assert.That(topic.CommittedOffsets("slow-direct"), Is.EqualTo(Enumerable.Range(0, topic.Partitions).Select(topic.EndOffset)));
        Assert.That(Objects.MessageIds((await Objects.ReadAllAsync("segment-logs/", customer)).Values.SelectMany(l => l)), Is.EquivalentTo(topic.ExpectedMessageIds).And.Unique);
    }
}
