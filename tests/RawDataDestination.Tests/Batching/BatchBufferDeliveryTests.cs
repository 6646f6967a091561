namespace RawDataDestination.Tests.Batching;

/// <summary>The delivery stage: concurrent, independent, continuously retried deliveries; the retry budget; the shutdown deadline; order; open-batch bound.</summary>
public class BatchBufferDeliveryTests
{
    private static byte[] Event(int i, string pad = "") =>
        Encoding.UTF8.GetBytes($"{{\"messageId\":\"m-{i}\",\"receivedAt\":\"2023-11-24T10:00:00.000Z\",\"pad\":\"{pad}\"}}");

    private static string Id(string line) => System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("messageId").GetString()!;

    [Test]
    public async Task Deliver_WhenOneSourceKeepsFailing_OtherBatchesAreDeliveredMeanwhile()
    {
        var time = new FakeTimeProvider(Start);
        var consumer = new SelectiveConsumer(batch => batch.SourceId == "bad");
        await using var buffer = new BatchBuffer(new BatchBufferOptions { RetryBudget = Timeout.InfiniteTimeSpan, ShutdownTimeout = TimeSpan.Zero }, consumer, time);
        await buffer.AppendAsync("bad", Event(0));
        await buffer.AppendAsync("good", Event(1));
        Task flush = buffer.FlushAsync();

        await time.DriveUntilAsync(() => consumer.Delivered.Count == 1 && consumer.Failures("bad") >= 3, TimeSpan.FromSeconds(1));

        Assert.That(consumer.Delivered.Select(b => b.SourceId), Is.EqualTo(new[] { "good" }), "the good batch did not wait for the failing one");
        DeliveryStatus status = buffer.GetStatus();
        Assert.That(status.FailingBatches + status.UploadingBatches + status.WaitingBatches, Is.EqualTo(1));
        Assert.That(status.DeliveredBatches, Is.EqualTo(1));
        Assert.That(status.LastError?.Message, Does.Contain("injected"));
        Assert.That(flush.IsCompleted, Is.False, "with an infinite retry budget the flush waits");

        consumer.Heal();
        await time.DriveAsync(flush, TimeSpan.FromSeconds(1));
        Assert.That(consumer.Delivered.Select(b => b.SourceId), Is.EquivalentTo(new[] { "good", "bad" }));
    }

    [Test]
    public async Task Deliver_ManyBatches_RunsUpToMaxConcurrentUploadsAtOnce()
    {
        var consumer = new GateConsumer();
        await using var buffer = new BatchBuffer(new BatchBufferOptions { MaxConcurrentUploads = 3, MaxPendingBatches = 10 }, consumer, new FakeTimeProvider(Start));
        for (int i = 0; i < 6; i++)
        {
            await buffer.AppendAsync($"s{i}", Event(i));
        }

        Task flush = buffer.FlushAsync();
        await consumer.WaitForInFlightAsync(3);
        await Task.Delay(50);

        Assert.That(consumer.MaxInFlight, Is.EqualTo(3), "three at once, not one, not more");
        consumer.Open();
        await flush.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(consumer.Count, Is.EqualTo(6));
    }

    [Test]
    public async Task Flush_WhenABatchFailsForTheRetryBudget_ThrowsWithCountsAndRetriesGoOn()
    {
        var time = new FakeTimeProvider(Start);
        var consumer = new SelectiveConsumer(_ => true);
        await using var buffer = new BatchBuffer(new BatchBufferOptions { RetryBudget = TimeSpan.FromMinutes(2), ShutdownTimeout = TimeSpan.Zero }, consumer, time);
        await buffer.AppendAsync("src", Event(1));
        await buffer.AppendAsync("src", Event(2));
        Task flush = buffer.FlushAsync();
        using (var firstFailure = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            while (consumer.Failures("src") == 0)
            {
                await Task.Delay(5, firstFailure.Token); // the clock stands still: the first attempt fails at Start
            }
        }

        // Up to just before the budget, retries included: the flush still waits.
        await time.DriveUntilAsync(() => time.GetUtcNow() - Start >= TimeSpan.FromSeconds(115), TimeSpan.FromSeconds(5));
        Assert.That(flush.IsCompleted, Is.False, "not before the budget is spent");

        // Just past it, with the clock held still: the flush gives up by itself, without waiting for a later retry.
        time.Advance(Start + TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(1) - time.GetUtcNow());
        Assert.That(await Task.WhenAny(flush, Task.Delay(TimeSpan.FromSeconds(30))), Is.SameAs(flush), "the budget, counted from the first failure, ends the flush");

        var error = Assert.ThrowsAsync<BatchDeliveryException>(async () => await flush);
        Assert.That(error!.UndeliveredBatches, Is.EqualTo(1));
        Assert.That(error.UndeliveredEvents, Is.EqualTo(2));
        int failuresAtGiveUp = consumer.Failures("src");
        consumer.Heal();
        await time.DriveUntilAsync(() => consumer.Delivered.Count == 1, TimeSpan.FromSeconds(5));
        Assert.That(consumer.Failures("src"), Is.GreaterThanOrEqualTo(failuresAtGiveUp), "the batch kept being retried after the flush gave up");
    }

