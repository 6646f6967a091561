namespace RawDataDestination.Tests.Batching;

/// <summary>
/// Seals whose hand-off finds their lane full although no append should wait on it: a size seal of a source whose tenant
/// was removed while the append was under way (the lane of unrouted batches gives no room back while appends go on: its
/// kept batches are refused again at each retry), and a scheduled seal whose lane filled between its room check and its
/// hand-off (a customer refusing every batch gives room back only when the parked batches are tried again, which the
/// schedule does after its seals). Each wait here is bounded; without the fix each never ended.
/// </summary>
public class BatchBufferHandOffRoomTests
{
    [Test]
    [CancelAfter(60_000)]
    public async Task Append_WhenItsSizeSealsASourceWhoseTenantIsRemovedMeanwhile_EndsWithTheBatchKeptOverTheBoundInTheFullUnroutedLane(CancellationToken cancellation)
    {
        var time = new FakeTimeProvider(Start);
        var router = new TenantsRouter(time);
        router.List("gone", ["gone-0"]);
        router.List("initech", ["initech-0"]);
        int removeInitechMidSeal = 0;
        BatchBufferOptions options = Options();
        options.Completing = cause =>
        {
            if (cause == SealCause.Size && Interlocked.Exchange(ref removeInitechMidSeal, 0) == 1)
            {
                router.Unlist("initech"); // the reload, after the append's route check, before its seal's hand-off
            }
        };
        await using var buffer = new BatchBuffer(options, router, time);
        await buffer.AppendAsync("gone-0", Event("gone-0", 0), cancellation).AsTask().WaitAsync(Bound, cancellation);
        router.Unlist("gone");
        Assert.That(async () => await time.DriveAsync(buffer.FlushAsync(cancellation), TimeSpan.FromSeconds(1)), Throws.InstanceOf<BatchDeliveryException>(), "refused: no destination");
        Assert.That(buffer.GetStatus().FailingLanes.Single().Key, Does.Contain("NoDestination"), "the lane of unrouted batches holds its one batch in memory: full");

        await buffer.AppendAsync("initech-0", Event("initech-0", 0, padding: 600), cancellation).AsTask().WaitAsync(Bound, cancellation);
        Interlocked.Exchange(ref removeInitechMidSeal, 1);
        Task append = buffer.AppendAsync("initech-0", Event("initech-0", 1, padding: 600), CancellationToken.None).AsTask(); // no token: it must end by itself

        Assert.That(async () => await append.WaitAsync(Bound, cancellation), Throws.Nothing, "the append ends: its batch is taken, not left waiting for room that never comes");
        await time.DriveUntilAsync(() => buffer.GetStatus().RefusedBatches == 2, TimeSpan.Zero);
        DeliveryStatus status = buffer.GetStatus();
        Assert.That(status.FailingLanes.Single().WaitingBatches, Is.EqualTo(2), "initech's sealed batch kept beside gone's, over the bound");
        Assert.That(status.UndeliveredEvents + status.OpenEvents, Is.EqualTo(3), "every event counted");
        Assert.That(router.Delivered, Is.Empty, "nothing sent to any bucket");
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Schedule_WhenItsSealsLaneFillsBeforeTheHandOffWithRefusedBatches_GoesOnAndDeliversThemOnceTheCustomerIsFixed(CancellationToken cancellation)
    {
        var time = new FakeTimeProvider(Start);
        var consumer = new RefusingCustomer();
        int fillTheLaneMidSeal = 0;
        BatchBuffer? buffer = null;
        BatchBufferOptions options = Options();
        options.FlushInterval = TimeSpan.FromSeconds(1);
        options.Completing = cause =>
        {
            if (cause == SealCause.Schedule && Interlocked.Exchange(ref fillTheLaneMidSeal, 0) == 1)
            {
                // After the scheduled seal found room in acme's lane, before its hand-off: another partition's size seal
                // takes the room, and acme refuses that batch (parked, held in memory until it is tried again).
                Task fill = Task.Run(async () =>
                {
                    await buffer!.AppendAsync("acme-c", Event("acme-c", 0, padding: 600), cancellation);
                    await buffer.AppendAsync("acme-c", Event("acme-c", 1, padding: 600), cancellation);
                });
                fill.Wait(Bound, cancellation);
            }
        };
        await using (buffer = new BatchBuffer(options, consumer, time))
        {
            await buffer.AppendAsync("acme-b", Event("acme-b", 0), cancellation).AsTask().WaitAsync(Bound, cancellation);
            Interlocked.Exchange(ref fillTheLaneMidSeal, 1);
            time.Advance(TimeSpan.FromSeconds(1)); // the scheduled seal of acme-b
            await time.DriveUntilAsync(() => buffer.GetStatus().RefusedBatches >= 1, TimeSpan.Zero);

            consumer.Refusing = false; // the customer is fixed: the next scheduled seal tries the refused batch again
            await time.DriveUntilAsync(() => consumer.Delivered.Count >= 3, TimeSpan.FromSeconds(1));

            Assert.That(consumer.Delivered.Order(StringComparer.Ordinal), Is.EqualTo(new[] { "acme-b-0", "acme-c-0", "acme-c-1" }), "each event once, without a flush");
        }
    }

    /// <summary>One lane, "acme", for every source; refuses every batch permanently (as AccessDenied) until fixed.</summary>
    private sealed class RefusingCustomer : ISealedBatchConsumer, IBatchRouter
    {
        public volatile bool Refusing = true;

        public ConcurrentQueue<string> Delivered { get; } = new();

        public BatchRoute Route(string sourceId) => new("acme", null);

        public Task<BatchReceipt> ConsumeAsync(SealedBatch batch, CancellationToken cancellationToken)
        {
            if (Refusing)
            {
                throw new DestinationException("AccessDenied", isPermanent: true, "Access Denied", null);
            }

            foreach (string line in Gzip.Lines(batch.ReadAllBytes()))
            {
                Delivered.Enqueue(JsonDocument.Parse(line).RootElement.GetProperty("messageId").GetString()!);
            }

            return Task.FromResult(BatchReceipt.For(batch, "memory:" + batch.FileName));
        }
    }

    /// <summary>Batches of about 1 KB, one in memory per lane, no scheduled seal unless a test sets one.</summary>
    private static BatchBufferOptions Options() =>
        KilobyteBatches.SealedEvery(TimeSpan.FromHours(1), maxPendingBatchesPerLane: 1, retryBudget: TimeSpan.FromSeconds(5));
}
