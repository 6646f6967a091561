namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// The KafkaToS3 worker serving many customers, in process, on librdkafka's mock cluster and the local peers: broken
/// customers (an endpoint that never answers, throttling, a refused role, a PUT whose answer is lost) never stop the
/// others' partitions from committing, and every event ends in its customer's bucket exactly once.
/// </summary>
[CancelAfter(240_000)]
public class KafkaToS3TenantsTests
{
    [Test]
    public async Task KafkaToS3_TwentyTenantsThreeBroken_DeliversTheHealthyOnceCommitsEveryWindowAndDeliversTheRecoveredFromTheStage()
    {
        const int hung = 0, throttled = 1, refusedRole = 2;
        int[] broken = [hung, throttled, refusedRole];
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(240, sources: 20);
        string customer = await topic.NewCustomerBucketAsync();
        string stage = await StagingPeers.NewBucketAsync("stage");
        await using var faults = TenantPutFaults.Start(customer, (hung, ProxyAction.Stall), (throttled, ProxyAction.SlowDown));
        S3RoleDestinationOptions defaults = FastFailing(Destinations.Options(s3Url: faults.ServiceUrl.ToString()));
        TenantDestinationsOptions tenants = topic.Tenants(k => TenantBucket(customer, k), k => k == refusedRole ? "not-the-external-id" : null, defaults);
        KafkaToS3Options options = topic.Options("twenty-tenants", untilCaughtUp: false);
        options.TenantBreakDuration = TimeSpan.FromMinutes(10); // open once, stays open for the whole run
        StagingOptions staging = StagingPeers.Options(stage);
        staging.PollInterval = TimeSpan.FromMilliseconds(200);

        var log = new CapturingLogger();
        var commits = new CommitWatch(topic);
        await using RunningWorker running = RunningWorker.Start(options, tenants, staging, log, commits.Hooks);
        KafkaToS3Worker worker = running.Worker;

        // While three customers are broken, every window of every partition is committed, and the others' events are in their buckets.
        await commits.EveryWindowCommitted.WaitAsync(WorkerRuns.Limit);
        int stagedBatches = broken.Sum(topic.BatchesOf);
        Assert.That((worker.ObjectsUploaded, worker.BatchesStaged, worker.WindowsHeld), Is.EqualTo((topic.BatchCount - stagedBatches, stagedBatches, 0L)));
        foreach (int k in Enumerable.Range(0, 20).Except(broken))
        {
            Assert.That(await MessageIdsAsync(customer, k), Is.EquivalentTo(topic.ExpectedMessageIdsOf(k)), $"tenant {k}: each event once");
        }

        foreach (int k in broken)
        {
            // The circuit opened after at most two failed direct attempts; every later window staged the tenant's batch at once.
            Assert.That(log.Lines.Count(l => l.Contains($"Tenant {topic.Sources[k]}: batch ", StringComparison.Ordinal) && l.Contains("it goes to the staging bucket", StringComparison.Ordinal)),
                Is.InRange(1, TenantBreakers.MinimumThroughput), $"tenant {k}: direct attempts before its circuit opened");
            Assert.That(log.Lines.Count(l => l.Contains($"Tenant {topic.Sources[k]} is failing", StringComparison.Ordinal)), Is.EqualTo(1), $"tenant {k}: one line when it starts failing");
            Assert.That(topic.BatchesOf(k), Is.GreaterThan(TenantBreakers.MinimumThroughput), "more windows than attempts: the rest skipped the direct attempt");
        }

        // The hung and the throttled customers recover: the copiers deliver their staged batches. The refused role stays parked.
        faults.Heal();
        int recovered = topic.BatchesOf(hung) + topic.BatchesOf(throttled);
        using (var deadline = new CancellationTokenSource(WorkerRuns.Limit))
        {
            while (worker.CopiedFromStage < recovered)
            {
                await Task.Delay(100, deadline.Token); // the copiers' passes run on real time (200 ms apart)
            }
        }

        Assert.That(await running.StopAsync(), Is.EqualTo(ExitCodes.Success));

        Assert.That(worker.CopiedFromStage, Is.EqualTo(recovered));
        Assert.That(topic.CommittedOffsets("twenty-tenants"), Is.EqualTo(topic.EndOffsets));
        foreach (int k in new[] { hung, throttled })
        {
            Assert.That(await MessageIdsAsync(customer, k), Is.EquivalentTo(topic.ExpectedMessageIdsOf(k)), $"recovered tenant {k}: each event once");
        }

        Assert.That(await SharedPeers.S3.ListKeysAsync(customer, $"t{refusedRole:00}/"), Is.Empty);
        IReadOnlyList<string> left = await StagingPeers.KeysAsync(stage);
        Assert.That(await KafkaTopic.StagedMessageIdsAsync(stage), Is.EquivalentTo(topic.ExpectedMessageIdsOf(refusedRole)), "only the refused customer's batches are still staged (parked), each event once");
        Assert.That(left.Where(k => k.EndsWith(".parked.json", StringComparison.Ordinal)).ToList(), Has.Count.EqualTo(topic.BatchesOf(refusedRole)));
    }

