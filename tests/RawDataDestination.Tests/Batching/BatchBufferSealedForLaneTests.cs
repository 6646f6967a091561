namespace RawDataDestination.Tests.Batching;

/// <summary>
/// A batch keeps the lane (customer) it was sealed for across restarts: the spool records it, and a restart that finds
/// its source listed by another customer holds it apart, refused and kept, never sent to that customer, until its source
/// is listed by its own customer again.
/// </summary>
public class BatchBufferSealedForLaneTests
{
    [Test]
    public async Task Restart_WhenASpooledBatchsSourceIsNowListedByAnotherCustomer_KeepsItFromThatCustomerAndDeliversItOnceItsOwnIsBack()
    {
        using SpooledForInitech spooled = await SpooledForInitech.CreateAsync(events: 2);
        FakeTimeProvider time = spooled.Time;

        // Restart: initech was removed and its source listed by another customer, acme.
        var logger = new CapturingLogger();
        var after = new TenantsRouter(time);
        after.List("acme", ["web"]);
        await using BatchBuffer restarted = spooled.Restart(after, logger);
        Assert.That(async () => await time.DriveAsync(restarted.FlushAsync(), TimeSpan.FromSeconds(1)), Throws.InstanceOf<BatchDeliveryException>(), "refused: sealed for another customer");

        DeliveryStatus status = restarted.GetStatus();
        Assert.That(after.Delivered, Is.Empty, "nothing sent to acme's bucket");
        Assert.That(status.RefusedBatches, Is.EqualTo(1), "kept, parked");
        Assert.That(status.SpooledBatches, Is.EqualTo(1), "on disk");
        Assert.That(status.FailingLanes.Single().Key, Is.EqualTo("(held for lane 'initech')"));
        Assert.That(logger.Lines, Has.Some.Contains("was sealed for lane 'initech' before this start, and its source now routes to lane 'acme'").And.Some.Contains("never sent to another lane's destination"));

        // initech listed again: the next scheduled seal delivers the kept batch to it, each event once.
        after.Unlist("acme");
        after.List("initech", ["web"]);
        await time.DriveUntilAsync(() => restarted.GetStatus().UndeliveredEvents == 0, TimeSpan.FromSeconds(1));

        Assert.That(after.Delivered.Select(d => d.Tenant), Is.EqualTo(new[] { "initech" }), "to its own customer, with its route now");
        Assert.That(after.Delivered.SelectMany(d => d.MessageIds), Is.EquivalentTo(new[] { "web-0", "web-1" }));
    }

    [Test]
    public async Task Restart_WhenASpooledBatchsSourceIsStillListedByItsCustomer_DeliversItThere()
    {
        using SpooledForInitech spooled = await SpooledForInitech.CreateAsync(events: 1);
        FakeTimeProvider time = spooled.Time;

        var after = new TenantsRouter(time);
        after.List("initech", ["web"]);
        await using BatchBuffer restarted = spooled.Restart(after);
        await time.DriveAsync(restarted.FlushAsync(), TimeSpan.FromSeconds(1));

        Assert.That(after.Delivered.Select(d => (d.Tenant, d.MessageIds.Single())), Is.EqualTo(new[] { ("initech", "web-0") }));
    }

    [Test]
    public async Task Dispose_AfterItsCustomerWasRemoved_SaysItsSpooledBatchesAreHeldNotThatTheNextStartDeliversThem()
    {
        // QA F4: each stop said "the next start delivers them", which no start does while no tenant lists the source.
        using SpooledForInitech spooled = await SpooledForInitech.CreateAsync(events: 2);
        FakeTimeProvider time = spooled.Time;

        var logger = new CapturingLogger();
        var after = new TenantsRouter(time); // initech removed: no tenant lists "web"
        BatchBuffer restarted = spooled.Restart(after, logger);
        Assert.That(async () => await time.DriveAsync(restarted.FlushAsync(), TimeSpan.FromSeconds(1)), Throws.InstanceOf<BatchDeliveryException>());
        await time.DriveAsync(restarted.DisposeAsync().AsTask(), TimeSpan.FromSeconds(1));

        Assert.That(logger.Lines, Has.None.Contains("the next start delivers them"), string.Join("\n", logger.Lines));
        Assert.That(logger.Lines, Has.Some.Contains("Held at shutdown, with no lane to deliver them").And.Some.Contains("TakeHeldBatchesAsync").And.Some.Contains("(held for lane 'initech') (1 batch, 2 events)"));
    }

