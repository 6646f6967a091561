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
        using var spool = new TempDirectory();
        var time = new FakeTimeProvider(Start);
        await SpoolABatchForInitechAsync(spool, time, events: 2);

        // Restart: initech was removed and its source listed by another customer, acme.
        var logger = new CapturingLogger();
        var after = new TenantsRouter(time);
        after.List("acme", ["web"]);
        await using var restarted = new BatchBuffer(Options(spool), after, time, new Microsoft.Extensions.Logging.Logger<BatchBuffer>(logger));
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
        using var spool = new TempDirectory();
        var time = new FakeTimeProvider(Start);
        await SpoolABatchForInitechAsync(spool, time, events: 1);

        var after = new TenantsRouter(time);
        after.List("initech", ["web"]);
        await using var restarted = new BatchBuffer(Options(spool), after, time);
        await time.DriveAsync(restarted.FlushAsync(), TimeSpan.FromSeconds(1));

        Assert.That(after.Delivered.Select(d => (d.Tenant, d.MessageIds.Single())), Is.EqualTo(new[] { ("initech", "web-0") }));
    }

    /// <summary>
    /// A first run: customer "initech" owns source "web", whose <paramref name="events"/> events (web-0, web-1, ...) are
    /// sealed in one batch; initech's S3 does not answer, so the batch stays in the spool when the run stops.
    /// </summary>
    private static async Task SpoolABatchForInitechAsync(TempDirectory spool, FakeTimeProvider time, int events)
    {
        var before = new TenantsRouter(time) { Unreachable = true };
        before.List("initech", ["web"]);
        await using var buffer = new BatchBuffer(Options(spool), before, time);
        for (int i = 0; i < events; i++)
        {
            await buffer.AppendAsync("web", Event("web", i)).AsTask().WaitAsync(Bound);
        }

        Assert.That(async () => await time.DriveAsync(buffer.FlushAsync(), TimeSpan.FromSeconds(1)), Throws.InstanceOf<BatchDeliveryException>(), "not delivered within the retry budget");
        await time.DriveAsync(buffer.DisposeAsync().AsTask(), TimeSpan.FromSeconds(1));
    }

    /// <summary>Batches of about 1 KB, sealed every second on the fake clock.</summary>
    private static BatchBufferOptions Options(TempDirectory spool) => KilobyteBatches.SealedEvery(TimeSpan.FromSeconds(1), spool, retryBudget: TimeSpan.FromSeconds(5));
}