    [TestCase(+1)]
    [TestCase(-1)]
    public async Task Flush_WhenTheWallClockIsSetBackOrForwardDuringAnOutage_GivesUpWhenTheRetryBudgetHasReallyPassed(int hours)
    {
        // An NTP step moves the wall clock, not the time that passes: the budget neither ends an hour early (set forward)
        // nor an hour late (set back). It is counted on the monotonic timestamps.
        var clock = new SteppedWallClock(Start);
        var consumer = new SelectiveConsumer(_ => true);
        await using var buffer = new BatchBuffer(new BatchBufferOptions { RetryBudget = TimeSpan.FromMinutes(2), ShutdownTimeout = TimeSpan.Zero }, consumer, clock);
        await buffer.AppendAsync("src", Event(1));
        Task flush = buffer.FlushAsync();
        using (var firstFailure = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            while (consumer.Failures("src") == 0)
            {
                await Task.Delay(5, firstFailure.Token); // the clock stands still: the first attempt fails at Start
            }
        }

        clock.StepWall(TimeSpan.FromHours(hours));
        await clock.Monotonic.DriveUntilAsync(() => clock.Monotonic.GetUtcNow() - Start >= TimeSpan.FromSeconds(115), TimeSpan.FromSeconds(5));
        Assert.That(consumer.Failures("src"), Is.GreaterThan(1), "retried meanwhile, each failure looking at the stepped clock");
        Assert.That(flush.IsCompleted, Is.False, "not before two minutes have passed");
        Assert.That(buffer.GetStatus().RetryBudgetSpent, Is.False);

        clock.Monotonic.Advance(Start + TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(1) - clock.Monotonic.GetUtcNow());
        Assert.That(await Task.WhenAny(flush, Task.Delay(TimeSpan.FromSeconds(30))), Is.SameAs(flush), "two minutes after the first failure, the flush gives up");
        Assert.ThrowsAsync<BatchDeliveryException>(async () => await flush);
        Assert.That(buffer.GetStatus().RetryBudgetSpent, Is.True);
    }

    [Test]
    public async Task Dispose_UnderPermanentOutage_ReturnsWithinShutdownTimeoutAndLeavesBatchesInTheSpool()
    {
        using var spool = new TempDirectory("rawdata-shutdown-");
        var time = new FakeTimeProvider(Start);
        var consumer = new SelectiveConsumer(_ => true);
        var buffer = new BatchBuffer(new BatchBufferOptions { SpoolDirectory = spool.Path, ShutdownTimeout = TimeSpan.FromSeconds(10), MaxBatchBytes = 1024, MaxEventBytes = 1024 }, consumer, time);
        for (int i = 0; i < 20; i++)
        {
            await buffer.AppendAsync($"s{i % 4}", Event(i, new string('x', 300)));
        }

        DateTimeOffset started = time.GetUtcNow();
        Task disposing = buffer.DisposeAsync().AsTask();
        await time.DriveUntilAsync(() => time.GetUtcNow() - started >= TimeSpan.FromSeconds(10) || disposing.IsCompleted, TimeSpan.FromMilliseconds(500));

        // The clock stops at the deadline: the dispose must end without any more (fake) time passing.
        await disposing.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.That(time.GetUtcNow() - started, Is.LessThanOrEqualTo(TimeSpan.FromSeconds(10)), "within ShutdownTimeout");
        Assert.That(consumer.Failures("s0"), Is.GreaterThan(0), "it kept trying until the deadline");
        Assert.That(Directory.EnumerateFiles(Path.Combine(spool.Path, "sealed"), "*.gz", SearchOption.AllDirectories).Count(), Is.GreaterThanOrEqualTo(4));
        Assert.That(File.Exists(Path.Combine(spool.Path, "spool.lock")), Is.True);
        await using var next = new BatchBuffer(new BatchBufferOptions { SpoolDirectory = spool.Path }, new RecordingConsumer(), time); // the lock was released
    }

