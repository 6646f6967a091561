namespace RawDataDestination.Tests.Integration;

/// <summary>Real faults between the SDK and s3rver, injected by a loopback proxy; and STS outages.</summary>
public class FaultInjectionTests
{
    private static byte[] Event(string id) =>
        Encoding.UTF8.GetBytes($"{{\"type\":\"track\",\"messageId\":\"{id}\",\"receivedAt\":\"2023-11-24T10:00:00.000Z\"}}");

    private static bool IsPut(ProxyRequest request) => request.Method == "PUT";

    [Test]
    public async Task Ship_WhenOneRequestInThreeFails_LosesNothingAndDuplicatesNothing()
    {
        ProxyAction[] faults = [ProxyAction.SlowDown, ProxyAction.InternalError, ProxyAction.ResetMidRequest, ProxyAction.LandThenDropResponse, ProxyAction.Stall];
        int puts = 0;
        int stalls = 0;
        await using FaultProxy proxy = MotoFaults.Proxy(request =>
        {
            if (!IsPut(request))
            {
                return ProxyAction.Forward;
            }

            int n = Interlocked.Increment(ref puts);
            if (n % 3 != 0)
            {
                return ProxyAction.Forward;
            }

            ProxyAction fault = faults[(n / 3) % faults.Length];
            return fault == ProxyAction.Stall && Interlocked.Increment(ref stalls) > 2 ? ProxyAction.SlowDown : fault;
        });
        string source = Objects.UniqueSource("faults");
        S3RoleDestinationOptions options = Destinations.Options(s3Url: proxy.ServiceUrl.ToString());
        options.RequestTimeout = TimeSpan.FromSeconds(2); // a stalled request is abandoned and retried
        const int Events = 3_000;
        using (var destination = Destinations.Create(options))
        await using (var buffer = new BatchBuffer(new BatchBufferOptions { MaxBatchBytes = 4_000, MaxEventBytes = 1024 }, destination))
        {
            for (int i = 0; i < Events; i++)
            {
                await buffer.AppendAsync(source, Event($"f-{i}"));
            }

            await buffer.FlushAsync();
        }

        Dictionary<string, string[]> objects = await Objects.ReadAllAsync($"segment-logs/{source}/");
        var ids = Objects.MessageIds(objects.Values.SelectMany(lines => lines)).ToList();
        Assert.That(proxy.Log.Count(l => l.Action != ProxyAction.Forward), Is.GreaterThan(20), "faults were injected");
        Assert.That(proxy.Log.Select(l => l.Action).Distinct(), Is.SupersetOf(faults));
        Assert.That(ids.Except(Enumerable.Range(0, Events).Select(i => $"f-{i}")), Is.Empty);
        Assert.That(ids, Has.Count.EqualTo(Events), "0 lost");
        Assert.That(ids, Is.Unique, "0 duplicated");
    }

    [Test]
    public async Task Upload_WhenAPutLandsButItsAnswerIsLost_TheRetryRewritesTheSameKey()
    {
        await using FaultProxy proxy = MotoFaults.FirstPut(ProxyAction.LandThenDropResponse);
        string source = Objects.UniqueSource("landed");
        using S3RoleDestination destination = Destinations.Through(proxy);
        using SealedBatch batch = await TestBatches.CreateAsync(source, new DateOnly(2023, 11, 24), "{\"messageId\":\"only\",\"receivedAt\":\"2023-11-24T10:00:00Z\"}");

        UploadedObject uploaded = await destination.UploadAsync(batch);

        var putPaths = proxy.Log.Where(l => IsPut(l.Request)).Select(l => l.Request.Path).ToList();
        Assert.That(putPaths, Has.Count.EqualTo(2), "the first answer was lost, so the PUT was sent again");
        Assert.That(putPaths.Distinct().Single(), Does.EndWith(uploaded.Key), "both attempts wrote the same key");
        Assert.That(await SharedPeers.S3.ListKeysAsync(SharedPeers.Bucket, $"segment-logs/{source}/"), Is.EqualTo(new[] { uploaded.Key }), "one object, not two");
        Assert.That(await SharedPeers.S3.GetObjectBytesAsync(SharedPeers.Bucket, uploaded.Key), Is.EqualTo(batch.ReadAllBytes()));
    }

