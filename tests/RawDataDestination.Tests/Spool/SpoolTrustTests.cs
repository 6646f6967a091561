namespace RawDataDestination.Tests.Spool;

/// <summary>
/// Issue 20: the spool trusts only what it wrote. A FIFO, a symbolic link to a file or to a folder, a huge journal with
/// no newline, a file of another user: each is quarantined (moved, never deleted) or set aside and reported, none is
/// uploaded, and recovery ends by itself.
/// </summary>
[CancelAfter(120_000)]
public class SpoolTrustTests
{
    private string _directory = "";
    private string _outside = "";

    [SetUp]
    public void CreateDirectories()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Ignore("FIFOs, owners and these links are Unix cases");
        }

        _directory = Directory.CreateTempSubdirectory("rawdata-trust-").FullName;
        _outside = Directory.CreateTempSubdirectory("rawdata-outside-").FullName;
    }

    [TearDown]
    public void DeleteDirectories()
    {
        Directory.Delete(_directory, recursive: true);
        Directory.Delete(_outside, recursive: true);
    }

    private static string Line(string id) => $"{{\"messageId\":\"{id}\",\"receivedAt\":\"2023-11-24T10:00:00.000Z\"}}";

    private static byte[] GzipLines(params string[] lines) => Gzip.Ndjson(lines);

    private string InSpool(string relative)
    {
        string path = Path.Combine(_directory, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return path;
    }

    private static void MakeFifo(string path)
    {
        using Process process = Process.Start("mkfifo", path);
        Assert.That(process.WaitForExit(10_000) && process.ExitCode == 0, Is.True, "mkfifo " + path);
    }

    /// <summary>Starts a buffer over the spool and flushes (recovery first), both bounded; returns what it delivered and its status.</summary>
    private async Task<(RecordingConsumer Consumer, DeliveryStatus Status, CapturingLogger Log)> StartAndFlushAsync(int maxEventBytes = 1024 * 1024)
    {
        var consumer = new RecordingConsumer();
        var log = new CapturingLogger();
        var buffer = new BatchBuffer(new BatchBufferOptions { SpoolDirectory = _directory, MaxEventBytes = maxEventBytes }, consumer, new FakeTimeProvider(Start), new Microsoft.Extensions.Logging.Logger<BatchBuffer>(log));
        await buffer.FlushAsync().WaitAsync(Bound); // recovery ends by itself, or this times out
        DeliveryStatus status = buffer.GetStatus();
        await buffer.DisposeAsync().AsTask().WaitAsync(Bound);
        return (consumer, status, log);
    }

    private string[] Quarantined() => Directory.Exists(Path.Combine(_directory, "quarantine")) ? Directory.GetFileSystemEntries(Path.Combine(_directory, "quarantine")) : [];

    private static IEnumerable<string> Ids(RecordingConsumer consumer) => consumer.AllLines.Select(l => l.Split('"')[3]);

    [Test]
    public async Task Start_WithAFifoNamedLikeASealedBatch_QuarantinesItWithoutOpeningItAndDeliversTheRest()
    {
        string fifo = InSpool($"sealed/src/{Day}/1700820000000.0190f0a0-0000-7000-8000-000000000001.gz");
        MakeFifo(fifo);
        await File.WriteAllBytesAsync(InSpool($"sealed/src/{Day}/1700820000000.0190f0a0-0000-7000-8000-000000000002.gz"), GzipLines(Line("good")));

        (RecordingConsumer consumer, DeliveryStatus status, CapturingLogger log) = await StartAndFlushAsync();

        Assert.That(Ids(consumer), Is.EqualTo(new[] { "good" }));
        Assert.That(status.QuarantinedFiles, Is.EqualTo(1));
        Assert.That(File.Exists(fifo), Is.False);
        string moved = Quarantined().Single();
        Assert.That(moved, Does.EndWith("0190f0a0-0000-7000-8000-000000000001.gz"));
        Assert.That(new FileInfo(moved).Attributes.HasFlag(FileAttributes.Directory), Is.False, "the FIFO itself, moved");
        Assert.That(log.Lines, Has.Some.Contains("FIFO"));
    }

    [Test]
    public async Task Start_WithASymlinkedSealedFilePointingOutsideTheSpool_QuarantinesTheLinkAndNeverUploadsItsTarget()
    {
        string target = Path.Combine(_outside, "elsewhere.gz");
        await File.WriteAllBytesAsync(target, GzipLines(Line("outside")));
        string link = InSpool($"sealed/other/{Day}/1700820000000.0190f0a0-0000-7000-8000-000000000003.gz");
        File.CreateSymbolicLink(link, target);

        (RecordingConsumer consumer, DeliveryStatus status, _) = await StartAndFlushAsync();

        Assert.That(consumer.Batches, Is.Empty, "never uploaded, under any source");
        Assert.That(status.QuarantinedFiles, Is.EqualTo(1));
        string moved = Quarantined().Single();
        Assert.That(new FileInfo(moved).LinkTarget, Is.EqualTo(target), "the link itself, moved");
        Assert.That(File.ReadAllBytes(target), Is.EqualTo(GzipLines(Line("outside"))), "its target untouched");
    }

    [Test]
    public async Task Start_WithASymlinkedFolderInTheSpool_NeverFollowsIt()
    {
        string outsideDay = Path.Combine(_outside, Day);
        Directory.CreateDirectory(outsideDay);
        string outsideBatch = Path.Combine(outsideDay, "1700820000000.0190f0a0-0000-7000-8000-000000000004.gz");
        await File.WriteAllBytesAsync(outsideBatch, GzipLines(Line("followed")));
        string outsideJournal = Path.Combine(outsideDay, "0190f0a0-0000-7000-8000-000000000005.ndjson");
        await File.WriteAllTextAsync(outsideJournal, Line("journal-followed") + "\n");
        string sealedLink = InSpool("sealed/src");
        Directory.CreateSymbolicLink(sealedLink, _outside);
        string journalLink = InSpool("journal/src");
        Directory.CreateSymbolicLink(journalLink, _outside);

        (RecordingConsumer consumer, DeliveryStatus status, _) = await StartAndFlushAsync();

        Assert.That(consumer.Batches, Is.Empty, "nothing behind the links is read");
        Assert.That(status.QuarantinedFiles, Is.EqualTo(2));
        Assert.That(Quarantined().Select(path => new DirectoryInfo(path).LinkTarget), Is.EqualTo(new[] { _outside, _outside }), "the links, moved");
        Assert.That(File.Exists(outsideBatch) && File.Exists(outsideJournal), Is.True, "nothing behind them deleted");
    }

    [Test]
    public async Task Start_WithAHugeJournalWithoutANewline_QuarantinesItUnreadAndUndeleted()
    {
        string journal = InSpool($"journal/src/{Day}/0190f0a0-0000-7000-8000-000000000006.ndjson");
        const long Huge = 1_900_000_000; // issue 20: 1.9 GB, sparse zeros, no newline anywhere
        using (FileStream file = File.Create(journal))
        {
            file.SetLength(Huge);
        }

        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        (RecordingConsumer consumer, DeliveryStatus status, CapturingLogger log) = await StartAndFlushAsync(maxEventBytes: 64 * 1024);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;

        Assert.That(consumer.Batches, Is.Empty);
        Assert.That(status.QuarantinedFiles, Is.EqualTo(1));
        Assert.That(new FileInfo(Quarantined().Single()).Length, Is.EqualTo(Huge), "moved whole, not deleted");
        Assert.That(allocated, Is.LessThan(64L * 1024 * 1024), "read a line's worth, not the file");
        Assert.That(log.Lines, Has.Some.Contains("line 1 is longer than"));
    }

    [Test]
    public async Task Start_WithAFileOfAnotherUser_QuarantinesIt()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Assert.Ignore("only root can give a file to another user");
        }

        string foreign = InSpool($"sealed/src/{Day}/1700820000000.0190f0a0-0000-7000-8000-000000000007.gz");
        await File.WriteAllBytesAsync(foreign, GzipLines(Line("foreign")));
        using (Process chown = Process.Start("chown", $"54321 {foreign}"))
        {
            Assert.That(chown.WaitForExit(10_000) && chown.ExitCode == 0, Is.True);
        }

        (RecordingConsumer consumer, DeliveryStatus status, CapturingLogger log) = await StartAndFlushAsync();

        Assert.That(consumer.Batches, Is.Empty);
        Assert.That(status.QuarantinedFiles, Is.EqualTo(1));
        Assert.That(log.Lines, Has.Some.Contains("owned by user 54321"));
    }

    [Test]
    public async Task Start_WithAFifoAsItsLockFileAndALinkAsItsJournalFolder_SetsThemAsideAndStarts()
    {
        MakeFifo(Path.Combine(_directory, "spool.lock"));
        Directory.CreateSymbolicLink(Path.Combine(_directory, "journal"), _outside);

        (_, DeliveryStatus status, CapturingLogger log) = await StartAndFlushAsync();

        Assert.That(status.QuarantinedFiles, Is.EqualTo(2));
        string[] aside = Directory.GetFileSystemEntries(_directory, "*.untrusted-*");
        Assert.That(aside.Select(Path.GetFileName), Has.Some.StartsWith("spool.lock.untrusted-").And.Some.StartsWith("journal.untrusted-"), "renamed beside, never deleted");
        Assert.That(new DirectoryInfo(Path.Combine(_directory, "journal")).LinkTarget, Is.Null, "the spool made its own folder");
        Assert.That(log.Lines.Count(l => l.Contains("was not one the spool trusts", StringComparison.Ordinal)), Is.EqualTo(2));
    }

    [Test]
    public async Task Start_WithAJournalWhoseTornTailIsTheOnlyLine_DeletesItAsBeforeButQuarantinesOneLongerThanALine()
    {
        string torn = InSpool($"journal/src/{Day}/0190f0a0-0000-7000-8000-000000000008.ndjson");
        await File.WriteAllTextAsync(torn, "{\"messageId\":\"to");
        string tooLong = InSpool($"journal/src/{Day}/0190f0a0-0000-7000-8000-000000000009.ndjson");
        await File.WriteAllTextAsync(tooLong, Line("a") + "\n" + new string('x', 3000));

        (RecordingConsumer consumer, DeliveryStatus status, _) = await StartAndFlushAsync(maxEventBytes: 1024);

        Assert.That(File.Exists(torn), Is.False, "a torn first line held no acknowledged event");
        Assert.That(consumer.Batches, Is.Empty, "a journal with a line no writer makes is not half delivered");
        Assert.That(status.QuarantinedFiles, Is.EqualTo(1));
        Assert.That(Quarantined().Single(), Does.EndWith("0190f0a0-0000-7000-8000-000000000009.ndjson"));
    }
}
