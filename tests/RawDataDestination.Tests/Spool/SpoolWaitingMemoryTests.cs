namespace RawDataDestination.Tests.Spool;

/// <summary>
/// A batch waiting in the spool (sealed, on disk, held behind a failing customer) keeps only a small description in
/// memory: its bytes are on disk, and no attempt's machinery (a task, a retry context, a slot waiter's registration) is
/// built for it until its attempt may start. Memory grows by at most <see cref="MaxBytesPerWaitingBatch"/> per batch
/// however long the customer stays broken (README, "Bounded memory").
/// </summary>
public class SpoolWaitingMemoryTests : SpoolDirectoryTests
{
    /// <summary>The bound per waiting spooled batch the README states: about 950 bytes measured (4,000 before batches waited in a queue with no task).</summary>
    private const long MaxBytesPerWaitingBatch = 1536;

    private const int Batches = 10_000;

    [Test]
    public async Task WaitingSpooledBatches_OfFailingLanes_CostLittleMemoryEach()
    {
        var options = new BatchBufferOptions
        {
            SpoolDirectory = SpoolPath,
            DurableAppends = false,
            MaxEventBytes = 1024,
            MaxBatchBytes = 1024, // each event below fills a batch: every append seals one by its size
            FlushInterval = TimeSpan.FromDays(1),
            RetryBaseDelay = TimeSpan.FromHours(1),
            RetryMaxDelay = TimeSpan.FromHours(1),
            ShutdownTimeout = TimeSpan.FromSeconds(1),
        };
        var consumer = new FailingConsumer();
        await using var buffer = new BatchBuffer(options, consumer);
        string[] sources = ["c000-s0", "c000-s1", "c001-s0", "c001-s1"];
        byte[] ev = Encoding.UTF8.GetBytes($"{{\"type\":\"track\",\"properties\":{{\"pad\":\"{new string('x', 700)}\"}}}}");

        // A first round: the lanes start failing, and the JIT, pools and spool directories are warm.
        await AppendAsync(buffer, sources, ev, 400);
        await WaitForWaitingAsync(buffer, 400 - sources.Length); // the last batch of each source is open
        int waitingBefore = buffer.GetStatus().SpooledBatches;
        long before = LiveHeap();

        await AppendAsync(buffer, sources, ev, Batches);
        await WaitForWaitingAsync(buffer, waitingBefore + Batches);
        long after = LiveHeap();

        DeliveryStatus status = buffer.GetStatus();
        Assert.That(status.SpooledBatches, Is.EqualTo(waitingBefore + Batches), "every batch waits in the spool");
        Assert.That(status.DeliveredBatches, Is.Zero);
        double perBatch = (after - before) / (double)Batches;
        TestContext.Out.WriteLine($"{perBatch:F0} bytes of live heap per waiting spooled batch ({Batches} batches)");
        Assert.That(perBatch, Is.LessThan(MaxBytesPerWaitingBatch), $"{perBatch:F0} bytes of live heap per waiting spooled batch");
        GC.KeepAlive(buffer);
    }

    private static long LiveHeap()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static async Task AppendAsync(BatchBuffer buffer, string[] sources, byte[] ev, int count)
    {
        // Each append seals the source's batch before it: count batches sealed.
        for (int i = 0; i < count; i++)
        {
            await buffer.AppendAsync(sources[i % sources.Length], ev);
        }
    }

    private static async Task WaitForWaitingAsync(BatchBuffer buffer, int atLeast)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (buffer.GetStatus().SpooledBatches < atLeast)
        {
            await Task.Delay(10, timeout.Token);
        }
    }

    private sealed class FailingConsumer : ISealedBatchConsumer
    {
        public Task<BatchReceipt> ConsumeAsync(SealedBatch batch, CancellationToken cancellationToken) =>
            Task.FromException<BatchReceipt>(new IOException("the customer's bucket answers 503 SlowDown"));
    }
}