    [Test]
    public async Task KafkaToS3_MoreThrottledTenantsThanCopySlots_DoNotKeepARecoveredTenantsStagedBatchesWaiting()
    {
        // Five customers throttled for the whole run (more than the 4 copy passes that run at once), one throttled until
        // every window is committed and then answering again, two healthy. The destinations keep the program's default
        // retry time limit (5 minutes): a copy pass that retried each throttled batch for that long would hold its slot
        // far beyond this test's bound, and the recovered customer's staged batches would wait behind it.
        const int recovering = 5;
        int[] throttledForGood = [0, 1, 2, 3, 4];
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(160, sources: 8);
        string customer = await topic.NewCustomerBucketAsync();
        string stage = await StagingPeers.NewBucketAsync("stage");
        await using var faults = TenantPutFaults.Start(customer, [.. throttledForGood.Append(recovering).Select(k => (k, new ProxyDecision(ProxyAction.SlowDown)))]);
        S3RoleDestinationOptions defaults = Destinations.Options(s3Url: faults.ServiceUrl.ToString());
        defaults.RetryTimeLimit = new S3RoleDestinationOptions().RetryTimeLimit;
        TenantDestinationsOptions tenants = topic.Tenants(k => TenantBucket(customer, k), defaults: defaults);
        KafkaToS3Options options = topic.Options("copy-slots", untilCaughtUp: false);
        options.TenantBreakDuration = TimeSpan.FromMinutes(10);
        StagingOptions staging = StagingPeers.Options(stage);
        staging.PollInterval = TimeSpan.FromMilliseconds(200);
        Assert.That(staging.MaxConcurrentCopies, Is.LessThan(throttledForGood.Length), "more throttled customers than copy passes at once");

        var commits = new CommitWatch(topic);
        await using RunningWorker running = RunningWorker.Start(options, tenants, staging, hooks: commits.Hooks);
        KafkaToS3Worker worker = running.Worker;
        await commits.EveryWindowCommitted.WaitAsync(WorkerRuns.Limit);

        // The recovering customer answers again: its staged batches reach its bucket within seconds, while five others stay throttled.
        faults.Heal(recovering);
        var copying = Stopwatch.StartNew();
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            while ((await HeldTenantRun.TenantMessageIdsAsync(customer, recovering)).Count < topic.ExpectedMessageIdsOf(recovering).Count())
            {
                Assert.That(deadline.IsCancellationRequested, Is.False, $"the recovered customer's staged batches were still not all copied after {copying.Elapsed}: throttled customers' copies held every copy slot");
                await Task.Delay(100, CancellationToken.None); // the copiers' passes run on real time (200 ms apart)
            }
        }

        Assert.That(await running.StopAsync(), Is.EqualTo(ExitCodes.Success));
        Assert.That(await MessageIdsAsync(customer, recovering), Is.EquivalentTo(topic.ExpectedMessageIdsOf(recovering)), "the recovered customer: each event once");
        foreach (int k in new[] { 6, 7 })
        {
            Assert.That(await MessageIdsAsync(customer, k), Is.EquivalentTo(topic.ExpectedMessageIdsOf(k)), $"healthy tenant {k}: each event once");
        }

