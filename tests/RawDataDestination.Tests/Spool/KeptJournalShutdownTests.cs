namespace RawDataDestination.Tests.Spool;

/// <summary>
/// QA O4: a batch whose save to the spool failed (a full disk) is delivered from memory, its journal kept in the spool
/// until then. Not delivered by the stop, it was counted in the Error "Take them with TakeUndeliveredBatches to keep
/// them", and handed over by it, while the next start seals its journal again and delivers it: a host that followed the
/// advice sent its events twice. It is now counted with the batches that stay in the spool, and not handed over.
/// </summary>
public class KeptJournalShutdownTests : SpoolDirectoryTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Test]
    public async Task Dispose_WithABatchDeliveredFromMemoryWhoseJournalIsKept_CountsItAsStayingInTheSpoolAndTakeUndeliveredLeavesIt()
    {
        var time = new FakeTimeProvider(Start);
        var log = new CapturingLogger();
        var consumer = new CustomersConsumer();
        consumer.Set("src", CustomerHealth.FailsAtOnce);
        var options = new BatchBufferOptions { SpoolDirectory = SpoolPath, ShutdownTimeout = TimeSpan.Zero };
        var buffer = new BatchBuffer(options, consumer, time, new Logger<BatchBuffer>(log));
        await buffer.AppendAsync("src", Event("src", 0));
        await buffer.AppendAsync("src", Event("src", 1));
        File.WriteAllText(Path.Combine(SpoolPath, "sealed", "src"), "a file where the source's sealed folder should be: its save fails");
        await buffer.DisposeAsync().AsTask().WaitAsync(Bound);

        string said = string.Join("\n", log.Lines);
        Assert.That(Directory.EnumerateFiles(Path.Combine(SpoolPath, "journal"), "*.ndjson", SearchOption.AllDirectories).ToList(), Has.Count.EqualTo(1), "its journal is kept:\n" + said);
        Assert.That(log.Lines, Has.Some.StartsWith("Warning: Not delivered by shutdown: batches 1, events 2; they stay in the spool"), said);
        Assert.That(log.Lines, Has.None.Contains("Take them with TakeUndeliveredBatches"), "nothing for the host to take:\n" + said);
        Assert.That(buffer.TakeUndeliveredBatches(), Is.Empty, "kept in the spool: taken too, it would be sent twice");

        // The next start seals the journal again and delivers its events, once.
        File.Delete(Path.Combine(SpoolPath, "sealed", "src"));
        var next = new CustomersConsumer();
        await using (var restarted = new BatchBuffer(new BatchBufferOptions { SpoolDirectory = SpoolPath }, next, time, new Logger<BatchBuffer>(new CapturingLogger())))
        {
            await restarted.FlushAsync().WaitAsync(Bound);
        }

        Assert.That(next.MessageIds("src"), Is.EqualTo(new[] { "src-0", "src-1" }));
    }

    [Test]
    public async Task Dispose_WithoutASpool_StillTellsTheHostToTakeWhatIsInMemory()
    {
        var time = new FakeTimeProvider(Start);
        var log = new CapturingLogger();
        var consumer = new CustomersConsumer();
        consumer.Set("src", CustomerHealth.FailsAtOnce);
        var buffer = new BatchBuffer(new BatchBufferOptions { ShutdownTimeout = TimeSpan.Zero }, consumer, time, new Logger<BatchBuffer>(log));
        await buffer.AppendAsync("src", Event("src", 0));
        await buffer.DisposeAsync().AsTask().WaitAsync(Bound);

        Assert.That(log.Lines, Has.Some.StartsWith("Error: Not delivered at shutdown: batches 1, events 1. Take them with TakeUndeliveredBatches"), string.Join("\n", log.Lines));
        IReadOnlyList<SealedBatch> taken = buffer.TakeUndeliveredBatches();
        Assert.That(taken, Has.Count.EqualTo(1));
        taken[0].Dispose();
    }
}
