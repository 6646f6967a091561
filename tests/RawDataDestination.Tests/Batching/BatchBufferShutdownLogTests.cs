namespace RawDataDestination.Tests.Batching;

/// <summary>What <see cref="BatchBuffer.DisposeAsync"/> logs about the batches it could not deliver: how many, with how many events, and where they are.</summary>
public class BatchBufferShutdownLogTests
{
    /// <summary>Appends three events in two sources (two batches), disposes, and lets the shutdown deadline pass while the consumer hangs.</summary>
    private static async Task<BatchBuffer> DisposeWithTwoBatchesStuckAsync(BatchBufferOptions options, CapturingLogger log)
    {
        var time = new FakeTimeProvider(Start);
        var consumer = new HangingConsumer();
        options.ShutdownTimeout = TimeSpan.FromSeconds(5);
        var buffer = new BatchBuffer(options, consumer, time, new Logger<BatchBuffer>(log));
        await buffer.AppendAsync("web", Event(1));
        await buffer.AppendAsync("web", Event(2));
        await buffer.AppendAsync("ios", Event(3));

        Task disposing = buffer.DisposeAsync().AsTask();
        await consumer.Started.WaitAsync(Bound);
        time.Advance(TimeSpan.FromSeconds(5)); // the deadline passes with both batches undelivered
        await disposing.WaitAsync(Bound);
        return buffer;
    }

    [Test]
    public async Task DisposeAsync_WithoutSpool_WhenBatchesAreLeft_LogsAnErrorWithTheirBatchAndEventCounts()
    {
        var log = new CapturingLogger();

        BatchBuffer buffer = await DisposeWithTwoBatchesStuckAsync(new BatchBufferOptions(), log);

        Assert.That(log.Lines, Has.Some.StartsWith("Error: Not delivered at shutdown: batches 2, events 3. Take them with TakeUndeliveredBatches"), string.Join("\n", log.Lines));
        Assert.That(UndeliveredBatches.TakeAndDispose(buffer), Is.EqualTo(3), "the log counts what the host can take");
    }

    [Test]
    public async Task DisposeAsync_WithASpool_WhenBatchesAreLeft_LogsTheirCountsAndTheSpoolThatKeepsThem()
    {
        using var spool = new TempDirectory("rawdata-shutdown-log-");
        var log = new CapturingLogger();

        await DisposeWithTwoBatchesStuckAsync(new BatchBufferOptions { SpoolDirectory = spool.Path }, log);

        Assert.That(log.Lines, Has.Some.StartsWith($"Warning: Not delivered by shutdown: batches 2, events 3; they stay in the spool at {spool.Path}"), string.Join("\n", log.Lines));
        Assert.That(Directory.EnumerateFiles(Path.Combine(spool.Path, "sealed"), "*.gz", SearchOption.AllDirectories).Count(), Is.EqualTo(2), "where the log says");
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task DisposeAsync_WhenBatchesAreLeft_NamesEachLaneWithItsCountsInTheOneLine(bool withSpool)
    {
        // Fifty customers, some broken: the operator reads which customers' batches were left, not only how many.
        using var spool = new TempDirectory("rawdata-shutdown-lanes-");
        var log = new CapturingLogger();

        BatchBuffer buffer = await DisposeWithTwoBatchesStuckAsync(new BatchBufferOptions { SpoolDirectory = withSpool ? spool.Path : null }, log);

        string line = log.Lines.Single(l => l.Contains("Not delivered", StringComparison.Ordinal));
        Assert.That(line, Does.Contain("By lane: web (1 batch, 2 events), ios (1 batch, 1 event)."), string.Join("\n", log.Lines));
        UndeliveredBatches.TakeAndDispose(buffer);
    }

    [Test]
    public async Task DisposeAsync_WhenEverythingIsDelivered_LogsNothingLeft()
    {
        var log = new CapturingLogger();
        var consumer = new RecordingConsumer();
        await using (var buffer = new BatchBuffer(new BatchBufferOptions(), consumer, new FakeTimeProvider(Start), new Logger<BatchBuffer>(log)))
        {
            await buffer.AppendAsync("web", Event(1));
        }

        Assert.That(consumer.AllLines.Count(), Is.EqualTo(1));
        Assert.That(log.Lines, Has.None.Contains("not delivered").IgnoreCase);
    }

    [Test]
    public async Task DisposeAsync_WhenAnAttemptIgnoresItsCancellation_ReturnsAbandonAfterPastTheDeadlineAndLogsItLeftBehind()
    {
        var log = new CapturingLogger();
        var time = new FakeTimeProvider(Start);
        var consumer = new DeafConsumer();
        var buffer = new BatchBuffer(new BatchBufferOptions { ShutdownTimeout = TimeSpan.FromSeconds(5) }, consumer, time, new Logger<BatchBuffer>(log));
        await buffer.AppendAsync("web", Event(1));

        DateTimeOffset started = time.GetUtcNow();
        Task disposing = buffer.DisposeAsync().AsTask();
        await consumer.Started.WaitAsync(Bound);
        await time.DriveAsync(disposing, TimeSpan.FromMilliseconds(20));

        TimeSpan took = time.GetUtcNow() - started;
        TimeSpan bound = TimeSpan.FromSeconds(5) + DeliveryStage.AbandonAfter;
        Assert.That(took, Is.InRange(bound, bound + TimeSpan.FromSeconds(1)), "the deadline, then AbandonAfter for the attempt to stop, and not much longer (the clock moves on while continuations run)");
        Assert.That(log.Lines, Has.Some.StartsWith("Warning: Delivery attempts under way that did not stop within 00:00:02 of their cancellation at shutdown: 1;"), string.Join("\n", log.Lines));
        Assert.That(UndeliveredBatches.TakeAndDispose(buffer), Is.EqualTo(1), "the batch of the attempt left behind is handed over");
    }

    /// <summary>A consumer whose deliveries ignore their cancellation and never end, as a hung call with no token would.</summary>
    private sealed class DeafConsumer : ISealedBatchConsumer
    {
        private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<BatchReceipt> _never = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Started => _started.Task;

        public Task<BatchReceipt> ConsumeAsync(SealedBatch batch, CancellationToken cancellationToken)
        {
            _started.TrySetResult();
            return _never.Task;
        }
    }
}
