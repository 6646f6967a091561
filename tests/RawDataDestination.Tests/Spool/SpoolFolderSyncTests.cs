namespace RawDataDestination.Tests.Spool;

/// <summary>
/// A rename in the spool is followed by an fsync of the folder it renamed into, so a power cut cannot keep what came
/// after it (the journal's deletion, the sealed file's) and lose the rename itself. A power cut cannot be made here: the
/// spool says which folders it flushed (<c>FolderSynced</c>, told after a successful fsync).
/// </summary>
[Platform(Exclude = "Win", Reason = "no folder fsync on Windows")]
public class SpoolFolderSyncTests : SpoolDirectoryTests
{
    private const string BatchId = "0190f0a0-0000-7000-8000-000000000001";

    [Test]
    public async Task KeepSealTime_RenamesTheJournalThenFlushesItsFolder()
    {
        using var spool = new BatchSpool(SpoolPath, long.MaxValue, SpoolFullMode.Wait);
        var synced = new ConcurrentQueue<string>();
        JournalWriter journal = spool.OpenJournal("src", DateOnly.FromDateTime(Start.UtcDateTime), BatchId, _ => ValueTask.CompletedTask);
        journal.Append("{\"messageId\":\"m-0\"}\n"u8);
        await journal.DisposeAsync();
        string folder = Path.GetDirectoryName(journal.Path)!;
        spool.FolderSynced = synced.Enqueue;

        spool.KeepSealTime(journal, BatchId, Start, "initech");

        Assert.That(Path.GetFileName(journal.Path), Does.StartWith(Start.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)), "renamed");
        Assert.That(synced, Is.EqualTo(new[] { folder }), "its folder flushed after the rename");
    }

    [Test]
    public async Task SaveSealed_RenamesTheBatchAndItsChecksumThenFlushesTheirFolder()
    {
        using var spool = new BatchSpool(SpoolPath, long.MaxValue, SpoolFullMode.Wait);
        var synced = new ConcurrentQueue<string>();
        spool.FolderSynced = synced.Enqueue;

        string saved = await spool.SaveSealedAsync("src", DateOnly.FromDateTime(Start.UtcDateTime), $"1700820001234.{BatchId}.gz", new MemoryStream([1, 2, 3]), "checksum", "initech");

        Assert.That(synced, Does.Contain(Path.GetDirectoryName(saved)!), "the folder of the sealed file and its checksum, flushed before the journal may be deleted");
    }
}