    [Test]
    public async Task TakeHeldBatches_AfterItsCustomerWasRemoved_HandsOverItsSpooledBatchOnlyOnceKeptAndTheFlushPassesAgain()
    {
        using SpooledForInitech spooled = await SpooledForInitech.CreateAsync(events: 2);
        var (spool, time) = spooled;

        var logger = new CapturingLogger();
        var after = new TenantsRouter(time);
        after.List("acme", ["other"]); // initech removed (offboarded); another customer goes on
        await using BatchBuffer restarted = spooled.Restart(after, logger);
        Assert.That(async () => await time.DriveAsync(restarted.FlushAsync(), TimeSpan.FromSeconds(1)), Throws.InstanceOf<BatchDeliveryException>(), "held: unhealthy until handed over");

        // A host that fails to keep it loses nothing: the batch stays held, on disk.
        Assert.That(async () => await restarted.TakeHeldBatchesAsync((_, _) => throw new IOException("the archive is full")).WaitAsync(Bound), Throws.InstanceOf<IOException>());
        Assert.That(SealedFilesIn(spool), Has.Length.EqualTo(1), "kept in the spool while the host did not keep it");
        Assert.That(restarted.GetStatus().RefusedBatches, Is.EqualTo(1), "still held, parked");

        var kept = new List<(string Lane, string Source, string FileName, string[] Ids)>();
        int taken = await restarted.TakeHeldBatchesAsync((batch, _) =>
        {
            using Stream bytes = batch.OpenRead();
            kept.Add((batch.Lane, batch.SourceId, batch.FileName, Gzip.Lines(ReadAll(bytes)).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("messageId").GetString()!).ToArray()));
            return ValueTask.CompletedTask;
        }).WaitAsync(Bound);