    /// <summary>
    /// A PUT S3 stored but whose answer was lost leaves the batch saying it may have been written, and the object is
    /// there; one S3 answered with an error says it was not.
    /// </summary>
    [TestCase(nameof(ProxyAction.LandThenDropResponse), true)]
    [TestCase(nameof(ProxyAction.InternalError), false)]
    [TestCase(nameof(ProxyAction.SlowDown), false)]
    public async Task Consume_WhenThePutFails_TheBatchSaysWhetherItMayHaveBeenWritten(string faultName, bool mayHaveBeenWritten)
    {
        ProxyAction fault = Enum.Parse<ProxyAction>(faultName);
        await using var proxy = new FaultProxy(new Uri(SharedPeers.S3.ServiceUrl), request => IsPut(request) ? fault : ProxyAction.Forward);
        using var destination = Destinations.Create(Destinations.Options(s3Url: proxy.ServiceUrl.ToString()));
        string source = Objects.UniqueSource("answer-lost");
        using SealedBatch batch = await TestBatches.CreateAsync(source, new DateOnly(2023, 11, 24), "{\"messageId\":\"a\"}");

        Assert.ThrowsAsync<DestinationException>(async () => await ((ISealedBatchConsumer)destination).ConsumeAsync(batch, CancellationToken.None));

        Assert.That(batch.MayHaveBeenWritten, Is.EqualTo(mayHaveBeenWritten));
        Assert.That(await SharedPeers.S3.ListKeysAsync(SharedPeers.Bucket, $"segment-logs/{source}/"), Has.Count.EqualTo(mayHaveBeenWritten ? 1 : 0), "what S3 holds");
    }

    /// <summary>
    /// The shutdown's deadline cancels a PUT whose body S3 took in full and that still waits for its answer: the batch
    /// the buffer hands back says it may have been written.
    /// </summary>
    [Test]
    [CancelAfter(60_000)]
    public async Task Dispose_WhileAPutTakenInFullAwaitsItsAnswer_HandsTheBatchBackSayingItMayHaveBeenWritten()
    {
        await using var proxy = new FaultProxy(new Uri(SharedPeers.S3.ServiceUrl), request => IsPut(request) ? ProxyAction.Stall : ProxyAction.Forward);
        using S3RoleDestination destination = Destinations.Through(proxy, options => options.ResponseTimeout = TimeSpan.FromMinutes(5));
        var buffer = new BatchBuffer(new BatchBufferOptions { ShutdownTimeout = TimeSpan.FromSeconds(1) }, destination);
        await buffer.AppendAsync(Objects.UniqueSource("stalled"), Event("s-1"));
        using (var stopWaiting = new CancellationTokenSource())
        {
            Task flushing = buffer.FlushAsync(stopWaiting.Token);
            while (!proxy.Exchanges.Any(exchange => IsPut(exchange.Request)))
            {
                await Task.Delay(20); // bounded by [CancelAfter]: the proxy has read the PUT's body, and never answers
            }

            await stopWaiting.CancelAsync();
            Assert.That(async () => await flushing, Throws.InstanceOf<OperationCanceledException>());
        }

        await buffer.DisposeAsync();

        using SealedBatch batch = buffer.TakeUndeliveredBatches().Single();
        Assert.That(batch.MayHaveBeenWritten, Is.True);
    }

    [Test]
    public async Task Upload_WhenS3RefusesWithACodeNoRuleNames_ThrowsItExplainedOnceWithS3sAnswerInside()
    {
        await using var proxy = new FaultProxy(new Uri(SharedPeers.S3.ServiceUrl), request =>
            IsPut(request) ? ProxyDecision.Response(400, "SomethingNew", "A rule this library has no word for.") : ProxyAction.Forward);
        using var destination = Destinations.Create(Destinations.Options(s3Url: proxy.ServiceUrl.ToString()));
        using SealedBatch batch = await TestBatches.CreateAsync(Objects.UniqueSource("unknown"), new DateOnly(2023, 11, 24), "{\"messageId\":\"u\"}");

        DestinationException? error = Assert.ThrowsAsync<DestinationException>(async () => await destination.UploadAsync(batch));

        Assert.That(error!.ErrorCode, Is.EqualTo("SomethingNew"));
        Assert.That(error.IsPermanent, Is.True, "a 400 is not retried");
        Assert.That(error.Message, Does.Contain("SomethingNew").And.Contain($"'{SharedPeers.Bucket}'"), "what S3 said, naming the bucket");
        Assert.That(error.InnerException, Is.InstanceOf<AmazonS3Exception>());
        Assert.That(proxy.Log.Count(l => IsPut(l.Request)), Is.EqualTo(1));
    }

