namespace RawDataDestination.Tests.Spool;

/// <summary>
/// A move to the spool's <c>quarantine/</c> folder (a file recovery cannot use, a sealed file found changed on disk) is
/// followed by an fsync of the folder it went to and of the one it left (<c>FolderSynced</c>, told after a successful
/// fsync), so a power cut cannot bring the file back under its old name in the spool, to be sent or sealed again.
/// </summary>
public class SpoolQuarantineFolderSyncTests : SpoolDirectoryTests
{
    private const string BatchId = "0190f0a0-0000-7000-8000-000000000002";

    [Test]
    public async Task QuarantineSealed_MovesTheBatchThenFlushesTheQuarantineFolderAndTheFolderItLeft()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Ignore("no folder fsync on Windows");
        }

        using var spool = new BatchSpool(SpoolPath, long.MaxValue, SpoolFullMode.Wait);
        string saved = await spool.SaveSealedAsync("src", DateOnly.FromDateTime(Start.UtcDateTime), $"1700820001234.{BatchId}.gz", new MemoryStream([1, 2, 3]), "checksum", "initech");
        var synced = new ConcurrentQueue<string>();
        spool.FolderSynced = synced.Enqueue;

        string moved = spool.QuarantineSealed(saved, 3, Start);

        Assert.That(File.Exists(moved) && !File.Exists(saved), Is.True, "moved");
        Assert.That(synced, Is.EqualTo(new[] { Path.GetDirectoryName(moved)!, Path.GetDirectoryName(saved)! }), "the quarantine folder, then the folder it left");
    }

    [Test]
    public void Quarantine_MovesWhatRecoveryCannotUseThenFlushesTheQuarantineFolderAndTheFolderItLeft()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Ignore("no folder fsync on Windows");
        }

        using var spool = new BatchSpool(SpoolPath, long.MaxValue, SpoolFullMode.Wait);
        string folder = Path.Combine(SpoolPath, "src", "2023-11-24");
        Directory.CreateDirectory(folder);
        string stray = Path.Combine(folder, "not-a-batch.bin");
        File.WriteAllBytes(stray, [1, 2, 3]);
        var synced = new ConcurrentQueue<string>();
        spool.FolderSynced = synced.Enqueue;

        string moved = spool.Quarantine(stray, Start);

        Assert.That(File.Exists(moved) && !File.Exists(stray), Is.True, "moved");
        Assert.That(synced, Is.EqualTo(new[] { Path.GetDirectoryName(moved)!, folder }), "the quarantine folder, then the folder it left");
    }
}
