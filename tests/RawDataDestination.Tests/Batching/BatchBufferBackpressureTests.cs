namespace RawDataDestination.Tests.Batching;

/// <summary>What the buffer does when deliveries fall behind or fail: it waits, refuses, retries and reports; it never drops.</summary>
public class BatchBufferBackpressureTests
{
    private static byte[] Event(int i) => TestEvents.Event(i, padding: 500);

    /// <summary>How long an await may take before the test fails instead of hanging (real time).</summary>

    /// <summary>Options where every append after the first seals the batch before it: one event per batch.</summary>
    private static BatchBufferOptions OneEventPerBatch(int maxPendingBatches, BufferFullMode mode = BufferFullMode.Wait) => new()
    {
        MaxBatchBytes = 1024,
        MaxEventBytes = 1024,
        MaxPendingBatches = maxPendingBatches,
        BufferFullMode = mode,
        ShutdownTimeout = TimeSpan.Zero, // on the fake clock a deadline never passes: a failed assertion must not hang the dispose
    };

    [Test]
    public async Task Append_WithoutSpool_WhenMaxPendingBatchesAreHeld_WaitsInsteadOfGrowing()
    {
        var consumer = new GatedConsumer();
        await using var buffer = new BatchBuffer(OneEventPerBatch(maxPendingBatches: 2), consumer, new FakeTimeProvider(Start));
        using IDisposable releaseBeforeDispose = consumer.ReleaseOnDispose(); // disposed first, so a failed assertion does not hang the dispose

        // Event 0 opens a batch; events 1 and 2 seal the one before: two sealed batches held in memory, both stuck in
        // the consumer.
        for (int i = 0; i < 3; i++)
        {
            await buffer.AppendAsync("src", Event(i));
        }

        await consumer.Started.WaitAsync(TimeSpan.FromSeconds(30));
        Task waiting = buffer.AppendAsync("src", Event(3)).AsTask(); // must seal batch 2: no room for a third
        await Task.Delay(50);
        Assert.That(waiting.IsCompleted, Is.False, "the append waits while MaxPendingBatches batches are held");
        Assert.That((buffer.GetStatus().UploadingBatches, buffer.GetStatus().WaitingBatches), Is.EqualTo((1, 1)), "a new lane sends one batch at a time until its first delivery");

        consumer.Release();
        await waiting.WaitAsync(TimeSpan.FromSeconds(30));
        await buffer.FlushAsync();

        Assert.That(consumer.MessageIds, Is.EquivalentTo(Enumerable.Range(0, 4).Select(i => $"m-{i}")), "every event once");
    }

    [Test]
    public async Task Append_WithoutSpool_WhenMaxPendingBatchesAreHeldAndFailModeSet_ThrowsBufferFullException()
    {
        var time = new FakeTimeProvider(Start);
        var consumer = new GatedConsumer();
        await using var buffer = new BatchBuffer(OneEventPerBatch(maxPendingBatches: 2, BufferFullMode.Fail), consumer, time);
        using IDisposable releaseBeforeDispose = consumer.ReleaseOnDispose(); // disposed first, so a failed assertion does not hang the dispose

        // Event 0 opens a batch; events 1 and 2 seal the one before: two sealed batches held, both in the consumer.
        for (int i = 0; i < 3; i++)
        {
            await buffer.AppendAsync("src", Event(i)).AsTask().WaitAsync(Bound);
        }

        // By construction, the batches the bound counts here are in flight, none failed: this is the bound on batches
        // not yet delivered, not the one on failed deliveries (the next test).
        // (A new lane sends one batch at a time until its first delivery: one in the consumer, one waiting for the slot.)
        await time.DriveUntilAsync(() => buffer.GetStatus().UploadingBatches == 1, TimeSpan.Zero);
        DeliveryStatus held = buffer.GetStatus();
        Assert.That((held.UploadingBatches, held.FailingBatches, held.WaitingBatches), Is.EqualTo((1, 0, 1)));

        var refused = Assert.ThrowsAsync<BufferFullException>(async () => await buffer.AppendAsync("src", Event(3)).AsTask().WaitAsync(Bound));
        Assert.That(refused!.Message, Does.StartWith("Lane 'src' holds 2 sealed batches in memory").And.Contain("MaxPendingBatches is 2").And.Contain("BufferFullMode.Wait").And.Contain("SpoolDirectory"));

        consumer.Release();
        await buffer.FlushAsync().WaitAsync(Bound);
        Assert.That(consumer.MessageIds, Is.EquivalentTo(Enumerable.Range(0, 3).Select(i => $"m-{i}")), "the refused event is the caller's; none of the accepted ones is lost");
    }