        Assert.That(taken, Is.EqualTo(1));
        Assert.That(kept.Single().Lane, Is.EqualTo("initech"), "the customer it was sealed for");
        Assert.That(kept.Single().Source, Is.EqualTo("web"));
        Assert.That(kept.Single().Ids, Is.EqualTo(new[] { "web-0", "web-1" }), "every event, handed over");
        Assert.That(SealedFilesIn(spool), Is.Empty, "removed from the spool once kept");
        Assert.That(after.Delivered, Is.Empty, "sent to no one");
        await time.DriveAsync(restarted.FlushAsync(), TimeSpan.FromSeconds(1)); // does not throw: nothing held any more
        Assert.That(restarted.GetStatus().UndeliveredEvents, Is.Zero);
        Assert.That(logger.Lines, Has.Some.Contains("Handed to the host by TakeHeldBatchesAsync").And.Some.Contains("batches 1, events 2"));
    }

    [Test]
    public async Task TakeHeldBatches_OfABatchSealedAfterItsCustomerWasRemoved_HandsItOverWithItsSourceAsLane()
    {
        using var spool = new TempDirectory();
        var time = new FakeTimeProvider(Start);
        var router = new TenantsRouter(time);
        router.List("initech", ["web"]);
        await using var buffer = new BatchBuffer(Options(spool), router, time);
        await buffer.AppendAsync("web", Event("web", 0)).AsTask().WaitAsync(Bound);
        router.Unlist("initech"); // removed while its batch was open: sealed with no route
        Assert.That(async () => await time.DriveAsync(buffer.FlushAsync(), TimeSpan.FromSeconds(1)), Throws.InstanceOf<BatchDeliveryException>());
        Assert.That(buffer.GetStatus().FailingLanes.Single().Key, Is.EqualTo("(no route: NoDestination)"));

        var kept = new List<string>();
        Assert.That(await buffer.TakeHeldBatchesAsync((batch, _) => { kept.Add(batch.Lane); return ValueTask.CompletedTask; }).WaitAsync(Bound), Is.EqualTo(1));

        Assert.That(kept, Is.EqualTo(new[] { "web" }), "a batch sealed with no route: its source id");
        Assert.That(SealedFilesIn(spool), Is.Empty);
        await time.DriveAsync(buffer.FlushAsync(), TimeSpan.FromSeconds(1));
    }

    [Test]
    public async Task TakeHeldBatches_WhenItsCustomerIsListedAgain_LeavesTheBatchToBeDeliveredThere()
    {
        using SpooledForInitech spooled = await SpooledForInitech.CreateAsync(events: 1);
        FakeTimeProvider time = spooled.Time;

        var after = new TenantsRouter(time);
        await using BatchBuffer restarted = spooled.Restart(after);
        Assert.That(async () => await time.DriveAsync(restarted.FlushAsync(), TimeSpan.FromSeconds(1)), Throws.InstanceOf<BatchDeliveryException>());
        after.List("initech", ["web"]); // back before the host takes it

        Assert.That(await restarted.TakeHeldBatchesAsync((_, _) => throw new AssertionException("not held any more")).WaitAsync(Bound), Is.Zero);
        await time.DriveAsync(restarted.FlushAsync(), TimeSpan.FromSeconds(1));
        Assert.That(after.Delivered.Select(d => d.Tenant), Is.EqualTo(new[] { "initech" }));
    }

    /// <summary>The sealed batch files in the spool.</summary>
    private static string[] SealedFilesIn(TempDirectory spool) =>
        [.. Directory.EnumerateFiles(Path.Combine(spool.Path, "sealed"), "*.gz", SearchOption.AllDirectories)];

    private static byte[] ReadAll(Stream stream)
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>
    /// A spool in a folder of its own, on a fake clock at <see cref="TestEvents.Start"/>, after a first run
    /// (<see cref="CreateAsync"/>): customer "initech" owns source "web", whose events (web-0, web-1, ...) are sealed in
    /// one batch; initech's S3 does not answer, so the batch stays in the spool when the run stops.
    /// </summary>
    private sealed class SpooledForInitech : IDisposable
    {
        public TempDirectory Spool { get; } = new();

        public FakeTimeProvider Time { get; } = new(Start);

        public static async Task<SpooledForInitech> CreateAsync(int events)
        {
            var spooled = new SpooledForInitech();
            try
            {
                var before = new TenantsRouter(spooled.Time) { Unreachable = true };
                before.List("initech", ["web"]);
                await using var buffer = new BatchBuffer(Options(spooled.Spool), before, spooled.Time);
                for (int i = 0; i < events; i++)
                {
                    await buffer.AppendAsync("web", Event("web", i)).AsTask().WaitAsync(Bound);
                }

                Assert.That(async () => await spooled.Time.DriveAsync(buffer.FlushAsync(), TimeSpan.FromSeconds(1)), Throws.InstanceOf<BatchDeliveryException>(), "not delivered within the retry budget");
                await spooled.Time.DriveAsync(buffer.DisposeAsync().AsTask(), TimeSpan.FromSeconds(1));
                return spooled;
            }
            catch
            {
                spooled.Dispose();
                throw;
            }
        }

        /// <summary>The next start over the spool: a buffer routing with <paramref name="after"/>, logging to <paramref name="logger"/> when given.</summary>
        public BatchBuffer Restart(TenantsRouter after, CapturingLogger? logger = null) =>
            new(Options(Spool), after, Time, logger is null ? null : new Microsoft.Extensions.Logging.Logger<BatchBuffer>(logger));

        public void Deconstruct(out TempDirectory spool, out FakeTimeProvider time) => (spool, time) = (Spool, Time);

        public void Dispose() => Spool.Dispose();
    }

    /// <summary>Batches of about 1 KB, sealed every second on the fake clock.</summary>
    private static BatchBufferOptions Options(TempDirectory spool) => KilobyteBatches.SealedEvery(TimeSpan.FromSeconds(1), spool, retryBudget: TimeSpan.FromSeconds(5));
}