    [Test]
    public async Task Consume_WhenS3IsThrottling_ThrowsTheErrorExplainedAsTransient()
    {
        await using var proxy = new FaultProxy(new Uri(SharedPeers.S3.ServiceUrl), request => IsPut(request) ? ProxyAction.SlowDown : ProxyAction.Forward);
        using var destination = Destinations.Create(Destinations.Options(s3Url: proxy.ServiceUrl.ToString()));
        using SealedBatch batch = await TestBatches.CreateAsync(Objects.UniqueSource("throttled"), new DateOnly(2023, 11, 24), "{\"messageId\":\"t\"}");

        DestinationException? error = Assert.ThrowsAsync<DestinationException>(async () => await ((ISealedBatchConsumer)destination).ConsumeAsync(batch, CancellationToken.None));

        Assert.That(error!.ErrorCode, Is.EqualTo("SlowDown"));
        Assert.That(error.IsPermanent, Is.False, "the buffer retries it");
        Assert.That(error.InnerException, Is.InstanceOf<AmazonS3Exception>());
    }

    [Test]
    public async Task Upload_WithConditionalWrites_CountsA412OnTheRetryAsDelivered()
    {
        int puts = 0;
        await using FaultProxy proxy = MotoFaults.Proxy(request =>
            !IsPut(request) ? ProxyAction.Forward
            : Interlocked.Increment(ref puts) == 1 ? ProxyAction.LandThenDropResponse
            : request.Headers.ContainsKey("if-none-match") ? ProxyAction.PreconditionFailed // as AWS answers: the object exists
            : ProxyAction.Forward);
        string source = Objects.UniqueSource("conditional");
        using S3RoleDestination destination = Destinations.Through(proxy, o => o.ConditionalWrites = ConditionalWrites.Enabled);
        using SealedBatch batch = await TestBatches.CreateAsync(source, new DateOnly(2023, 11, 24), "{\"messageId\":\"c\",\"receivedAt\":\"2023-11-24T10:00:00Z\"}");

        UploadedObject uploaded = await destination.UploadAsync(batch);

        Assert.That(proxy.Log.Where(l => IsPut(l.Request)).Select(l => l.Request.Headers.GetValueOrDefault("if-none-match")), Is.All.EqualTo("*"));
        Assert.That(proxy.Log[^1].Action, Is.EqualTo(ProxyAction.PreconditionFailed));
        Assert.That(await SharedPeers.S3.ListKeysAsync(SharedPeers.Bucket, $"segment-logs/{source}/"), Is.EqualTo(new[] { uploaded.Key }));
    }

    [Test]
    public async Task Upload_WithConditionalWrites_RetriesA409ConflictWithAWriteOfTheSameKeyInProgress()
    {
        // AWS: "If a conflicting operation occurs during the upload, S3 returns a 409 ConditionalRequestConflict
        // response. On a 409 failure you should retry the upload." It was taken for a refusal: the batch was given up.
        int puts = 0;
        await using FaultProxy proxy = MotoFaults.Proxy(request =>
            IsPut(request) && Interlocked.Increment(ref puts) == 1
                ? ProxyDecision.Response(409, "ConditionalRequestConflict", "A conflicting conditional operation is currently in progress against this resource. Please try again.")
                : ProxyAction.Forward);
        string source = Objects.UniqueSource("conflict");
        using S3RoleDestination destination = Destinations.Through(proxy, o => o.ConditionalWrites = ConditionalWrites.Enabled);
        using SealedBatch batch = await TestBatches.CreateAsync(source, new DateOnly(2023, 11, 24), "{\"messageId\":\"c\",\"receivedAt\":\"2023-11-24T10:00:00Z\"}");

        UploadedObject uploaded = await destination.UploadAsync(batch);

        Assert.That(proxy.Log.Count(l => IsPut(l.Request)), Is.EqualTo(2), "the 409, then the retry");
        Assert.That(await SharedPeers.S3.ListKeysAsync(SharedPeers.Bucket, $"segment-logs/{source}/"), Is.EqualTo(new[] { uploaded.Key }));
        Assert.That(Objects.MessageIds(Gzip.Lines(await SharedPeers.S3.GetObjectBytesAsync(SharedPeers.Bucket, uploaded.Key))), Is.EqualTo(new[] { "c" }));
    }