        Assert.That(await KafkaTopic.StagedMessageIdsAsync(stage), Is.EquivalentTo(throttledForGood.SelectMany(topic.ExpectedMessageIdsOf)), "only the throttled customers' events are still staged, each once");
    }

    [Test]
    public async Task KafkaToS3_SilentTenantsWithManyStagedBatches_DoNotKeepARecoveredTenantsStagedBatchesWaiting()
    {
        // Four customers whose endpoints never answer (as many as the copy passes that run at once), each with 20 batches
        // an earlier run left staged, and one answering 503 SlowDown until every copy slot is taken, then answering again.
        // A pass that tried each staged batch of a silent customer would hold its slot for 5 response timeouts (20
        // batches, 4 at a time), and the recovered customer's staged batches would wait that long for a slot. One attempt
        // that has no answer ends the silent customer's pass: its other batches wait for its next pass.
        const int recovering = 4, perSilent = 20, ofRecovering = 3;
        int[] silent = [0, 1, 2, 3];
        TimeSpan responseTimeout = TimeSpan.FromSeconds(4);
        string customer = await StagingPeers.NewBucketAsync("customer");
        string stage = await StagingPeers.NewBucketAsync("stage");
        string[] sources = [.. Enumerable.Range(0, 5).Select(k => Objects.UniqueSource(string.Create(CultureInfo.InvariantCulture, $"t{k}")))];
        var stalled = new ConcurrentDictionary<int, int>();
        int slowDowns = 0;
        bool recovered = false;
        await using FaultProxy proxy = MotoFaults.Proxy(request =>
        {
            if (request.Method != "PUT")
            {
                return ProxyAction.Forward;
            }

            foreach (int k in silent.Where(k => TenantPutFaults.IsPutOf(customer, k, request)))
            {
                stalled.AddOrUpdate(k, 1, (_, n) => n + 1);
                return ProxyAction.Stall;
            }

            if (!Volatile.Read(ref recovered) && TenantPutFaults.IsPutOf(customer, recovering, request))
            {
                Interlocked.Increment(ref slowDowns);
                return ProxyAction.SlowDown;
            }

            return ProxyAction.Forward;
        });
        S3RoleDestinationOptions defaults = Destinations.Options(s3Url: proxy.ServiceUrl.ToString());
        defaults.ResponseTimeout = responseTimeout;
        var tenants = new TenantDestinationsOptions { Defaults = defaults };
        for (int k = 0; k < sources.Length; k++)
        {
            await SharedPeers.AllowRoleToWriteAsync(customer, string.Create(CultureInfo.InvariantCulture, $"t{k:00}"));
            var tenant = new TenantOptions { Region = defaults.Region, Bucket = TenantBucket(customer, k), RoleArn = defaults.RoleArn, ExternalId = defaults.ExternalId };
            tenant.Sources.Add(sources[k]);
            tenants.Tenants.Add(tenant);
        }

        StagingOptions staging = StagingPeers.Options(stage);
        staging.PollInterval = TimeSpan.FromMilliseconds(200);
        Assert.That(staging.MaxConcurrentCopies, Is.EqualTo(silent.Length), "as many silent customers as copy passes at once");
        var expected = new Dictionary<int, List<string>>();
        for (int k = 0; k < sources.Length; k++)
        {
            expected[k] = [];
            using var stager = new StagingConsumer(staging, BucketLocation.Parse(TenantBucket(customer, k)), StagingPeers.ServiceCredentials());
            for (int b = 0; b < (k == recovering ? ofRecovering : perSilent); b++)
            {
                string id = string.Create(CultureInfo.InvariantCulture, $"t{k}-b{b}");
                expected[k].Add(id);
                using SealedBatch batch = await TestBatches.CreateAsync(sources[k], new DateOnly(2023, 11, 24), $"{{\"messageId\":\"{id}\"}}");
                await stager.StageAsync(batch);
            }
        }

        // The worker's start: one copier pass per tenant over what earlier runs left staged.
        var log = new CapturingLogger();
        await using (TenantDelivery delivery = TenantDelivery.Create(new KafkaToS3Options(), tenants, staging, Destinations.BaseCredentials(), StagingPeers.ServiceCredentials(), null, log))
        {
            delivery.Hold([0]); // as the worker does when the group gives it partition 0, of which these batches are (their ids are no topic's)
            await WaitUntilAsync(() => Volatile.Read(ref slowDowns) > 0 && silent.All(stalled.ContainsKey), WorkerRuns.Limit, "every silent customer's pass under way, and the recovering customer refused");

            // The recovering customer answers again while every silent customer's pass holds a copy slot.
            Volatile.Write(ref recovered, true);
            var copying = Stopwatch.StartNew();
            await WaitUntilAsync(() => delivery.CopiedFromStage == ofRecovering, WorkerRuns.Limit, "the recovered customer's staged batches copied");
            TestContext.Out.WriteLine($"the recovered customer's staged batches were copied {copying.Elapsed} after it answered again; silent customers' PUTs so far: {string.Join(", ", stalled.OrderBy(p => p.Key).Select(p => p.Value))}");
            Assert.That(copying.Elapsed, Is.LessThan(responseTimeout * 2.5), "a silent customer's pass costs its copy slot one response timeout, not one per staged batch");
        }

        Assert.That(await MessageIdsAsync(customer, recovering), Is.EquivalentTo(expected[recovering]), "the recovered customer: each event once");
        Assert.That(await KafkaTopic.StagedMessageIdsAsync(stage), Is.EquivalentTo(silent.SelectMany(k => expected[k])), "the silent customers' batches are all still staged, each once");
        foreach (int k in silent)
        {
            Assert.That(await MessageIdsAsync(customer, k), Is.Empty);
        }
    }

    [Test]
    public async Task KafkaToS3_AStagingBucketThatGoesSilentAfterWorking_DoesNotHoldAStopPastTheStepAside()
    {
        // A customer whose role is refused: each of its batches goes to the staging bucket, which takes the first window's
        // (so it is proven), then stops answering. Its client gives up an attempt after 10 s of silence and retries: a
        // stop that waited for the write under way would wait about that long, times the retries.
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(20);
        string customer = await topic.NewCustomerBucketAsync();
        string stage = await StagingPeers.NewBucketAsync("stage");
        await using StallingPuts stageProxy = StallingPuts.Under($"/{stage}/");
        TenantDestinationsOptions tenants = topic.Tenants(k => TenantBucket(customer, k), _ => "not-the-external-id");
        KafkaToS3Options options = topic.Options("stage-goes-silent", untilCaughtUp: false);
        options.DirectStepAside = TimeSpan.FromSeconds(2);
        StagingOptions staging = StagingPeers.Options(stage, stageProxy.ServiceUrl.ToString());
        staging.RequestTimeout = new StagingOptions().RequestTimeout;
        var commits = new CommitWatch(topic);
        var log = new CapturingLogger();
        RunningWorker running = RunningWorker.Start(options, tenants, staging, log, commits.Hooks);
        KafkaToS3Worker worker = running.Worker;
        await commits.EveryWindowCommitted.WaitAsync(WorkerRuns.Limit);
        Assert.That(worker.BatchesStaged, Is.EqualTo(topic.BatchCount), "the staging bucket took every batch: proven");

        // The staging bucket goes silent; the next window's batch is being staged when the worker is told to stop.
        stageProxy.GoSilent();
        await topic.ProduceMoreAsync(20);
        await WaitUntilAsync(() => stageProxy.Stalled > 0, WorkerRuns.Limit, "a write to the silent staging bucket under way");
        var stopping = Stopwatch.StartNew();
        Assert.That(await running.StopAsync(), Is.EqualTo(ExitCodes.Success));
        await running.DisposeAsync().AsTask().WaitAsync(WorkerRuns.Limit);
        TestContext.Out.WriteLine($"stopped {stopping.Elapsed} after the stop; PUTs to the silent staging bucket: {stageProxy.Stalled}");
        Assert.That(stopping.Elapsed, Is.LessThan(options.DirectStepAside + TimeSpan.FromSeconds(6)), "a stop waits for a staging write at most the step-aside, not the staging client's timeouts and retries");

        long[] committed = topic.CommittedOffsets("stage-goes-silent");
        Assert.That(committed, Is.EqualTo(new long[] { 5, 5, 5, 5 }), "the window whose batch was not staged is not committed: its records are read again by the next run");
        Assert.That(await KafkaTopic.StagedMessageIdsAsync(stage), Is.SupersetOf(topic.ExpectedMessageIds.Where(id => int.Parse(id[2..], CultureInfo.InvariantCulture) < 20)), "the first windows' events staged");
    }

    [Test]
    public async Task KafkaToS3_AStagingBucketThatGoesSilentAfterWorking_CostsTheOtherPartitionsTheStepAsideNotItsTimeouts()
    {
        // Source k is on partition k only. Tenant 0's role is refused: its batches go to the staging bucket, which takes
        // them (proven), then stops answering. Its client gives up an attempt after 10 s of silence and retries; the
        // worker's loop, which serves every partition, must not wait that long for it.
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(80, sources: 4, sourceOf: i => i % 4);
        string customer = await topic.NewCustomerBucketAsync();
        string stage = await StagingPeers.NewBucketAsync("stage");
        await using StallingPuts stageProxy = StallingPuts.Under($"/{stage}/");
        TenantDestinationsOptions tenants = topic.Tenants(k => TenantBucket(customer, k), k => k == 0 ? "not-the-external-id" : null);
        KafkaToS3Options options = topic.Options("stage-goes-silent-running", untilCaughtUp: false);
        options.DirectStepAside = TimeSpan.FromSeconds(2);
        StagingOptions staging = StagingPeers.Options(stage, stageProxy.ServiceUrl.ToString());
        staging.RequestTimeout = new StagingOptions().RequestTimeout;
        var committed = new ConcurrentDictionary<int, long>();
        var hooks = new WorkerHooks { BeforeCommit = commit => committed[commit.Partition.Value] = commit.Offset.Value };
        await using RunningWorker running = RunningWorker.Start(options, tenants, staging, hooks: hooks);
        KafkaToS3Worker worker = running.Worker;
        await WaitUntilAsync(() => Enumerable.Range(0, 4).All(p => committed.GetValueOrDefault(p) == topic.EndOffset(p)), WorkerRuns.Limit, "every window committed, tenant 0's staged");
        Assert.That(worker.BatchesStaged, Is.EqualTo(topic.BatchesOf(0)), "the staging bucket took tenant 0's batches: proven");

        // The staging bucket goes silent; more records come to every partition.
        stageProxy.GoSilent();
        await topic.ProduceMoreAsync(80);
        var clock = Stopwatch.StartNew();
        await WaitUntilAsync(() => new[] { 1, 2, 3 }.All(p => committed.GetValueOrDefault(p) == topic.EndOffset(p)), WorkerRuns.Limit, "partitions 1 to 3 committed to their ends");
        TestContext.Out.WriteLine($"partitions 1 to 3 done {clock.Elapsed} after the second produce; PUTs to the silent staging bucket: {stageProxy.Stalled}");
        Assert.That(stageProxy.Stalled, Is.GreaterThan(0), "a write to the silent staging bucket was made");
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(15)), "a silent staging bucket costs the other partitions the step-aside, not its client's timeouts and retries");
        Assert.That(committed.GetValueOrDefault(0), Is.LessThan(topic.EndOffset(0)), "partition 0 waits for the staging bucket");

        Assert.That(await running.StopAsync(), Is.EqualTo(ExitCodes.Success));
        foreach (int k in new[] { 1, 2, 3 })
        {
            Assert.That(await MessageIdsAsync(customer, k), Is.EquivalentTo(topic.ExpectedMessageIdsOf(k)), $"tenant {k}: each event once");
        }
    }

    [Test]
    public async Task KafkaToS3_AHealthyTenantWhoseEndpointGoesSilent_CostsTheOthersTheStepAsideNotItsResponseTimeout()
    {
        // Tenant 0 delivers directly (proven), then its endpoint stops answering. Its response timeout is far beyond this
        // test's bound: only the step-aside can end the windows' waits for it.
        const int silent = 0;
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(80, sources: 4); // 20 per partition: whole windows, each cut by its last record
        string customer = await topic.NewCustomerBucketAsync();
        string stage = await StagingPeers.NewBucketAsync("stage");
        await using StallingPuts proxy = StallingPuts.Under(TenantPath(customer, silent));
        S3RoleDestinationOptions defaults = Destinations.Options(s3Url: proxy.ServiceUrl.ToString());
        defaults.ResponseTimeout = TimeSpan.FromMinutes(10);
        TenantDestinationsOptions tenants = topic.Tenants(k => TenantBucket(customer, k), defaults: defaults);
        KafkaToS3Options options = topic.Options("goes-silent", untilCaughtUp: false);
        options.DirectStepAside = TimeSpan.FromSeconds(2);
        var commits = new CommitWatch(topic);
        var log = new CapturingLogger();
        await using RunningWorker running = RunningWorker.Start(options, tenants, StagingPeers.Options(stage), log, commits.Hooks);
        KafkaToS3Worker worker = running.Worker;
        await commits.EveryWindowCommitted.WaitAsync(WorkerRuns.Limit);
        Assert.That(worker.BatchesStaged, Is.Zero, "every tenant delivered directly: all proven");

        // Tenant 0 goes silent; more records come, on every partition, for every tenant.
        proxy.GoSilent();
        commits.ExpectMore();
        await topic.ProduceMoreAsync(80);
        var elapsed = Stopwatch.StartNew();
        await commits.EveryWindowCommitted.WaitAsync(WorkerRuns.Limit);
        TestContext.Out.WriteLine($"every window committed {elapsed.Elapsed} after the tenant went silent");
        Assert.That(elapsed.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)), "the silent tenant costs the others' windows the step-aside, not its response timeout");

        Assert.That(await running.StopAsync(), Is.EqualTo(ExitCodes.Success));
        foreach (int k in Enumerable.Range(1, 3))
        {
            Assert.That(await MessageIdsAsync(customer, k), Is.EquivalentTo(topic.ExpectedMessageIdsOf(k)), $"tenant {k}: each event once");
        }

        List<string> silentIds = [.. await MessageIdsAsync(customer, silent), .. (await KafkaTopic.StagedMessageIdsAsync(stage)).Where(id => topic.ExpectedMessageIdsOf(silent).Contains(id))];
        Assert.That(silentIds.Distinct(), Is.EquivalentTo(topic.ExpectedMessageIdsOf(silent)), "the silent tenant's events are in its bucket or staged");
    }

    [Test]
    public async Task KafkaToS3_ATenantWhoseEndpointNeverAnswers_CostsAWindowTheStepAsideNotItsResponseTimeout()
    {
        const int hung = 0;
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(96, sources: 4);
        string customer = await topic.NewCustomerBucketAsync();
        string stage = await StagingPeers.NewBucketAsync("stage");
        await using StallingPuts proxy = StallingPuts.Under(TenantPath(customer, hung), silentFromStart: true);
        S3RoleDestinationOptions defaults = Destinations.Options(s3Url: proxy.ServiceUrl.ToString());
        defaults.ResponseTimeout = TimeSpan.FromMinutes(10); // far beyond this test's bound: only the step-aside can end its windows' waits
        TenantDestinationsOptions tenants = topic.Tenants(k => TenantBucket(customer, k), defaults: defaults);
        KafkaToS3Options options = topic.Options("never-answers");
        options.DirectStepAside = TimeSpan.FromSeconds(2); // the default; the healthy customers' uploads are well within it
        var log = new CapturingLogger();

        // Caught up and stopped (its attempt to the silent customer cancelled) well within the customer's response timeout.
        (int exitCode, KafkaToS3Worker worker) = await WorkerRuns.RunToEndAsync(options, tenants, StagingPeers.Options(stage), log);
        Assert.That(exitCode, Is.EqualTo(ExitCodes.Success));

        Assert.That(topic.CommittedOffsets("never-answers"), Is.EqualTo(topic.EndOffsets), "every window committed");
        Assert.That((worker.ObjectsUploaded, worker.BatchesStaged), Is.EqualTo((topic.BatchCount - topic.BatchesOf(hung), (long)topic.BatchesOf(hung))));
        foreach (int k in Enumerable.Range(1, 3))
        {
            Assert.That(await MessageIdsAsync(customer, k), Is.EquivalentTo(topic.ExpectedMessageIdsOf(k)), $"tenant {k}: each event once");
        }

        Assert.That(await KafkaTopic.StagedMessageIdsAsync(stage), Is.EquivalentTo(topic.ExpectedMessageIdsOf(hung)), "the silent customer's events are staged, each once");
        Assert.That(topic.BatchesOf(hung), Is.GreaterThan(1));
        Assert.That(proxy.Stalled, Is.GreaterThanOrEqualTo(1), "the silent customer's endpoint was reached");
        string silent = $"Tenant {topic.Sources[hung]}: batch ";
        Assert.That(log.Lines.Count(l => l.Contains(silent, StringComparison.Ordinal) && l.Contains("had no answer within", StringComparison.Ordinal)), Is.EqualTo(1), "one direct attempt at a time to the silent customer");
        Assert.That(log.Lines.Count(l => l.Contains(silent, StringComparison.Ordinal) && l.Contains("goes to the staging bucket at once", StringComparison.Ordinal)), Is.EqualTo(topic.BatchesOf(hung) - 1), "its later batches were staged at once");
    }

    [Test]
    public async Task KafkaToS3_ADirectPutThatLandedButWhoseAnswerWasLost_IsStagedAndEndsAsOneObjectAtItsKey()
    {
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(12);
        string customer = await StagingPeers.NewBucketAsync("customer");
        string stage = await StagingPeers.NewBucketAsync("stage");
        bool losing = true;
        await using FaultProxy proxy = MotoFaults.Proxy(request =>
            Volatile.Read(ref losing) && request.Method == "PUT" ? ProxyAction.LandThenDropResponse : ProxyAction.Forward);
        S3RoleDestinationOptions defaults = FastFailing(Destinations.Options(s3Url: proxy.ServiceUrl.ToString()));
        TenantDestinationsOptions tenants = topic.Tenants(_ => customer, defaults: defaults);
        KafkaToS3Options options = topic.Options("lost-answers");
        StagingOptions staging = StagingPeers.Options(stage);

        (int exitCode, KafkaToS3Worker worker) = await WorkerRuns.RunToEndAsync(options, tenants, staging);
        Assert.That(exitCode, Is.EqualTo(ExitCodes.Success));

        Assert.That((worker.ObjectsUploaded, worker.BatchesStaged), Is.EqualTo((0L, 4L)), "no answer came back, so every batch was staged");
        List<string> landedDirectly = [.. proxy.Exchanges.Where(e => e.Action == ProxyAction.LandThenDropResponse && e.AnswerStatus == 200).Select(e => e.Request.Path.Split('?')[0]).Distinct()];
        Assert.That(landedDirectly, Is.Not.Empty, "at least one batch is in the customer's bucket and in the stage at once");

        // The customer's answers come back; a copier (the worker's, or rawdata deliver-staged with the tenant's values) moves
        // the staged batches, from the prefix of the tenant's identity, under which the worker staged them.
        Volatile.Write(ref losing, false);
        S3RoleDestinationOptions tenant = FastFailing(Destinations.Options(customer, s3Url: proxy.ServiceUrl.ToString()));
        using (var destination = new S3RoleDestination(tenant, Destinations.BaseCredentials()))
        using (var copier = new StagedBatchCopier(new StagingStore(StagingSettings.From(staging), StagingPeers.ServiceCredentials()), destination, null, null, TenantIdentity.Of(tenant).Tag))
        {
            StagedCopyResult drained = await copier.DrainAsync();
            Assert.That((drained.Delivered.Count, drained.AllDelivered), Is.EqualTo((4, true)));
        }

        Dictionary<string, string[]> objects = await Objects.ReadAllAsync("segment-logs/", customer);
        Assert.That(objects, Has.Count.EqualTo(4), "one object per batch, though some keys were written twice");
        Assert.That(landedDirectly.Select(p => p[(customer.Length + 2)..]), Is.SubsetOf(objects.Keys), "the staged copy went to the key the direct PUT had written");
        Assert.That(Objects.MessageIds(objects.Values.SelectMany(l => l)), Is.EquivalentTo(topic.ExpectedMessageIds).And.Unique);
        Assert.That(await StagingPeers.KeysAsync(stage), Is.Empty);
    }

    [Test]
    public async Task KafkaToS3_WithoutAStage_OneSlowDownIsRetriedAndTheWorkerGoesOn()
    {
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(42);
        int puts = 0;
        await using FaultProxy proxy = MotoFaults.Proxy(request =>
            request.Method == "PUT" && Interlocked.Increment(ref puts) == 1 ? ProxyAction.SlowDown : ProxyAction.Forward);
        string customer = await StagingPeers.NewBucketAsync("customer");
        TenantDestinationsOptions tenants = topic.Tenants(_ => customer, defaults: Destinations.Options(s3Url: proxy.ServiceUrl.ToString()));
        KafkaToS3Options options = topic.Options("one-slowdown");

        (int exitCode, KafkaToS3Worker worker) = await WorkerRuns.RunToEndAsync(options, tenants);
        Assert.That(exitCode, Is.EqualTo(ExitCodes.Success));

        Assert.That(proxy.Log.Count(l => l.Action == ProxyAction.SlowDown), Is.EqualTo(1));
        Assert.That((worker.WindowsHeld, worker.ObjectsUploaded), Is.EqualTo((0L, 10L)), "the retry took it: no window waited");
        await topic.AssertEveryRecordOnceAndCommittedAsync("one-slowdown", customer);
    }

    [Test]
    public async Task KafkaToS3_WithoutAStage_ATenantThatKeepsFailingHoldsOnlyItsPartitionUntilItRecovers()
    {
        // Source k is on partition k only: tenant 0's windows are all on partition 0.
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(80, sources: 4, sourceOf: i => i % 4);
        await using HeldTenantRun held = await HeldTenantRun.StartAsync(topic, "held");

        await held.HeldWhileOthersDoneAsync(WorkerRuns.Limit);
        Assert.That(held.Committed.GetValueOrDefault(0), Is.LessThan(topic.EndOffset(0)), "partition 0 waits for its customer");
        Assert.That(topic.CommittedOffsets("held")[1..], Is.EqualTo(new[] { 1, 2, 3 }.Select(topic.EndOffset)), "the other partitions went on to their ends");

        held.Release();
        Assert.That(await held.Run.WaitAsync(WorkerRuns.Limit), Is.EqualTo(ExitCodes.Success));

        Assert.That(held.Worker.WindowsHeld, Is.GreaterThanOrEqualTo(1));
        Assert.That(held.Worker.BatchesStaged, Is.Zero);
        Assert.That(topic.CommittedOffsets("held"), Is.EqualTo(topic.EndOffsets));
        for (int k = 0; k < 4; k++)
        {
            Assert.That(await held.MessageIdsAsync(k), Is.EquivalentTo(topic.ExpectedMessageIdsOf(k)), $"tenant {k}: each event once, the held partition's records read again after the release");
        }
    }

    [Test]
    public async Task KafkaToS3_WithoutAStage_ATenantWhoseEndpointNeverAnswersHoldsOnlyItsPartitionNotTheWorker()
    {
        // Source k is on partition k only: tenant 0's windows are all on partition 0, and its endpoint never answers.
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(80, sources: 4, sourceOf: i => i % 4);
        string customer = await topic.NewCustomerBucketAsync();
        await using StallingPuts proxy = StallingPuts.Under(TenantPath(customer, 0), silentFromStart: true);
        S3RoleDestinationOptions defaults = Destinations.Options(s3Url: proxy.ServiceUrl.ToString());
        defaults.ResponseTimeout = TimeSpan.FromSeconds(40); // beyond the bound on the others: only the step-aside can end their wait
        TenantDestinationsOptions tenants = topic.Tenants(k => TenantBucket(customer, k), defaults: defaults);
        KafkaToS3Options options = topic.Options("held-silent", untilCaughtUp: false);
        options.DirectStepAside = TimeSpan.FromSeconds(2);
        options.HoldRetryDelay = TimeSpan.FromMilliseconds(100);
        options.HoldRetryMaxDelay = TimeSpan.FromMilliseconds(400);
        var committed = new ConcurrentDictionary<int, long>();
        var hooks = new WorkerHooks { BeforeCommit = commit => committed[commit.Partition.Value] = commit.Offset.Value };
        await using RunningWorker running = RunningWorker.Start(options, tenants, hooks: hooks);
        KafkaToS3Worker worker = running.Worker;

        // Once the silent customer's first PUT hangs, more records come to every partition: the others commit them within seconds.
        await WaitUntilAsync(() => proxy.Stalled > 0, WorkerRuns.Limit, "the silent customer's endpoint reached");
        await topic.ProduceMoreAsync(80);
        var clock = Stopwatch.StartNew();
        await WaitUntilAsync(() => new[] { 1, 2, 3 }.All(p => committed.GetValueOrDefault(p) == topic.EndOffset(p)), TimeSpan.FromSeconds(25), "partitions 1 to 3 committed to their ends while partition 0's customer never answers");
        TestContext.Out.WriteLine($"partitions 1 to 3 done {clock.Elapsed} after the second produce");
        Assert.That(committed.GetValueOrDefault(0), Is.LessThan(topic.EndOffset(0)), "partition 0 waits for its customer");

        // The customer answers again: partition 0 goes on to its end, every event once.
        proxy.AnswerAgain();
        await WaitUntilAsync(() => committed.GetValueOrDefault(0) == topic.EndOffset(0), WorkerRuns.Limit, "partition 0 committed to its end after its customer answered");
        Assert.That(await running.StopAsync(), Is.EqualTo(ExitCodes.Success));
        Assert.That(worker.BatchesStaged, Is.Zero);
        for (int k = 0; k < 4; k++)
        {
            Assert.That(await MessageIdsAsync(customer, k), Is.EquivalentTo(topic.ExpectedMessageIdsOf(k)), $"tenant {k}: each event once");
        }
    }

    [Test]
    public async Task KafkaToS3_PartitionsPausedWhileHeldOrCaughtUp_AreReadAgainWhenARebalanceGivesThemBack()
    {
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(80, sources: 4, sourceOf: i => i % 4);
        const string group = "held-rebalance";
        await using HeldTenantRun held = await HeldTenantRun.StartAsync(topic, group);
        await held.HeldWhileOthersDoneAsync(WorkerRuns.Limit); // partition 0 paused (held), 1 to 3 paused (caught up)

        // A member of the same group joins and leaves: two rebalances, each revoking every partition and giving it back. It
        // reads another topic, so the worker keeps all four: had it been given only caught-up ones for a moment, a run
        // until caught up would rightly have ended there, with partition 0 another member's.
        string otherTopic = topic.Name + ".other";
        using (var producer = new Confluent.Kafka.ProducerBuilder<Confluent.Kafka.Null, string>(new Confluent.Kafka.ProducerConfig { BootstrapServers = topic.Cluster.BootstrapServers }).Build())
        {
            await producer.ProduceAsync(otherTopic, new Confluent.Kafka.Message<Confluent.Kafka.Null, string> { Value = "{}" });
        }

        var joined = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (Confluent.Kafka.IConsumer<Confluent.Kafka.Ignore, Confluent.Kafka.Ignore> member = new Confluent.Kafka.ConsumerBuilder<Confluent.Kafka.Ignore, Confluent.Kafka.Ignore>(
            new Confluent.Kafka.ConsumerConfig { BootstrapServers = topic.Cluster.BootstrapServers, GroupId = group, EnableAutoCommit = false, SessionTimeoutMs = 3000, HeartbeatIntervalMs = 100 })
            .SetPartitionsAssignedHandler((_, partitions) =>
            {
                if (partitions.Count > 0)
                {
                    joined.TrySetResult();
                }
            })
            .Build())
        {
            member.Subscribe(otherTopic);
            using var deadline = new CancellationTokenSource(WorkerRuns.Limit);
            while (!joined.Task.IsCompleted)
            {
                deadline.Token.ThrowIfCancellationRequested();
                member.Consume(TimeSpan.FromMilliseconds(100));
            }

            member.Close();
        }

        held.Release();
        Assert.That(await held.Run.WaitAsync(WorkerRuns.Limit), Is.EqualTo(ExitCodes.Success), "every partition given back was read to its end again");

        Assert.That(held.Worker.BatchesDropped, Is.GreaterThanOrEqualTo(1), "the rebalance dropped the held window, uncommitted");
        Assert.That(topic.CommittedOffsets(group), Is.EqualTo(topic.EndOffsets));
        for (int k = 0; k < 4; k++)
        {
            Assert.That(await held.MessageIdsAsync(k), Is.EquivalentTo(topic.ExpectedMessageIdsOf(k)), $"tenant {k}: each event once");
        }
    }

    /// <summary>Waits until <paramref name="done"/> holds, at most <paramref name="bound"/>, checking every 50 ms; fails naming <paramref name="what"/>.</summary>
    private static async Task WaitUntilAsync(Func<bool> done, TimeSpan bound, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!done())
        {
            Assert.That(clock.Elapsed, Is.LessThan(bound), $"not {what} within {bound}");
            await Task.Delay(50, CancellationToken.None);
        }
    }

    /// <summary>Attempts that give up quickly: an endpoint silent for 1 s fails the attempt, and an upload (the copier's) retries for 3 s at most.</summary>
    private static S3RoleDestinationOptions FastFailing(S3RoleDestinationOptions options)
    {
        options.ResponseTimeout = TimeSpan.FromSeconds(1);
        options.RetryTimeLimit = TimeSpan.FromSeconds(3);
        return options;
    }

    private static string TenantBucket(string customer, int k) => HeldTenantRun.TenantBucket(customer, k);

    private static string TenantPath(string customer, int k) => HeldTenantRun.TenantPath(customer, k);

    private static Task<List<string>> MessageIdsAsync(string customer, int k) => HeldTenantRun.TenantMessageIdsAsync(customer, k);
}
