namespace RawDataDestination.Tests.Batching;

/// <summary>
/// A stop over a large spool: thousands of batches wait for an upload slot while a few attempts hang. The stop's line
/// counts the attempts really under way (at most the slots and the attempts stepped aside), not every batch waiting,
/// and the stop keeps its deadline.
/// </summary>
public class BatchBufferShutdownManyWaitingTests
{
    private const int Sources = 2_000;

    [Test]
    public async Task DisposeAsync_WithThousandsOfSpooledBatchesWaiting_CountsOnlyTheAttemptsUnderWayAsLeftBehind()
    {
        using var spool = new TempDirectory("rawdata-shutdown-many-");
        var log = new CapturingLogger();
        var time = new FakeTimeProvider(Start);
        var consumer = new DeafCountingConsumer();
        var options = new BatchBufferOptions { SpoolDirectory = spool.Path, DurableAppends = false, ShutdownTimeout = TimeSpan.FromSeconds(15), MaxOpenBatches = Sources };
        var buffer = new BatchBuffer(options, consumer, time, new Logger<BatchBuffer>(log));
        for (int i = 0; i < Sources; i++)
        {
            await buffer.AppendAsync($"s{i}", Event(i));
        }

        DateTimeOffset started = time.GetUtcNow();
        Task disposing = buffer.DisposeAsync().AsTask();
        await time.DriveAsync(disposing, TimeSpan.FromMilliseconds(50));
        TimeSpan took = time.GetUtcNow() - started;

        string line = log.Lines.Single(l => l.Contains("did not stop within", StringComparison.Ordinal));
        int underWay = consumer.InFlight;
        Assert.That(underWay, Is.InRange(1, options.MaxConcurrentUploads * (1 + 4)), "the slots, and the attempts stepped aside");
        Assert.That(line, Does.Contain($"at shutdown: {underWay};"), string.Join("\n", log.Lines.Where(l => !l.StartsWith("Debug", StringComparison.Ordinal))));
        Assert.That(line, Does.Contain($"({Sources - underWay}: waiting for an upload slot"), line);
        Assert.That(log.Lines, Has.Some.StartsWith($"Warning: Not delivered by shutdown: batches {Sources}, events {Sources}; they stay in the spool"), "every batch stays for the next start");
        Assert.That(took, Is.LessThanOrEqualTo(options.ShutdownTimeout + DeliveryStage.AbandonAfter + TimeSpan.FromSeconds(1)), "the deadline, AbandonAfter, and a little for the continuations");
    }

    /// <summary>A consumer whose deliveries ignore their cancellation and never end; counts the calls under way.</summary>
    private sealed class DeafCountingConsumer : ISealedBatchConsumer
    {
        private readonly TaskCompletionSource<BatchReceipt> _never = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _inFlight;

        public int InFlight => Volatile.Read(ref _inFlight);

        public Task<BatchReceipt> ConsumeAsync(SealedBatch batch, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _inFlight);
            return _never.Task;
        }
    }
}
