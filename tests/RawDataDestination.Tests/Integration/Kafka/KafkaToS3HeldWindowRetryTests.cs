namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// The KafkaToS3 worker, in process, where a window stops waiting for its write at the step-aside (held) and its retry
/// comes later: a direct PUT or a staging write that goes on and lands is counted once, not sent again by the retry; and
/// a run <c>--until-caught-up</c> whose last partition reaches its end by such a retry ends there.
/// </summary>
[CancelAfter(180_000)]
public class KafkaToS3HeldWindowRetryTests
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
        await using FaultProxy proxy = FirstPutAnsweredOnceHeld(firstWindowHeld);
        TenantDestinationsOptions tenants = topic.Tenants(_ => customer, defaults: Destinations.Options(s3Url: proxy.ServiceUrl.ToString()));
        KafkaToS3Options options = topic.Options("slow-direct");
        options.DirectStepAside = TimeSpan.FromSeconds(1);
        var hooks = new WorkerHooks { WindowHeld = _ => firstWindowHeld.Set() };
        var log = new CapturingLogger();
        (int exitCode, KafkaToS3Worker worker) = await WorkerRuns.RunToEndAsync(options, tenants, log: log, hooks: hooks);
        Assert.That(exitCode, Is.EqualTo(ExitCodes.Success));

        List<string> paths = [.. proxy.Log.Where(e => e.Request.Method == "PUT").Select(e => e.Request.Path.Split('?')[0])];
        TestContext.Out.WriteLine($"PUTs to the customer's bucket: {string.Join(", ", paths.GroupBy(p => p).Select(g => g.Count()))}");
        Assert.That(firstWindowHeld.IsSet, Is.True, "the first PUT took longer than the step-aside: its window was held");
        Assert.That(paths, Has.Count.EqualTo(topic.BatchCount).And.Unique, "one PUT per batch: the slow one was not sent again");
        Assert.That(worker.ObjectsUploaded, Is.EqualTo(topic.BatchCount), "the slow PUT counted once, when it landed");
        await topic.AssertEveryRecordOnceAndCommittedAsync("slow-direct", customer);
    }

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
        await using FaultProxy stageProxy = FirstPutAnsweredOnceHeld(firstWindowHeld);
        TenantDestinationsOptions tenants = topic.Tenants(k => HeldTenantRun.TenantBucket(customer, k), defaults: Destinations.Options(s3Url: customerProxy.ServiceUrl.ToString()));
        KafkaToS3Options options = topic.Options("slow-stage", untilCaughtUp: false);
        options.DirectStepAside = TimeSpan.FromSeconds(1);
        StagingOptions staging = StagingPeers.Options(stage, stageProxy.ServiceUrl.ToString());
        staging.PollInterval = TimeSpan.FromMilliseconds(200);
        var commits = new CommitWatch(topic);
        WorkerHooks hooks = commits.Hooks;
        hooks.WindowHeld = _ => firstWindowHeld.Set();
        var log = new CapturingLogger();
        await using RunningWorker running = RunningWorker.Start(options, tenants, staging, log, hooks);
        KafkaToS3Worker worker = running.Worker;
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

        Assert.That(await running.StopAsync(), Is.EqualTo(ExitCodes.Success));
        Assert.That(worker.CopiedFromStage, Is.EqualTo(topic.BatchCount), "each staged batch copied once");
        Assert.That(await HeldTenantRun.TenantMessageIdsAsync(customer, 0), Is.EquivalentTo(topic.ExpectedMessageIds), "each event once in the customer's bucket");
        Assert.That(topic.CommittedOffsets("slow-stage"), Is.EqualTo(topic.EndOffsets));
    }

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

        Assert.That(log.Lines.Count(l => l.Contains("Caught up on every partition (4)", StringComparison.Ordinal)), Is.EqualTo(1));
        Assert.That(worker.WindowsHeld, Is.EqualTo(topic.Partitions), "every partition's window was held, and ended by its retry");
        await topic.AssertEveryRecordOnceAndCommittedAsync("held-caught-up", customer);
    }

    [Test]
    public async Task KafkaToS3_UntilCaughtUp_WithoutAStage_ACustomerWhoseBucketDoesNotExist_EndsWithExit1AndTheNextRunAfterTheFixDeliversTheRest()
    {
        // Two customers: the first's bucket takes every batch; the second's bucket does not exist (NoSuchBucket, a refusal
        // retrying cannot fix). The second has records only on partitions 0 and 1, between the first's. Without a stage
        // their windows are held (its circuit opens at the second refusal); their retries meet the refusal again (the
        // direct attempt's, or the open circuit's, which remembers it) and the run gives both partitions up: it ends (it
        // retried forever).
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(40, sources: 2, sourceOf: KafkaTopic.OnPartitions0And1(1, 0));
        string customer = await topic.NewCustomerBucketAsync();
        string missing = await KafkaToS3Customers.MissingBucketAsync(); // the role may write it: S3 answers NoSuchBucket
        TenantDestinationsOptions tenants = topic.Tenants(k => k == 0 ? HeldTenantRun.TenantBucket(customer, 0) : missing);
        var firstLog = new CapturingLogger();
        KafkaToS3Worker first;
        await using (TenantDelivery delivery = TenantDelivery.Create(topic.Options("refused"), tenants, null, Destinations.BaseCredentials(), null, null, firstLog))
        {
            first = new KafkaToS3Worker(topic.Options("refused"), delivery, firstLog);
            Assert.That(await first.RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60)), Is.EqualTo(ExitCodes.Failed), "partition 0 given up: the run ends, and says it did not catch up");
        }

        TestContext.Out.WriteLine(string.Join(Environment.NewLine, firstLog.Lines.TakeLast(3)));
        Assert.That(topic.CommittedOffsets("refused"), Is.EqualTo(topic.OnlyPartitions2And3Committed), "nothing of partitions 0 and 1's refused windows committed; the others to their ends");
        List<string> named = [.. firstLog.Lines.Where(l => l.Contains("Not caught up", StringComparison.Ordinal))];
        Assert.That(named, Has.Count.EqualTo(2));
        Assert.That(named[0], Does.Contain("[0]").And.Contain(topic.Sources[1]).And.Contain("NoSuchBucket").And.Contain(missing), "the partition, the tenant and the refusal named");
        Assert.That(named[1], Does.Contain("[1]").And.Contain(topic.Sources[1]).And.Contain("NoSuchBucket").And.Contain(missing), "the partition, the tenant and the refusal named");
        Assert.That(firstLog.Lines[^1], Does.Contain("--stage-bucket").And.Contain("Fix the customer's setup"), "what to do, last");
        List<string> delivered = await HeldTenantRun.TenantMessageIdsAsync(customer, 0);
        IEnumerable<string> ofOtherPartitions = topic.MessageIdsOnPartitions2And3(0);
        Assert.That(delivered, Is.Unique.And.SubsetOf(topic.ExpectedMessageIdsOf(0)).And.SupersetOf(ofOtherPartitions), "the healthy customer's events of partitions 2 and 3 once");
        Assert.That(delivered, Does.Contain(KafkaTopic.MessageId(0)), "its batch of the given-up window stays delivered");

        // The customer creates its bucket: the next run reads partitions 0 and 1 again from its committed offset and delivers the
        // rest; the healthy customer's batches of the given-up window are written again onto the same keys.
        await SharedPeers.AllowRoleToWriteAsync(missing);
        await using (TenantDelivery delivery = TenantDelivery.Create(topic.Options("refused"), tenants, null, Destinations.BaseCredentials(), null, null, null))
        {
            var second = new KafkaToS3Worker(topic.Options("refused"), delivery);
            Assert.That(await second.RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60)), Is.EqualTo(ExitCodes.Success));
        }

        Assert.That(topic.CommittedOffsets("refused"), Is.EqualTo(topic.EndOffsets));
        Assert.That(await HeldTenantRun.TenantMessageIdsAsync(customer, 0), Is.EquivalentTo(topic.ExpectedMessageIdsOf(0)).And.Unique, "each of the healthy customer's events once in total");
        Assert.That(await Objects.MessageIdsAsync("segment-logs/", missing), Is.EquivalentTo(topic.ExpectedMessageIdsOf(1)).And.Unique, "each of the fixed customer's events once");
    }

    [Test]
    public async Task KafkaToS3_RunUntilStopped_WithoutAStage_ACustomerWhoseBucketDoesNotExist_KeepsRetryingItsHeldWindow()
    {
        // The same refusal in a worker run until stopped: nothing is given up (a fixed setup is picked up at the next
        // retry); the held window is tried again and again, uncommitted, until the stop.
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(40, sources: 2, sourceOf: i => i % 4 == 0 && i / 4 % 2 == 1 ? 1 : 0);
        string customer = await topic.NewCustomerBucketAsync();
        string missing = await KafkaToS3Customers.MissingBucketAsync();
        TenantDestinationsOptions tenants = topic.Tenants(k => k == 0 ? HeldTenantRun.TenantBucket(customer, 0) : missing);
        KafkaToS3Options options = topic.Options("refused-until-stopped", untilCaughtUp: false);
        options.HoldRetryDelay = TimeSpan.FromMilliseconds(100);
        int holds = 0;
        var heldThrice = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var hooks = new WorkerHooks
        {
            WindowHeld = commit =>
            {
                if (commit.Partition.Value == 0 && Interlocked.Increment(ref holds) >= 3)
                {
                    heldThrice.TrySetResult();
                }
            },
        };
        var log = new CapturingLogger();
        await using RunningWorker running = RunningWorker.Start(options, tenants, log: log, hooks: hooks);
        KafkaToS3Worker worker = running.Worker;
        await heldThrice.Task.WaitAsync(TimeSpan.FromSeconds(30)); // 100 ms, then 200 ms between holds
        Assert.That(await running.StopAsync(), Is.EqualTo(ExitCodes.Success));
        Assert.That(log.Lines, Has.None.Contain("Gave up"));
        Assert.That(topic.CommittedOffsets("refused-until-stopped")[0], Is.EqualTo(-1001L), "the refused window never committed");
    }

    /// <summary>
    /// A proxy before moto whose first PUT is answered only once <paramref name="windowHeld"/> is set: slower than the
    /// step-aside, so its window is held, and it lands then.
    /// </summary>
    private static FaultProxy FirstPutAnsweredOnceHeld(ManualResetEventSlim windowHeld)
    {
        int puts = 0;
        return MotoFaults.Proxy(request =>
        {
            if (request.Method == "PUT" && Interlocked.Increment(ref puts) == 1)
            {
                windowHeld.Wait(WorkerRuns.Limit);
            }

            return ProxyAction.Forward;
        });
    }
}