    [Test]
    public async Task Upload_WhenAWebPageAnswersThePut_RefusesItForGoodInsteadOfReturningItAsWritten()
    {
        await using FaultProxy proxy = MotoFaults.Proxy(request =>
            IsPut(request) ? new ProxyDecision(ProxyAction.Respond, 200, "<html><body>It works!</body></html>") : ProxyAction.Forward);
        string source = Objects.UniqueSource("notS3");
        using S3RoleDestination destination = Destinations.Through(proxy);
        using SealedBatch batch = await TestBatches.CreateAsync(source, new DateOnly(2023, 11, 24), "{\"messageId\":\"w\",\"receivedAt\":\"2023-11-24T10:00:00Z\"}");

        DestinationException? refused = Assert.ThrowsAsync<DestinationException>(async () => await destination.UploadAsync(batch));

        Assert.That((refused!.ErrorCode, refused.IsPermanent), Is.EqualTo(("NotS3", true)));
        Assert.That(refused.Message, Does.Contain("is not S3: it took the PutObject with HTTP 200 but without the ETag").And.EndWith("Check ServiceUrl: it must be the S3 endpoint."));
        Assert.That(proxy.Log.Count(l => IsPut(l.Request)), Is.EqualTo(1), "not retried");
    }

    [Test]
    public async Task Upload_WhenTheStoreAnswers501ToConditionalWrites_FallsBackToPlainPut()
    {
        await using FaultProxy proxy = MotoFaults.Proxy(request =>
            IsPut(request) && request.Headers.ContainsKey("if-none-match")
                ? ProxyDecision.Response(501, "NotImplemented", "A header you provided implies functionality that is not implemented")
                : ProxyAction.Forward);
        string source = Objects.UniqueSource("fallback");
        using S3RoleDestination destination = Destinations.Through(proxy, o => o.ConditionalWrites = ConditionalWrites.Enabled);
        using SealedBatch first = await TestBatches.CreateAsync(source, new DateOnly(2023, 11, 24), "{\"messageId\":\"1\"}");
        using SealedBatch second = await TestBatches.CreateAsync(source, new DateOnly(2023, 11, 24), "{\"messageId\":\"2\"}");

        await destination.UploadAsync(first);
        await destination.UploadAsync(second);

        Assert.That(proxy.Log.Count(l => l.Request.Headers.ContainsKey("if-none-match")), Is.EqualTo(1), "asked once");
        Assert.That(await SharedPeers.S3.ListKeysAsync(SharedPeers.Bucket, $"segment-logs/{source}/"), Has.Count.EqualTo(2));
    }

    [Test]
    public async Task Replay_WithHostChosenBatchIds_RewritesTheSameKeysWithTheSameBytes()
    {
        string source = Objects.UniqueSource("replay");
        var sealedAt = new DateTimeOffset(2023, 11, 24, 10, 5, 0, TimeSpan.Zero);
        using var destination = Destinations.Create(Destinations.Options());

        async Task<(string Key, byte[] Bytes)> ShipAsync()
        {
            await using var builder = new BatchBuilder(source, new DateOnly(2023, 11, 24), "orders-3-0000001200", sealedAt);
            for (int offset = 1200; offset < 1250; offset++)
            {
                await builder.AppendAsync(Event($"k-{offset}"));
            }

            using SealedBatch batch = await builder.SealAsync();
            return ((await destination.UploadAsync(batch)).Key, batch.ReadAllBytes());
        }

        var first = await ShipAsync();
        var replay = await ShipAsync(); // the host crashed before committing its offsets and reads the same records again

        Assert.That(replay.Key, Is.EqualTo(first.Key));
        Assert.That(replay.Bytes, Is.EqualTo(first.Bytes));
        Assert.That(first.Key, Does.EndWith($"/1700784000000/{sealedAt.ToUnixTimeMilliseconds()}.orders-3-0000001200.gz"));
        Assert.That(await SharedPeers.S3.ListKeysAsync(SharedPeers.Bucket, $"segment-logs/{source}/"), Is.EqualTo(new[] { first.Key }), "one object");
    }