    [Test]
    public async Task Append_WithoutSpool_WhenDeliveriesKeepFailing_HoldsAtMostMaxPendingBatchesThenDeliversAllWhenS3IsBack()
    {
        var time = new FakeTimeProvider(Start);
        var consumer = new RecordingConsumer { FailuresToInject = int.MaxValue };
        await using var buffer = new BatchBuffer(OneEventPerBatch(maxPendingBatches: 2, BufferFullMode.Fail), consumer, time);
        for (int i = 0; i < 3; i++)
        {
            await buffer.AppendAsync("src", Event(i)).AsTask().WaitAsync(Bound);
        }

        // By construction, the held batches are not in flight: the lane is failing, its probe waits out its backoff and
        // the other batch waits behind it (or has failed too), with the fake clock standing still from here. So the
        // refusal below comes from counting batches that are failing or waiting, not from uploads under way.
        await time.DriveUntilAsync(() => buffer.GetStatus() is { UploadingBatches: 0, FailingBatches: >= 1 } status && status.FailingBatches + status.WaitingBatches == 2, TimeSpan.FromMilliseconds(100));

        var refused = Assert.ThrowsAsync<BufferFullException>(async () => await buffer.AppendAsync("src", Event(3)).AsTask().WaitAsync(Bound), "failed batches are not kept without bound");
        Assert.That(refused!.Message, Does.StartWith("Lane 'src' holds 2 sealed batches in memory").And.Contain("MaxPendingBatches is 2"));
        Assert.That(buffer.GetStatus() is { UploadingBatches: 0 } held && held.FailingBatches + held.WaitingBatches == 2, Is.True, "both batches still held");

        consumer.FailuresToInject = 0; // S3 is back: the batches' own retries deliver them, no flush needed
        await time.DriveUntilAsync(() => buffer.GetStatus().DeliveredBatches == 2, TimeSpan.FromSeconds(1)); // delivered and released, not only received
        await buffer.AppendAsync("src", Event(3)).AsTask().WaitAsync(Bound);
        await time.DriveAsync(buffer.FlushAsync(), TimeSpan.FromSeconds(1));

        Assert.That(consumer.AllLines.Select(line => line.Split('"')[3]), Is.EquivalentTo(Enumerable.Range(0, 4).Select(i => $"m-{i}")), "every accepted event is delivered once S3 is back, and appends go on");
    }

    [Test]
    public async Task Schedule_WhenABatchWasRefusedPermanently_TriesItAgainAtTheScheduledTime()
    {
        var time = new FakeTimeProvider(Start);
        var consumer = new RefusingConsumer { RefusalsLeft = 1 };
        await using var buffer = new BatchBuffer(new BatchBufferOptions(), consumer, time);
        await buffer.AppendAsync("src", Event(1));

        var error = Assert.ThrowsAsync<BatchDeliveryException>(async () => await buffer.FlushAsync());
        Assert.That(error!.UndeliveredBatches, Is.EqualTo(1));
        Assert.That(error.InnerException, Is.InstanceOf<RawDataDestination.S3.DestinationException>());
        Assert.That(buffer.GetStatus().RefusedBatches, Is.EqualTo(1));
        Assert.That(consumer.Delivered, Is.Zero);

        time.Advance(TimeSpan.FromMinutes(40)); // 10:40, the scheduled seal
        await time.DriveUntilAsync(() => consumer.Delivered == 1, TimeSpan.FromMilliseconds(10));

        Assert.That(buffer.GetStatus().RefusedBatches, Is.Zero);
        Assert.That(buffer.TakeUndeliveredBatches(), Is.Empty);
    }

    [Test]
    public async Task Dispose_WithoutSpool_WhenDeadlinePasses_ReportsUndeliveredBatchesWithTheirEvents()
    {
        var time = new FakeTimeProvider(Start);
        var consumer = new GatedConsumer();
        var buffer = new BatchBuffer(new BatchBufferOptions { ShutdownTimeout = TimeSpan.FromSeconds(5) }, consumer, time);
        await buffer.AppendAsync("src", Event(1));
        await buffer.AppendAsync("src", Event(2));

        ValueTask disposing = buffer.DisposeAsync();
        await consumer.Started.WaitAsync(TimeSpan.FromSeconds(30));
        time.Advance(TimeSpan.FromSeconds(5)); // the deadline, which started with the dispose, passes while the consumer is stuck
        await disposing.AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        IReadOnlyList<SealedBatch> undelivered = buffer.TakeUndeliveredBatches();
        Assert.That(undelivered, Has.Count.EqualTo(1));
        Assert.That(undelivered[0].EventCount, Is.EqualTo(2));
        Assert.That(Gzip.Lines(undelivered[0].ReadAllBytes()), Has.Length.EqualTo(2), "the host gets the bytes to keep");
        undelivered[0].Dispose();
    }

    /// <summary>A consumer that refuses permanently (as S3 does an AccessDenied) a number of times, then delivers.</summary>
    private sealed class RefusingConsumer : ISealedBatchConsumer
    {
        private int _delivered;

        public int RefusalsLeft { get; set; }

        public int Delivered => Volatile.Read(ref _delivered);

        public Task<BatchReceipt> ConsumeAsync(SealedBatch batch, CancellationToken cancellationToken)
        {
            if (RefusalsLeft-- > 0)
            {
                throw new RawDataDestination.S3.DestinationException("AccessDenied", isPermanent: true, "refused", null);
            }

            Interlocked.Increment(ref _delivered);
            return Task.FromResult(BatchReceipt.For(batch, "memory"));
        }
    }
}
