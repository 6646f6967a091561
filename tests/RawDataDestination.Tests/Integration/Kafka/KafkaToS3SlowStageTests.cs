namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// The KafkaToS3 worker, in process, with a staging bucket slower than the step-aside: a write that goes on after its
/// window stopped waiting for it is waited for and counted once, not written again by the held window's retry.
/// </summary>
[CancelAfter(180_000)]
public class KafkaToS3SlowStageTests
{
    [Test]
    public async Task KafkaToS3_AStagingWriteSlowerThanTheStepAside_IsCountedOnceNotWrittenAgainByTheHeldWindowsRetry()
    {
        // One customer, throttled until every window is committed: each batch goes to the staging bucket. The first write
        // there is answered only once its window has stopped waiting for it (held, after the step-aside); it lands then.
        // The held window's retry must find the batch staged: a second write of it is the double staging traffic (and,
        // when the copier delivered the first meanwhile, a second copy counted).
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(20);
        string customer = await topic.NewCustomerBucketAsync();
        string stage = await StagingPeers.NewBucketAsync("stage");
        bool throttling = true;
        await using FaultProxy customerProxy = MotoFaults.Proxy(request =>
            Volatile.Read(ref throttling) && request.Method == "PUT" ? ProxyAction.SlowDown : ProxyAction.Forward);
        using var firstWindowHeld = new ManualResetEventSlim();
        int stagingPuts = 0;
        await using FaultProxy stageProxy = MotoFaults.Proxy(request =>
        {
            if (request.Method == "PUT" && Interlocked.Increment(ref stagingPuts) == 1)
            {
                firstWindowHeld.Wait(WorkerRuns.Limit); // slower than the step-aside: answered once its window is held
            }

            return ProxyAction.Forward;
        });
        TenantDestinationsOptions tenants = topic.Tenants(k => HeldTenantRun.TenantBucket(customer, k), defaults: Destinations.Options(s3Url: customerProxy.ServiceUrl.ToString()));
        KafkaToS3Options options = topic.Options("slow-stage", untilCaughtUp: false);
        options.DirectStepAside = TimeSpan.FromSeconds(1);
        StagingOptions staging = StagingPeers.Options(stage, stageProxy.ServiceUrl.ToString());
        staging.PollInterval = TimeSpan.FromMilliseconds(200);
        var commits = new CommitWatch(topic);
        WorkerHooks hooks = commits.Hooks;
        hooks.WindowHeld = _ => firstWindowHeld.Set();
        var log = new CapturingLogger();
        await using TenantDelivery delivery = TenantDelivery.Create(options, tenants, staging, Destinations.BaseCredentials(), StagingPeers.ServiceCredentials(), null, log);
        var worker = new KafkaToS3Worker(options, delivery, log, hooks);
        using var stop = new CancellationTokenSource();
        Task<int> run = Task.Run(() => worker.RunAsync(stop.Token));
        await commits.EveryWindowCommitted.WaitAsync(WorkerRuns.Limit);
        Assert.That(firstWindowHeld.IsSet, Is.True, "the first staging write took longer than the step-aside: its window was held");

        // Every window committed, each batch staged by one write, counted once.
        List<string> stagedPaths = [.. stageProxy.Log.Where(e => e.Request.Method == "PUT").Select(e => e.Request.Path.Split('?')[0])];
        TestContext.Out.WriteLine($"PUTs to the staging bucket: {string.Join(", ", stagedPaths.GroupBy(p => p).Select(g => g.Count()))}");
        Assert.That(stagedPaths, Has.Count.EqualTo(topic.BatchCount), "one write per batch: the slow one was not written again");
        Assert.That(stagedPaths, Is.Unique);
        Assert.That(worker.BatchesStaged, Is.EqualTo(topic.BatchCount), "the slow write counted once, when it landed");

        // The customer answers again: the copier delivers each staged batch once, and counts each once.
        Volatile.Write(ref throttling, false);
        using (var deadline = new CancellationTokenSource(WorkerRuns.Limit))
        {
            while ((await StagingPeers.KeysAsync(stage)).Count > 0 || worker.CopiedFromStage < topic.BatchCount)
            {
                await Task.Delay(100, deadline.Token); // the copiers' passes run on real time (200 ms apart)
            }
        }

        await stop.CancelAsync();
        Assert.That(await run.WaitAsync(WorkerRuns.Limit), Is.EqualTo(ExitCodes.Success));
        Assert.That(worker.CopiedFromStage, Is.EqualTo(topic.BatchCount), "each staged batch copied once");
        Assert.That(await HeldTenantRun.TenantMessageIdsAsync(customer, 0), Is.EquivalentTo(topic.ExpectedMessageIds), "each event once in the customer's bucket");
        Assert.That(topic.CommittedOffsets("slow-stage"), Is.EqualTo(Enumerable.Range(0, topic.Partitions).Select(topic.EndOffset)));
    }
}