    [Test]
    public async Task Upload_WhenStsIsDownButCredentialsAreCached_GoesOn()
    {
        using var destination = Destinations.Create(Destinations.Options());
        string source = Objects.UniqueSource("sts-cached");
        using SealedBatch first = await TestBatches.CreateAsync(source, new DateOnly(2023, 11, 24), "{\"messageId\":\"1\"}");
        using SealedBatch second = await TestBatches.CreateAsync(source, new DateOnly(2023, 11, 24), "{\"messageId\":\"2\"}");
        await destination.UploadAsync(first);

        await SharedPeers.Sts.SetDownAsync(true);
        try
        {
            await destination.UploadAsync(second);
        }
        finally
        {
            await SharedPeers.Sts.SetDownAsync(false);
        }

        Assert.That(await SharedPeers.S3.ListKeysAsync(SharedPeers.Bucket, $"segment-logs/{source}/"), Has.Count.EqualTo(2));
    }

    [Test]
    public async Task Upload_WhenCredentialsExpiredAndStsIsDown_WaitsAndCompletesWhenStsIsBack()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        S3RoleDestinationOptions options = Destinations.Options();
        options.RetryTimeLimit = TimeSpan.FromHours(1);
        using var destination = Destinations.Create(options, time);
        string source = Objects.UniqueSource("sts-down");
        using SealedBatch first = await TestBatches.CreateAsync(source, new DateOnly(2023, 11, 24), "{\"messageId\":\"1\"}");
        using SealedBatch second = await TestBatches.CreateAsync(source, new DateOnly(2023, 11, 24), "{\"messageId\":\"2\"}");
        await destination.UploadAsync(first);

        await SharedPeers.Sts.SetExpiryAsync(12 * 3600);
        await SharedPeers.Sts.SetDownAsync(true);
        try
        {
            time.Advance(TimeSpan.FromHours(2)); // the cached credentials have expired
            int callsBefore = await SharedPeers.Sts.GetCallCountAsync();
            Task<UploadedObject> upload = destination.UploadAsync(second);
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (await SharedPeers.Sts.GetCallCountAsync() < callsBefore + 2)
            {
                time.Advance(TimeSpan.FromSeconds(1)); // lets the backoff timers fire
                await Task.Delay(10, deadline.Token);
            }

            Assert.That(upload.IsCompleted, Is.False, "the batch waits while STS is down");
            await SharedPeers.Sts.SetDownAsync(false);
            while (!upload.IsCompleted)
            {
                time.Advance(TimeSpan.FromSeconds(1));
                await Task.Delay(10, deadline.Token);
            }

            await upload;
        }
        finally
        {
            await SharedPeers.Sts.SetDownAsync(false);
            await SharedPeers.Sts.SetExpiryAsync(3600);
        }