    [Test]
    public async Task Dispose_AfterAFlushGaveUpOnAFailingLane_ReturnsAtOnceAndHandsItsBatchesOver()
    {
        // A host whose input ended (HostedWorker): its flush gave up after the retry budget; its stop must not wait its
        // whole ShutdownTimeout again for the lane the budget already gave up on (5 min + 30 s with the defaults).
        var time = new FakeTimeProvider(Start);
        var consumer = new SelectiveConsumer(batch => batch.SourceId.StartsWith("dead", StringComparison.Ordinal));
        var buffer = new BatchBuffer(new BatchBufferOptions { RetryBudget = TimeSpan.FromMinutes(1), ShutdownTimeout = TimeSpan.FromSeconds(30), MaxBatchBytes = 1024, MaxEventBytes = 1024 }, consumer, time);
        for (int i = 0; i < 6; i++)
        {
            await buffer.AppendAsync("dead", Event(i, new string('x', 300))); // several batches: the younger ones wait behind the lane's probe
        }

        Task flush = buffer.FlushAsync();
        await time.DriveUntilAsync(() => flush.IsCompleted, TimeSpan.FromSeconds(1));
        Assert.ThrowsAsync<BatchDeliveryException>(async () => await flush);

        // A batch sealed at the stop into the lane given up is given up with it; another lane's is still delivered.
        await buffer.AppendAsync("dead", Event(100));
        await buffer.AppendAsync("alive", Event(101));
        DateTimeOffset stopping = time.GetUtcNow();
        Task disposing = buffer.DisposeAsync().AsTask();

        // The clock stands still: the stop ends by itself, not at its deadline.
        Assert.That(await Task.WhenAny(disposing, Task.Delay(TimeSpan.FromSeconds(20))), Is.SameAs(disposing), "the stop waited for a lane already given up");
        await disposing;
        Assert.That(time.GetUtcNow(), Is.EqualTo(stopping));
        Assert.That(consumer.Delivered.Select(b => b.SourceId), Is.EqualTo(new[] { "alive" }), "the other lane's batch sealed at the stop was still delivered");
        DeliveryStatus status = buffer.GetStatus();
        Assert.That((status.DeliveredEvents, status.UndeliveredEvents, status.OpenEvents), Is.EqualTo((1L, 7L, 0L)), "every event accounted for");
        Assert.That(UndeliveredBatches.TakeAndDispose(buffer), Is.EqualTo(7), "every event of the lane given up, handed over");
    }

    [Test]
    public async Task Dispose_AfterAFlushGaveUpOnManySilentLanes_WaitsOnlyForTheAttemptsUnderWayWhenItBegan()
    {
        // QA: with one silent customer the stop ended within an attempt's timeout; with four, one lane or another was
        // always in a new attempt, and the stop waited its whole ShutdownTimeout.
        var time = new FakeTimeProvider(Start);
        var consumer = new HangingConsumer();
        var buffer = new BatchBuffer(
            new BatchBufferOptions { RetryBudget = TimeSpan.FromMinutes(1), AttemptTimeout = TimeSpan.FromSeconds(10), RetryMaxDelay = TimeSpan.FromSeconds(1), ShutdownTimeout = TimeSpan.FromMinutes(5) },
            consumer,
            time);
        for (int i = 0; i < 8; i++)
        {
            await buffer.AppendAsync($"silent-{i}", Event(i));
        }

        Task flush = buffer.FlushAsync();
        await time.DriveUntilAsync(() => flush.IsCompleted, TimeSpan.FromMilliseconds(500));
        Assert.ThrowsAsync<BatchDeliveryException>(async () => await flush);

        DateTimeOffset stopping = time.GetUtcNow();
        Task disposing = buffer.DisposeAsync().AsTask();
        await time.DriveUntilAsync(() => disposing.IsCompleted, TimeSpan.FromMilliseconds(500));

        await disposing;
        Assert.That(time.GetUtcNow() - stopping, Is.LessThanOrEqualTo(TimeSpan.FromSeconds(11)), "at most the attempt under way at the stop, not the 5 min deadline");
        Assert.That(UndeliveredBatches.TakeAndDispose(buffer), Is.EqualTo(8), "every lane's event handed over");
    }

    [Test]
    public async Task Dispose_DuringAnOutageYoungerThanTheRetryBudget_KeepsTryingUntilItsDeadline()
    {
        var time = new FakeTimeProvider(Start);
        var consumer = new SelectiveConsumer(_ => true);
        var buffer = new BatchBuffer(new BatchBufferOptions { RetryBudget = TimeSpan.FromMinutes(5), ShutdownTimeout = TimeSpan.FromSeconds(30) }, consumer, time);
        await buffer.AppendAsync("src", Event(1));
        DateTimeOffset stopping = time.GetUtcNow();
        Task disposing = buffer.DisposeAsync().AsTask();
        await time.DriveUntilAsync(() => consumer.Failures("src") > 0, TimeSpan.FromMilliseconds(100));
        time.Advance(TimeSpan.FromSeconds(20));
        await Task.Delay(100);
        Assert.That(disposing.IsCompleted, Is.False, "the outage is younger than the budget: the stop keeps trying");
        consumer.Heal();
        await time.DriveAsync(disposing, TimeSpan.FromSeconds(1));
        Assert.That(time.GetUtcNow() - stopping, Is.LessThanOrEqualTo(TimeSpan.FromSeconds(31)));
        Assert.That(consumer.Delivered.Select(b => b.EventCount), Is.EqualTo(new[] { 1L }), "delivered within the deadline once the outage ended");
    }

