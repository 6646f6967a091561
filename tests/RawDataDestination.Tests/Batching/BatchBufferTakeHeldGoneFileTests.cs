namespace RawDataDestination.Tests.Batching;

/// <summary>
/// <see cref="BatchBuffer.TakeHeldBatchesAsync"/> when a held batch's spool file was deleted by hand: that batch is
/// skipped, with a warning naming its file and counting it, and the other held batches are handed over (it threw, and
/// handed over none of them).
/// </summary>
public class BatchBufferTakeHeldGoneFileTests
{
    [Test]
    public async Task TakeHeldBatches_WhenOneHeldBatchsFileWasDeletedByHand_SkipsItWithAWarningNamingItAndHandsOverTheOthers()
    {
        using var spool = new TempDirectory();
        var time = new FakeTimeProvider(Start);
        string[] sources = ["web", "app", "ios"];
        await SpoolOneBatchEachForInitechAsync(spool, time, sources);
        string deleted = SealedFilesIn(spool).Single(f => f.Contains($"{Path.DirectorySeparatorChar}app{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

        var logger = new CapturingLogger();
        var after = new TenantsRouter(time);
        after.List("acme", ["other"]); // initech removed (offboarded)
        await using var restarted = new BatchBuffer(Options(spool), after, time, new Logger<BatchBuffer>(logger));
        Assert.That(async () => await time.DriveAsync(restarted.FlushAsync(), TimeSpan.FromSeconds(1)), Throws.InstanceOf<BatchDeliveryException>(), "held");
        File.Delete(deleted); // by hand, while held

        var kept = new List<string>();
        int taken = await restarted.TakeHeldBatchesAsync((batch, _) =>
        {
            kept.Add(batch.SourceId);
            return ValueTask.CompletedTask;
        }).WaitAsync(Bound);

        Assert.That(taken, Is.EqualTo(2), "the two whose files are there");
        Assert.That(kept, Is.EquivalentTo(new[] { "web", "ios" }));
        string warning = logger.Lines.Single(l => l.Contains("spool files were gone", StringComparison.Ordinal));
        Assert.That(warning, Does.StartWith("Warning: TakeHeldBatchesAsync skipped held batches whose spool files were gone (deleted by hand?): batches 1, events 2;"), warning);
        Assert.That(warning, Does.Contain($"'{deleted}'"), "names the file");
        Assert.That(SealedFilesIn(spool), Is.Empty, "the others removed once kept");
        Assert.That(Directory.EnumerateFiles(Path.Combine(spool.Path, "sealed"), "*", SearchOption.AllDirectories), Is.Empty, "no checksum left of the deleted one");
        DeliveryStatus status = restarted.GetStatus();
        Assert.That((status.SpooledBatches, status.UndeliveredEvents), Is.EqualTo((0, 0L)), "the gone batch is forgotten, not counted");
        await time.DriveAsync(restarted.FlushAsync(), TimeSpan.FromSeconds(1)); // nothing held any more
    }

    private static string[] SealedFilesIn(TempDirectory spool) =>
        [.. Directory.EnumerateFiles(Path.Combine(spool.Path, "sealed"), "*.gz", SearchOption.AllDirectories)];

    /// <summary>A first run: customer "initech" owns <paramref name="sources"/>, two events each, one batch each; its S3 does not answer, so they stay in the spool.</summary>
    private static async Task SpoolOneBatchEachForInitechAsync(TempDirectory spool, FakeTimeProvider time, string[] sources)
    {
        var before = new TenantsRouter(time) { Unreachable = true };
        before.List("initech", sources);
        await using var buffer = new BatchBuffer(Options(spool), before, time);
        foreach (string source in sources)
        {
            for (int i = 0; i < 2; i++)
            {
                await buffer.AppendAsync(source, Event(source, i)).AsTask().WaitAsync(Bound);
            }
        }

        Assert.That(async () => await time.DriveAsync(buffer.FlushAsync(), TimeSpan.FromSeconds(1)), Throws.InstanceOf<BatchDeliveryException>(), "not delivered within the retry budget");
        await time.DriveAsync(buffer.DisposeAsync().AsTask(), TimeSpan.FromSeconds(1));
        Assert.That(SealedFilesIn(spool), Has.Length.EqualTo(sources.Length));
    }

    /// <summary>Batches of about 1 KB, sealed every second on the fake clock.</summary>
    private static BatchBufferOptions Options(TempDirectory spool) => KilobyteBatches.SealedEvery(TimeSpan.FromSeconds(1), spool, retryBudget: TimeSpan.FromSeconds(5));
}