        Assert.That(await SharedPeers.S3.ListKeysAsync(SharedPeers.Bucket, $"segment-logs/{source}/"), Has.Count.EqualTo(2));
    }

    [TestCase(2, 3)]
    [TestCase(2, 5)]
    public async Task Ship_WhenS3DeclaresTheSessionTokenExpiredMidRun_AssumesTheRoleAgainAndDelivers(int first, int last)
    {
        // 2 to 5: a token refused again after its refresh, twice over (QA: four in a row gave the batch up at once).
        int puts = 0;
        await using FaultProxy proxy = MotoFaults.Proxy(request =>
            IsPut(request) && Interlocked.Increment(ref puts) is var put && put >= first && put <= last
                ? ProxyDecision.Response(400, "ExpiredToken", "The provided token has expired.")
                : ProxyAction.Forward);
        string source = Objects.UniqueSource("expired");
        int stsCallsBefore = await SharedPeers.Sts.GetCallCountAsync();
        using (var destination = Destinations.Create(Destinations.Options(s3Url: proxy.ServiceUrl.ToString())))
        await using (var buffer = new BatchBuffer(new BatchBufferOptions { MaxBatchBytes = 2_000, MaxEventBytes = 1024, RetryBaseDelay = TimeSpan.FromMilliseconds(50), RetryMaxDelay = TimeSpan.FromMilliseconds(200) }, destination))
        {
            for (int i = 0; i < 100; i++)
            {
                await buffer.AppendAsync(source, Event($"t-{i}"));
            }

            await buffer.FlushAsync();
        }

        Assert.That(await SharedPeers.Sts.GetCallCountAsync() - stsCallsBefore, Is.GreaterThanOrEqualTo(2), "the first AssumeRole, and another after S3 refused the token");
        List<string> ids = await Objects.MessageIdsAsync($"segment-logs/{source}/");
        Assert.That(ids, Is.EquivalentTo(Enumerable.Range(0, 100).Select(i => $"t-{i}")), "every event once");
        Assert.That(proxy.Log.Count(l => l.Action == ProxyAction.Respond), Is.EqualTo(last - first + 1));
    }

    [Test]
    public async Task Ship_ThroughAnOutage_WithSpool_AcknowledgesEveryEventDuringItAndDeliversEachOnce()
    {
        bool down = true;
        await using FaultProxy proxy = MotoFaults.Proxy(request =>
            IsPut(request) && Volatile.Read(ref down) ? ProxyAction.InternalError : ProxyAction.Forward);
        string source = Objects.UniqueSource("outage-spool");
        string spool = Directory.CreateTempSubdirectory("rawdata-outage-").FullName;
        const int Events = 2_000;
        try
        {
            using S3RoleDestination destination = Destinations.Through(proxy);
            await using var buffer = new BatchBuffer(
                new BatchBufferOptions { SpoolDirectory = spool, MaxBatchBytes = 4_000, MaxEventBytes = 1024, MaxPendingBatches = 1, BufferFullMode = BufferFullMode.Fail, RetryBaseDelay = TimeSpan.FromMilliseconds(50), RetryMaxDelay = TimeSpan.FromMilliseconds(300) },
                destination);
            for (int i = 0; i < Events; i++)
            {
                await buffer.AppendAsync(source, Event($"o-{i}")); // never BufferFull: the spool is the buffer
            }

            Assert.That(Volatile.Read(ref down), Is.True, "every event was acknowledged during the outage");
            Assert.That(buffer.GetStatus().FailingBatches + buffer.GetStatus().UploadingBatches + buffer.GetStatus().WaitingBatches, Is.GreaterThan(10));
            Volatile.Write(ref down, false);
            await buffer.FlushAsync();
            Assert.That(buffer.GetStatus().DeliveredEvents, Is.EqualTo(Events));
        }
        finally
        {
            Directory.Delete(spool, recursive: true);
        }

        List<string> ids = await Objects.MessageIdsAsync($"segment-logs/{source}/");
        Assert.That(ids, Has.Count.EqualTo(Events), "0 lost");
        Assert.That(ids, Is.Unique, "0 duplicated");
        Assert.That(proxy.Log.Count(l => l.Action == ProxyAction.InternalError), Is.GreaterThan(0), "the outage was real (the circuit breaker keeps the count of refused PUTs low)");
    }

    [Test]
    public async Task Ship_ThroughAnOutageOfSeconds_WithoutSpool_DeliversEveryEventOnce()
    {
        var outage = System.Diagnostics.Stopwatch.StartNew();
        await using FaultProxy proxy = MotoFaults.Proxy(request =>
            IsPut(request) && outage.Elapsed < TimeSpan.FromSeconds(3) ? ProxyAction.SlowDown : ProxyAction.Forward);
        string source = Objects.UniqueSource("outage");
        const int Events = 1_000;
        using (var destination = Destinations.Create(Destinations.Options(s3Url: proxy.ServiceUrl.ToString())))
        await using (var buffer = new BatchBuffer(new BatchBufferOptions { MaxBatchBytes = 4_000, MaxEventBytes = 1024, RetryBaseDelay = TimeSpan.FromMilliseconds(50), RetryMaxDelay = TimeSpan.FromMilliseconds(500) }, destination))
        {
            for (int i = 0; i < Events; i++)
            {
                await buffer.AppendAsync(source, Event($"w-{i}"));
            }

            await buffer.FlushAsync();
        }

        List<string> ids = await Objects.MessageIdsAsync($"segment-logs/{source}/");
        Assert.That(ids, Has.Count.EqualTo(Events), "0 lost");
        Assert.That(ids, Is.Unique, "0 duplicated");
        Assert.That(proxy.Log.Count(l => l.Action == ProxyAction.SlowDown), Is.GreaterThan(5), "the outage was real");
    }
}
