namespace RawDataDestination.Tests.Batching;

/// <summary>
/// A customer removed while its sources still have batches open (a configuration reload), or a router that throws (its
/// settings broken since the events were appended): those batches can no longer be routed when they are sealed. They are
/// kept, all in one lane per cause of the failure, which no routed customer ever shares, with one warning per cause; the
/// healthy customers are not slowed; and once the customer is listed again its kept batches are delivered to it, each once.
/// </summary>
public class BatchBufferUnroutedTests
{
    private const int RemovedSources = 1000;

    private static string Removed(int i) => string.Create(CultureInfo.InvariantCulture, $"gone-{i:D4}");

    [TestCase(false)]
    [TestCase(true)]
    public async Task Seal_WhenAThousandSourcesLoseTheirTenant_TheirBatchesShareOneLaneWithOneWarningAndAreDeliveredOnceItIsBack(bool withSpool)
    {
        var time = new FakeTimeProvider(Start);
        var logger = new CapturingLogger();
        var router = new TenantsRouter(time);
        string[] removed = [.. Enumerable.Range(0, RemovedSources).Select(Removed)];
        router.List("gone", removed);
        using var spool = withSpool ? new TempDirectory() : null;
        await using var buffer = new BatchBuffer(Options(spool), router, time, new Microsoft.Extensions.Logging.Logger<BatchBuffer>(logger));
        foreach (string source in removed)
        {
            await buffer.AppendAsync(source, Event(source, 0)).AsTask().WaitAsync(Bound);
        }

        router.Unlist("gone"); // the reload that removes the customer, while its thousand batches are open

        Assert.That(async () => await time.DriveAsync(buffer.FlushAsync(), TimeSpan.FromSeconds(1)), Throws.InstanceOf<BatchDeliveryException>(), "refused: no destination");
        await SettledAsync(time, buffer);
        time.Advance(TimeSpan.FromSeconds(1)); // the next scheduled seal tries them again and says their count (the flush sealed them without waiting: no scheduled seal ran meanwhile)
        await time.DriveUntilAsync(() => Count(logger, "Warning", "No route (") > 0, TimeSpan.Zero);
        DeliveryStatus status = await SettledAsync(time, buffer);
        TestContext.Out.WriteLine($"refused {status.RefusedBatches}, failing lanes {status.FailingLaneCount}, warnings {Count(logger, "Warning")} ({Count(logger, "Warning", "is failing")} lane failing, {Count(logger, "Warning", "No route (")} counts), errors {Count(logger, "Error")} ({Count(logger, "Error", "refused")} refused), lines {logger.Lines.Count}");
        Assert.That(status.RefusedBatches, Is.EqualTo(RemovedSources), "every batch kept, parked");
        Assert.That(status.UndeliveredEvents + status.OpenEvents, Is.EqualTo(RemovedSources), "every event counted");
        Assert.That(status.DeliveredEvents, Is.Zero, "nothing sent anywhere");
        Assert.That(status.FailingLaneCount, Is.EqualTo(1), "one lane for the one cause, not one per source");
        Assert.That(status.FailingLanes.Single().Key, Does.Contain("NoDestination"));
        Assert.That(status.FailingLanes.Single().WaitingBatches, Is.EqualTo(RemovedSources));
        Assert.That(Count(logger, "Warning", "is failing"), Is.EqualTo(1), "one warning for the cause, not one per source");
        Assert.That(Count(logger, "Warning", "No route ("), Is.InRange(1, (int)(time.GetUtcNow() - Start).TotalSeconds + 1), "its count, at most once per scheduled seal or flush (one a second here), when it changed");
        Assert.That(Count(logger, "Error", "refused"), Is.Zero, "no error line per source");
        if (withSpool)
        {
            Assert.That(status.SpooledBatches, Is.EqualTo(RemovedSources), "kept on disk");
        }

        router.List("gone", removed); // listed again: the next scheduled seal tries the kept batches, now to it
        await time.DriveUntilAsync(() => router.Delivered.Count >= RemovedSources, TimeSpan.FromSeconds(1));
        await time.DriveUntilAsync(() => buffer.GetStatus().UndeliveredEvents == 0, TimeSpan.FromSeconds(1));

        Assert.That(router.Delivered.Select(d => d.Tenant).Distinct(), Is.EqualTo(new[] { "gone" }), "to the customer itself");
        Assert.That(router.Delivered.SelectMany(d => d.MessageIds), Is.EquivalentTo(removed.Select(s => s + "-0")), "each event once");
        Assert.That(buffer.GetStatus().FailingLaneCount, Is.Zero);
    }

    [Test]
    public async Task Retry_WithASpool_WhileTheTenantIsStillRemoved_DoesNotReadItsKeptBatchesAgainAndDeliversThemOnceItIsBack()
    {
        await using KeptBatches kept = await KeptBatches.AfterTheirTenantIsRemovedAsync(10);
        var (time, router, buffer, removed) = kept;
        int refusedOnce = router.SeenLanes.Count;

        await time.DriveAsync(Task.Delay(TimeSpan.FromSeconds(10), time), TimeSpan.FromSeconds(1)); // ten scheduled seals, each retrying what is parked
        Assert.That(async () => await time.DriveAsync(buffer.FlushAsync(), TimeSpan.FromSeconds(1)), Throws.InstanceOf<BatchDeliveryException>(), "still refused");

        Assert.That(refusedOnce, Is.EqualTo(removed.Length), "each batch tried once, and refused");
        Assert.That(router.SeenLanes, Has.Count.EqualTo(refusedOnce), "not read from the spool again only to be refused: the consumer says so first");
        Assert.That(buffer.GetStatus().RefusedBatches, Is.EqualTo(removed.Length), "kept, parked");

        router.List("gone", removed);
        await time.DriveUntilAsync(() => buffer.GetStatus().UndeliveredEvents == 0, TimeSpan.FromSeconds(1));

        Assert.That(router.Delivered.SelectMany(d => d.MessageIds), Is.EquivalentTo(removed.Select(s => s + "-0")), "each event once, to its customer, once it is back");
    }

    [Test]
    public async Task Retry_WithASpool_WhenTheConsumerCannotSayWhetherItWouldRefuse_TriesTheKeptBatchesAsBeforeAndDeliversThemOnceTheTenantIsBack()
    {
        await using KeptBatches kept = await KeptBatches.AfterTheirTenantIsRemovedAsync(3);
        var (time, router, buffer, removed) = kept;

        router.RefusalQuestionThrows = true; // the question fails: no answer, so the batches are tried, and the consumer decides
        router.List("gone", removed);
        await time.DriveAsync(buffer.FlushAsync(), TimeSpan.FromSeconds(1));

        Assert.That(router.Delivered.SelectMany(d => d.MessageIds), Is.EquivalentTo(removed.Select(s => s + "-0")), "each event once, to its customer, once it is back");
        Assert.That(buffer.GetStatus().UndeliveredEvents, Is.Zero);
    }

    /// <remarks>
    /// Without a spool, where kept batches hold memory: a lane per source cut every healthy lane's share of
    /// MaxPendingBatches to one batch (5.1 s against 2.1 s alone). With a spool the kept batches hold no memory and the
    /// buffer's clock showed no difference beyond noise either way, while the machine's load moves it by seconds: not tested here.
    /// </remarks>
    [Test]
    public async Task Deliver_WhileAThousandUnroutedSourcesAreKeptInMemory_HealthyCustomersAreDeliveredAsFastAsWithout()
    {
        TimeSpan alone = await HealthyDeliveryTimeAsync(unrouted: false);
        TimeSpan beside = await HealthyDeliveryTimeAsync(unrouted: true);
        TestContext.Out.WriteLine($"healthy customers delivered in {alone.TotalSeconds} s alone, {beside.TotalSeconds} s beside {RemovedSources} unrouted sources (buffer's clock)");
        Assert.That(beside, Is.LessThanOrEqualTo(alone + TimeSpan.FromSeconds(1)), "the unrouted batches cost the healthy customers at most a scheduled seal (one a second)");
    }

    [Test]
    public async Task Flush_RouterThrowsForManySources_TheirBatchesShareOneLaneThatNoRoutedCustomerShares()
    {
        var time = new FakeTimeProvider(Start);
        var router = new TenantsRouter(time) { RefuseUnrouted = true };
        string[] broken = [.. Enumerable.Range(0, 50).Select(i => $"broken-{i}")];
        router.List("broken", broken);
        BatchBufferOptions options = Options(spool: null);
        options.BufferFullMode = BufferFullMode.Fail; // an append to a lane that holds its share in memory is refused
        await using var buffer = new BatchBuffer(options, router, time);
        foreach (string source in broken)
        {
            await buffer.AppendAsync(source, Event(source, 0)).AsTask().WaitAsync(Bound);
        }

        router.ThrowFor = "broken-"; // their routing settings break: the router throws, not a rejection
        Assert.That(async () => await time.DriveAsync(buffer.FlushAsync(), TimeSpan.FromSeconds(1)), Throws.InstanceOf<BatchDeliveryException>());
        DeliveryStatus status = await SettledAsync(time, buffer);
        Assert.That(status.FailingLaneCount, Is.EqualTo(1), "one lane for the one cause");
        LaneStatus unrouted = status.FailingLanes.Single();
        Assert.That(unrouted.WaitingBatches, Is.EqualTo(broken.Length));
        Assert.That(router.SeenLanes.Distinct(), Is.EquivalentTo(broken), "the consumer still sees each batch's source as its lane");

        // A customer whose lane is named like the unrouted lane: its own lane, with its own share of memory.
        router.List(unrouted.Key, ["acme-web"]);
        Assert.That(async () => await buffer.AppendAsync("acme-web", Event("acme-web", 0)), Throws.Nothing, "not counted against the unrouted lane's share");
        Assert.That(async () => await time.DriveAsync(buffer.FlushAsync(), TimeSpan.FromSeconds(1)), Throws.InstanceOf<BatchDeliveryException>());
        await SettledAsync(time, buffer);
        Assert.That(router.Delivered.Select(d => d.Source), Is.EqualTo(new[] { "acme-web" }), "delivered, to its customer");
        Assert.That(buffer.GetStatus().FailingLanes.Single().WaitingBatches, Is.EqualTo(broken.Length), "the kept batches are still kept");
    }

    [Test]
    public async Task Flush_RouterThrowsWhenTheBatchIsSealed_TheBatchIsKeptAndDeliveredWithNoRouteState()
    {
        // Before, the seal's hand-off threw, and the batch was in no count: not open, not undelivered, not delivered.
        var time = new FakeTimeProvider(Start);
        var consumer = new ThrowingRouterConsumer();
        await using var buffer = new BatchBuffer(new BatchBufferOptions(), consumer, time);
        for (int i = 0; i < 3; i++)
        {
            await buffer.AppendAsync("src", TestEvents.Event(i)).AsTask().WaitAsync(Bound);
        }

        consumer.Throwing = true;

        Assert.That(async () => await time.DriveAsync(buffer.FlushAsync(), TimeSpan.FromSeconds(1)), Throws.Nothing);
        Assert.That(consumer.Delivered, Is.EqualTo(new[] { ("src", 3L, (object?)null) }), "kept, in a lane of its own, with no route state");
    }

    [Test]
    public async Task Append_WhenItsCapacitySealsASourceWhoseTenantIsRemovedMeanwhile_TakesTheBatchOverTheBoundInsteadOfWaitingForTheFullUnroutedLane()
    {
        // The capacity seal picks a batch whose lane has room (initech's), and the reload lands before its hand-off: the
        // source is unrouted, and the lane of unrouted batches is full of kept (refused) batches, which give no room back
        // while appends go on. The append waited there for ever: a reload while events flowed hung its writers.
        var time = new FakeTimeProvider(Start);
        var router = new TenantsRouter(time);
        router.List("gone", ["gone-0"]);
        router.List("initech", ["initech-0"]);
        router.List("acme", ["acme-0"]);
        int removeInitechMidSeal = 0;
        BatchBufferOptions options = Options(spool: null);
        options.FlushInterval = TimeSpan.FromHours(1); // no scheduled seal: only the appends seal
        options.MaxOpenBatches = 1;
        options.MaxPendingBatchesPerLane = 1;
        options.Completing = cause =>
        {
            if (cause == SealCause.Capacity && Interlocked.Exchange(ref removeInitechMidSeal, 0) == 1)
            {
                router.Unlist("initech"); // the reload, after the room check, before the hand-off
            }
        };
        await using var buffer = new BatchBuffer(options, router, time);
        await buffer.AppendAsync("gone-0", Event("gone-0", 0)).AsTask().WaitAsync(Bound);
        router.Unlist("gone");
        await buffer.AppendAsync("initech-0", Event("initech-0", 0)).AsTask().WaitAsync(Bound); // seals gone-0: unrouted, refused, kept
        await time.DriveUntilAsync(() => buffer.GetStatus().RefusedBatches == 1, TimeSpan.Zero);
        Assert.That(buffer.GetStatus().FailingLanes.Single().Key, Does.Contain("NoDestination"), "the lane of unrouted batches holds its one batch in memory: full");

        Interlocked.Exchange(ref removeInitechMidSeal, 1);
        Task append = buffer.AppendAsync("acme-0", Event("acme-0", 0)).AsTask(); // seals initech-0, whose tenant goes meanwhile

        Assert.That(async () => await append.WaitAsync(Bound), Throws.Nothing, "the append ends: it does not wait on another lane");
        await time.DriveUntilAsync(() => buffer.GetStatus().RefusedBatches == 2, TimeSpan.Zero);
        DeliveryStatus status = buffer.GetStatus();
        Assert.That(status.UndeliveredEvents, Is.EqualTo(2), "initech's batch kept beside gone's, over the bound, not lost");
        Assert.That(status.FailingLanes.Single().WaitingBatches, Is.EqualTo(2), "in the lane of unrouted batches");
        Assert.That(status.OpenEvents, Is.EqualTo(1), "acme's event open");
        Assert.That(router.Delivered, Is.Empty, "nothing sent to any bucket");
    }

    private static async Task<TimeSpan> HealthyDeliveryTimeAsync(bool unrouted)
    {
        const int Healthy = 8;
        const int PerHealthy = 200; // about 25 batches each
        var time = new FakeTimeProvider(Start);
        var router = new TenantsRouter(time) { UploadTime = TimeSpan.FromMilliseconds(100) };
        string[] removed = [.. Enumerable.Range(0, RemovedSources).Select(Removed)];
        string[] healthy = [.. Enumerable.Range(0, Healthy).Select(i => $"healthy-{i}")];
        router.List("gone", removed);
        foreach (string source in healthy)
        {
            router.List(source, [source]);
        }

        await using var buffer = new BatchBuffer(Options(spool: null), router, time);
        if (unrouted)
        {
            foreach (string source in removed)
            {
                await buffer.AppendAsync(source, Event(source, 0)).AsTask().WaitAsync(Bound);
            }

            router.Unlist("gone");
            time.Advance(TimeSpan.FromSeconds(1)); // the schedule seals them: kept, unrouted
            await time.DriveUntilAsync(() => buffer.GetStatus().RefusedBatches > 0, TimeSpan.Zero);
        }

        DateTimeOffset start = time.GetUtcNow();
        Task appends = Task.WhenAll(healthy.Select(source => Task.Run(async () =>
        {
            for (int i = 0; i < PerHealthy; i++)
            {
                await buffer.AppendAsync(source, Event(source, i, padding: 80));
            }
        })));
        await time.DriveUntilAsync(() => appends.IsCompleted && router.Delivered.Where(d => d.Tenant.StartsWith("healthy-", StringComparison.Ordinal)).Sum(d => d.MessageIds.Length) >= Healthy * PerHealthy, TimeSpan.FromMilliseconds(50));
        await appends;
        Assert.That(router.Delivered.Where(d => d.Tenant.StartsWith("healthy-", StringComparison.Ordinal)).SelectMany(d => d.MessageIds).Distinct().Count(), Is.EqualTo(Healthy * PerHealthy), "every healthy event once");
        return time.GetUtcNow() - start;
    }

    /// <summary>The status once no batch is waiting, uploading or failing and none is open, the clock still (no scheduled seal).</summary>
    private static async Task<DeliveryStatus> SettledAsync(FakeTimeProvider time, BatchBuffer buffer)
    {
        await time.DriveUntilAsync(() => buffer.GetStatus() is { WaitingBatches: 0, UploadingBatches: 0, FailingBatches: 0, OpenEvents: 0 }, TimeSpan.Zero);
        return buffer.GetStatus();
    }

    private static int Count(CapturingLogger logger, string level, string saying = "") =>
        logger.Lines.Count(l => l.StartsWith(level + ":", StringComparison.Ordinal) && l.Contains(saying, StringComparison.Ordinal));

    /// <summary>A consumer that routes each source to a lane of its own, until its routing settings break and <see cref="IBatchRouter.Route"/> throws.</summary>
    private sealed class ThrowingRouterConsumer : ISealedBatchConsumer, IBatchRouter
    {
        public volatile bool Throwing;

        public ConcurrentQueue<(string Lane, long Events, object? State)> Delivered { get; } = new();

        public BatchRoute Route(string sourceId) => Throwing ? throw new InvalidOperationException("the routing settings are broken") : new BatchRoute("lane-" + sourceId, "state");

        public Task<BatchReceipt> ConsumeAsync(SealedBatch batch, CancellationToken cancellationToken)
        {
            Delivered.Enqueue((batch.Lane, batch.EventCount, batch.RouteState));
            return Task.FromResult(BatchReceipt.For(batch, "delivered:" + batch.FileName));
        }
    }

    /// <summary>
    /// A buffer with a spool, whose tenant "gone" was removed after each of its sources had one event appended: each
    /// batch refused at the flush, and kept (parked).
    /// </summary>
    private sealed class KeptBatches : IAsyncDisposable
    {
        private readonly TempDirectory _spool = new();

        private KeptBatches(string[] removed)
        {
            Removed = removed;
            Router = new TenantsRouter(Time);
            Buffer = new BatchBuffer(Options(_spool), Router, Time);
        }

        public FakeTimeProvider Time { get; } = new(Start);

        public TenantsRouter Router { get; }

        public BatchBuffer Buffer { get; }

        /// <summary>Gets the sources of the removed tenant, one batch each.</summary>
        public string[] Removed { get; }

        public static async Task<KeptBatches> AfterTheirTenantIsRemovedAsync(int sources)
        {
            var kept = new KeptBatches([.. Enumerable.Range(0, sources).Select(BatchBufferUnroutedTests.Removed)]);
            try
            {
                await kept.KeepAsync();
                return kept;
            }
            catch
            {
                await kept.DisposeAsync();
                throw;
            }
        }

        public void Deconstruct(out FakeTimeProvider time, out TenantsRouter router, out BatchBuffer buffer, out string[] removed) =>
            (time, router, buffer, removed) = (Time, Router, Buffer, Removed);

        public async ValueTask DisposeAsync()
        {
            await Buffer.DisposeAsync();
            _spool.Dispose();
        }

        private async Task KeepAsync()
        {
            Router.List("gone", Removed);
            foreach (string source in Removed)
            {
                await Buffer.AppendAsync(source, Event(source, 0)).AsTask().WaitAsync(Bound);
            }

            Router.Unlist("gone");
            Assert.That(async () => await Time.DriveAsync(Buffer.FlushAsync(), TimeSpan.FromSeconds(1)), Throws.InstanceOf<BatchDeliveryException>(), "refused: no destination");
            await SettledAsync(Time, Buffer);
        }
    }

    /// <summary>Batches of about 1 KB, sealed every second on the fake clock.</summary>
    private static BatchBufferOptions Options(TempDirectory? spool) => KilobyteBatches.SealedEvery(TimeSpan.FromSeconds(1), spool, retryBudget: TimeSpan.FromSeconds(5));
}