    [Test]
    public async Task Append_With256AppendsInFlight_KeepsTheirOrderAcrossSizeSeals()
    {
        var consumer = new RecordingConsumer();
        await using var buffer = new BatchBuffer(new BatchBufferOptions { MaxBatchBytes = 4096, MaxEventBytes = 1024 }, consumer, new FakeTimeProvider(Start));
        const int Events = 3_000;
        var inFlight = new Queue<Task>();
        for (int i = 0; i < Events; i++)
        {
            inFlight.Enqueue(buffer.AppendAsync("src", Event(i, new string('x', 100))).AsTask());
            if (inFlight.Count == 256)
            {
                await inFlight.Dequeue();
            }
        }

        await Task.WhenAll(inFlight);
        await buffer.FlushAsync();

        // Deliveries run concurrently: put the batches in seal order by their first event, then every event must follow
        // its predecessor, within a batch and across each seal.
        var batches = consumer.Batches.OrderBy(b => int.Parse(Id(b.Lines[0])[2..], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.That(batches, Has.Count.GreaterThan(50), "many size seals");
        var ids = batches.SelectMany(b => b.Lines).Select(Id).ToList();
        Assert.That(ids, Is.EqualTo(Enumerable.Range(0, Events).Select(i => $"m-{i}")), "in the order appended, across every seal");
    }

    [Test]
    public async Task Append_OpeningMoreThanMaxOpenBatches_SealsTheLeastRecentlyAppendedWithCauseCapacity()
    {
        var consumer = new RecordingConsumer();
        await using var buffer = new BatchBuffer(new BatchBufferOptions { MaxOpenBatches = 2 }, consumer, new FakeTimeProvider(Start));
        await buffer.AppendAsync("a", Event(1));
        await buffer.AppendAsync("b", Event(2));
        await buffer.AppendAsync("a", Event(3)); // b is now the least recently appended

        await buffer.AppendAsync("c", Event(4));
        await consumer.WaitForBatchesAsync(1);

        DeliveredBatch sealedForRoom = consumer.Batches.Single();
        Assert.That((sealedForRoom.SourceId, sealedForRoom.Cause), Is.EqualTo(("b", SealCause.Capacity)));
        Assert.That(buffer.GetStatus().OpenEvents, Is.EqualTo(3), "a (two events) and c stay open");
    }

    /// <summary>Fails every batch the predicate picks until healed; records the rest.</summary>
    private sealed class SelectiveConsumer(Func<SealedBatch, bool> fails) : ISealedBatchConsumer
    {
        private readonly ConcurrentDictionary<string, int> _failures = new();
        private volatile bool _healed;

        public ConcurrentQueue<SealedBatchInfo> Delivered { get; } = new();

        public int Failures(string sourceId) => _failures.GetValueOrDefault(sourceId);

        public void Heal() => _healed = true;

        public Task<BatchReceipt> ConsumeAsync(SealedBatch batch, CancellationToken cancellationToken)
        {
            if (!_healed && fails(batch))
            {
                _failures.AddOrUpdate(batch.SourceId, 1, (_, n) => n + 1);
                throw new IOException("injected outage");
            }

            Delivered.Enqueue(new SealedBatchInfo(batch.SourceId, batch.EventCount));
            return Task.FromResult(BatchReceipt.For(batch, "memory"));
        }
    }

    private sealed record SealedBatchInfo(string SourceId, long EventCount);

    /// <summary>Holds every delivery until opened, counting how many are in flight at once.</summary>
    private sealed class GateConsumer : ISealedBatchConsumer
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _inFlight;
        private int _count;

        public int MaxInFlight { get; private set; }

        public int Count => Volatile.Read(ref _count);

        public void Open() => _open.TrySetResult();

        public async Task WaitForInFlightAsync(int n)
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (Volatile.Read(ref _inFlight) < n)
            {
                await Task.Delay(5, deadline.Token);
            }
        }

        public async Task<BatchReceipt> ConsumeAsync(SealedBatch batch, CancellationToken cancellationToken)
        {
            int now = Interlocked.Increment(ref _inFlight);
            lock (this)
            {
                MaxInFlight = Math.Max(MaxInFlight, now);
            }

            try
            {
                await _open.Task.WaitAsync(cancellationToken);
                Interlocked.Increment(ref _count);
                return BatchReceipt.For(batch, "memory");
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }
    }
}
