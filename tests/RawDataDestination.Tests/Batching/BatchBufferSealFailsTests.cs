namespace RawDataDestination.Tests.Batching;

/// <summary>
/// A seal that fails (its compressor cannot be loaded or completed: seen when a process ran out of files) loses the
/// batch from memory, not from the spool: its journal stays on disk and the next start seals it. Its events are still
/// counted, as open (<see cref="DeliveryStatus.OpenEvents"/>), so that a host's counts add up: rawdata's summary said
/// "unaccounted: N (... please report this)" for them.
/// </summary>
public class BatchBufferSealFailsTests : SpoolDirectoryTests
{
    [TestCase(0, Description = "past the shutdown deadline: the seal's error escaped DisposeAsync")]
    [TestCase(30)]
    public async Task Dispose_SealFailsAtShutdownWithASpool_CountsItsEventsAsOpenAndTheNextStartDeliversThemOnce(int shutdownSeconds)
    {
        var time = new FakeTimeProvider(Start);
        var first = new RecordingConsumer();
        var failing = new BatchBufferOptions
        {
            SpoolDirectory = SpoolPath,
            ShutdownTimeout = TimeSpan.FromSeconds(shutdownSeconds),
            Completing = cause => throw new InvalidDataException($"the compressor could not complete ({cause})"),
        };
        var buffer = new BatchBuffer(failing, first, time);
        for (int i = 0; i < 3; i++)
        {
            await buffer.AppendAsync("src", TestEvents.Event(i)).AsTask().WaitAsync(Bound);
        }

        Assert.That(async () => await buffer.DisposeAsync().AsTask().WaitAsync(Bound), Throws.Nothing, "the shutdown seal fails: logged, and the batch stays in its journal");

        DeliveryStatus status = buffer.GetStatus();
        Assert.That(first.Batches, Is.Empty);
        Assert.That((status.OpenEvents, status.UndeliveredEvents), Is.EqualTo((3L, 0L)), "the 3 events are counted (in their journal), not in no count");

        var second = new RecordingConsumer();
        await using (var next = new BatchBuffer(new BatchBufferOptions { SpoolDirectory = SpoolPath }, second, time))
        {
            await time.DriveAsync(next.FlushAsync(), TimeSpan.FromSeconds(1));
        }

        Assert.That(second.AllLines.Select(line => line.Split('"')[3]), Is.EquivalentTo(new[] { "m-0", "m-1", "m-2" }), "each event delivered once");
        Assert.That(Directory.EnumerateFiles(SpoolPath, "*.ndjson", SearchOption.AllDirectories), Is.Empty, "nothing left behind");
    }
}
