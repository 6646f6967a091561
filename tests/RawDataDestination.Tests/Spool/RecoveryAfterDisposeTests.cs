namespace RawDataDestination.Tests.Spool;

/// <summary>
/// Found by <c>SpoolInterleavingProperties</c> (seed <c>ego0GX0xxOC1</c>): a buffer disposed before its recovery ended
/// released the spool's lock while that recovery went on, beside the next buffer's, and journals were sealed by both,
/// under two keys. A closed spool's files are no longer changed by the instance that closed it.
/// </summary>
[CancelAfter(120_000)]
public class RecoveryAfterDisposeTests : SpoolDirectoryTests
{
    private const int Journals = 1000;
    [Test]
    public async Task Dispose_BeforeRecoveryEnds_TheNextBufferAloneRecoversAndEachJournalIsDeliveredOnce()
    {
        string folder = Path.Combine(SpoolPath, "journal", "src", Day);
        Directory.CreateDirectory(folder);
        for (int j = 0; j < Journals; j++)
        {
            await File.WriteAllTextAsync(Path.Combine(folder, $"0190f0a0-0000-7000-8000-{j:D12}.ndjson"), $"{{\"messageId\":\"j-{j}\",\"receivedAt\":\"2023-11-24T10:00:00.000Z\"}}\n");
        }

        var time = new FakeTimeProvider(Start);
        var options = new BatchBufferOptions { SpoolDirectory = SpoolPath, ShutdownTimeout = TimeSpan.Zero };
        var first = new RecordingConsumer { FailuresToInject = int.MaxValue };
        await new BatchBuffer(options, first, time).DisposeAsync(); // at once: its recovery has barely begun
        time.Advance(TimeSpan.FromSeconds(5)); // the next start seals at another time: a second key would show
        var second = new RecordingConsumer();
        await using (var buffer = new BatchBuffer(options, second, time))
        {
            await time.DriveAsync(buffer.FlushAsync(), TimeSpan.FromSeconds(1));
        }

        var keysById = second.Batches.SelectMany(b => b.Lines.Select(l => (Id: l.Split('"')[3], b.FileName))).GroupBy(p => p.Id).ToList();
        Assert.That(keysById.Where(g => g.Select(p => p.FileName).Distinct().Count() > 1).Select(g => g.Key), Is.Empty, "no journal sealed twice");
        Assert.That(keysById.Select(g => g.Key), Is.EquivalentTo(Enumerable.Range(0, Journals).Select(j => $"j-{j}")));
        Assert.That(Directory.EnumerateFiles(SpoolPath, "*.gz", SearchOption.AllDirectories), Is.Empty, "nothing left behind");
        Assert.That(Directory.EnumerateFiles(SpoolPath, "*.ndjson", SearchOption.AllDirectories), Is.Empty);
    }
}
