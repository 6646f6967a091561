namespace RawDataDestination.Tests.Spool;

/// <summary>
/// QA F6: a batch whose save to the spool failed (a full disk) is delivered from memory, and its journal is kept until
/// then. A kill -9 after the PUT landed and before the journal was deleted left the journal as it was, and the next
/// start sealed it again under a new seal time: a second object key, which conditional writes cannot catch, so its
/// events landed twice. The journal now carries the seal time, and the next start seals it under the same file name.
/// </summary>
public class KeptJournalTests : SpoolDirectoryTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private string Crashed { get; set; } = "";

    [SetUp]
    public void CreateCrashedCopyFolder() => Crashed = Directory.CreateTempSubdirectory("rawdata-keptjournal-killed-").FullName;

    [TearDown]
    public void DeleteCrashedCopyFolder() => Directory.Delete(Crashed, recursive: true);

    private static BatchBuffer Create(string spool, ISealedBatchConsumer consumer, FakeTimeProvider time, int compressionThreads = 1) =>
        new(new BatchBufferOptions { SpoolDirectory = spool, CompressionThreads = compressionThreads }, consumer, time, new Logger<BatchBuffer>(new CapturingLogger()));

    /// <summary>
    /// Runs a buffer whose save of <c>src</c>'s sealed batches fails (a file stands where the source's sealed folder
    /// goes), so its batch is delivered from memory; at the PUT, the spool is copied to <see cref="Crashed"/>: what a
    /// kill -9 after the PUT landed, before the journal's deletion, leaves. Returns the batch as the first run sent it.
    /// </summary>
    private async Task<SentBatch> DeliverFromMemoryAndCopyAtThePutAsync(FakeTimeProvider time, int events, int padding = 0, int compressionThreads = 1)
    {
        var first = new CopyingConsumer(SpoolPath, Crashed);
        await using (var buffer = Create(SpoolPath, first, time, compressionThreads))
        {
            for (int i = 0; i < events; i++)
            {
                await buffer.AppendAsync("src", Event(i, padding));
            }

            File.WriteAllText(Path.Combine(SpoolPath, "sealed", "src"), "a file where the source's sealed folder should be");
            time.Advance(TimeSpan.FromMilliseconds(1234)); // the seal time: not the time the next start seals it at
            await buffer.FlushAsync().WaitAsync(Bound);
        }

        Assert.That(first.Sent, Has.Count.EqualTo(1), "one batch, delivered from memory");
        Assert.That(Directory.EnumerateFiles(Path.Combine(SpoolPath, "sealed"), "*.gz", SearchOption.AllDirectories), Is.Empty, "its save failed: the case this test is about");
        Assert.That(Directory.EnumerateFiles(Path.Combine(Crashed, "journal"), "*.ndjson", SearchOption.AllDirectories).ToList(), Has.Count.EqualTo(1), "the kill left its journal");
        File.Delete(Path.Combine(Crashed, "sealed", "src")); // the disk has room again at the next start
        return first.Sent.Single();
    }

    [Test]
    public async Task Restart_AfterAKillBetweenTheDeliveryFromMemoryAndTheJournalsDeletion_SealsTheJournalAgainUnderTheSameFileName()
    {
        var time = new FakeTimeProvider(Start);
        SentBatch sent = await DeliverFromMemoryAndCopyAtThePutAsync(time, events: 3);

        time.Advance(TimeSpan.FromMinutes(5)); // the restart, later
        var next = new CopyingConsumer(null, null);
        await using (var buffer = Create(Crashed, next, time))
        {
            await buffer.FlushAsync().WaitAsync(Bound);
        }

        SentBatch again = next.Sent.Single();
        Assert.That(again.FileName, Is.EqualTo(sent.FileName), "the same key: a conditional write answers 412 (already in the bucket), an unconditional one writes the same key again");
        Assert.That(again.Lines, Is.EqualTo(sent.Lines), "the same events, in the same order");
        Assert.That(Directory.EnumerateFiles(Crashed, "*.ndjson", SearchOption.AllDirectories), Is.Empty, "the journal is gone once its batch is delivered");
    }

    [TestCase(200, 0, 1, TestName = "{m}(small batch)")]
    [TestCase(150, 10_000, 1, TestName = "{m}(1.5 MB batch, compressed as it grows)")]
    [TestCase(150, 10_000, 4, TestName = "{m}(1.5 MB batch, compressed on 4 threads)")]
    public async Task Restart_AfterAKillBetweenTheDeliveryFromMemoryAndTheJournalsDeletion_SendsTheSameBytes(int events, int padding, int compressionThreads)
    {
        var time = new FakeTimeProvider(Start);
        SentBatch sent = await DeliverFromMemoryAndCopyAtThePutAsync(time, events, padding, compressionThreads);

        time.Advance(TimeSpan.FromMinutes(5));
        var next = new CopyingConsumer(null, null);
        await using (var buffer = Create(Crashed, next, time, compressionThreads))
        {
            await buffer.FlushAsync().WaitAsync(Bound);
        }

        Assert.That(next.Sent.Single().FileName, Is.EqualTo(sent.FileName));
        Assert.That(next.Sent.Single().Bytes, Is.EqualTo(sent.Bytes), "the same lines with the same encoder settings: the same bytes, so an unconditional write leaves the object as it was");
    }

    [Test]
    public async Task Restart_AfterAKillWhileTheSpoolsDiskWasFull_SendsTheBatchDeliveredFromMemoryUnderTheSameFileName()
    {
        // As QA found it: the spool's disk full (a small tmpfs, filled by someone else), so the sealed file cannot be
        // written; the journal's rename must go through all the same.
        string diskFolder = Path.Combine(SpoolPath, "disk");
        await using SmallDisk? disk = await SmallDisk.TryMountAsync(diskFolder, 1024 * 1024);
        if (disk is null)
        {
            Assert.Ignore("needs Linux and root, to mount a small disk (tmpfs) and fill it");
        }

        string spool = Path.Combine(diskFolder, "spool");
        var time = new FakeTimeProvider(Start);
        var log = new CapturingLogger();
        var first = new CopyingConsumer(spool, Crashed);
        await using (var buffer = new BatchBuffer(new BatchBufferOptions { SpoolDirectory = spool, SpoolFullMode = SpoolFullMode.Fail }, first, time, new Logger<BatchBuffer>(log)))
        {
            await buffer.AppendAsync("src", Event(0, padding: 100));
            await buffer.AppendAsync("src", Event(1, padding: 100));
            SmallDisk.Fill(Path.Combine(diskFolder, "someone-elses-file"));
            time.Advance(TimeSpan.FromMilliseconds(1234));
            await buffer.FlushAsync().WaitAsync(Bound);
        }

        Assert.That(log.Lines, Has.Some.Contains("to the spool failed; it stays in memory"), "the full disk refused the sealed file:\n" + string.Join("\n", log.Lines));
        Assert.That(log.Lines, Has.None.Contains("could not be renamed"), "a rename needs no room:\n" + string.Join("\n", log.Lines));

        time.Advance(TimeSpan.FromMinutes(5));
        var next = new CopyingConsumer(null, null);
        await using (var buffer = Create(Crashed, next, time))
        {
            await buffer.FlushAsync().WaitAsync(Bound);
        }

        Assert.That(next.Sent.Single().FileName, Is.EqualTo(first.Sent.Single().FileName), "the same key after the kill");
        Assert.That(next.Sent.Single().Bytes, Is.EqualTo(first.Sent.Single().Bytes));
    }

    [Test]
    public async Task Restart_AfterAKillWhenTheKeptJournalsSourceMovedToAnotherCustomer_HoldsItForItsOwnCustomerAndNeverSendsItToTheOther()
    {
        // A journal kept past its batch's seal (the save failed) recorded no lane: after a kill, a source moved to another
        // customer took its events there, events initech's bucket may already hold. Its name now records the lane.
        var time = new FakeTimeProvider(Start);
        var before = new TenantsRouter(time);
        before.List("initech", ["src"]);
        var first = new CopyingRouter(before, SpoolPath, Crashed);
        await using (var buffer = new BatchBuffer(new BatchBufferOptions { SpoolDirectory = SpoolPath }, first, time, new Logger<BatchBuffer>(new CapturingLogger())))
        {
            await buffer.AppendAsync("src", Event("src", 0));
            await buffer.AppendAsync("src", Event("src", 1));
            File.WriteAllText(Path.Combine(SpoolPath, "sealed", "src"), "a file where the source's sealed folder should be");
            await buffer.FlushAsync().WaitAsync(Bound);
        }

        (string Tenant, string Source, string[] Ids) sent = before.Delivered.Single();
        Assert.That(sent.Tenant, Is.EqualTo("initech"), "delivered from memory to its customer; then the kill");
        string kept = Path.GetFileName(Directory.EnumerateFiles(Path.Combine(Crashed, "journal"), "*.ndjson", SearchOption.AllDirectories).Single());
        Assert.That(SpoolPaths.JournalBatchId(kept, out _, out string? tag), Is.Not.Null);
        Assert.That(tag, Is.EqualTo(SpoolPaths.LaneTag("initech")), "the journal's name records the lane it was sealed for: " + kept);
        File.Delete(Path.Combine(Crashed, "sealed", "src"));

        // The restart: initech removed, its source listed by acme.
        var after = new TenantsRouter(time);
        after.List("acme", ["src"]);
        await using var restarted = new BatchBuffer(new BatchBufferOptions { SpoolDirectory = Crashed }, after, time, new Logger<BatchBuffer>(new CapturingLogger()));
        Assert.That(async () => await restarted.FlushAsync().WaitAsync(Bound), Throws.InstanceOf<BatchDeliveryException>(), "held, refused");
        Assert.That(after.Delivered, Is.Empty, "never sent to acme");
        Assert.That(restarted.GetStatus().FailingLanes.Single().Key, Is.EqualTo($"(held for lane 'sha256:{SpoolPaths.LaneTag("initech")}')"));

        // initech listed again: delivered to it, under the key it was delivered under before the kill.
        after.Unlist("acme");
        after.List("initech", ["src"]);
        await restarted.FlushAsync().WaitAsync(Bound);
        Assert.That(after.Delivered.Select(d => (d.Tenant, string.Join(",", d.MessageIds))), Is.EqualTo(new[] { ("initech", "src-0,src-1") }));
    }

    /// <summary>A router that, at the first batch it delivers, copies the spool (but its lock) as a kill at that moment leaves it.</summary>
    private sealed class CopyingRouter(TenantsRouter router, string spool, string copyTo) : ISealedBatchConsumer, IBatchRouter, IUnroutedBatchRefusal
    {
        private int _copied;

        public BatchRoute Route(string sourceId) => router.Route(sourceId);

        public bool WouldRefuseUnrouted(string sourceId) => router.WouldRefuseUnrouted(sourceId);

        public Task<BatchReceipt> ConsumeAsync(SealedBatch batch, CancellationToken cancellationToken)
        {
            if (Interlocked.Exchange(ref _copied, 1) == 0)
            {
                foreach (string file in Directory.EnumerateFiles(spool, "*", SearchOption.AllDirectories).Where(f => Path.GetFileName(f) != BatchSpool.LockFileName))
                {
                    string target = Path.Combine(copyTo, Path.GetRelativePath(spool, file));
                    Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                    File.Copy(file, target);
                }
            }

            return router.ConsumeAsync(batch, cancellationToken);
        }
    }

    /// <summary>A batch as a consumer received it: its file name, bytes and lines.</summary>
    private sealed record SentBatch(string FileName, byte[] Bytes, string[] Lines);

    /// <summary>Records each batch; at the first, copies the spool (but its lock) to another folder, as a kill at that moment leaves it.</summary>
    private sealed class CopyingConsumer(string? spool, string? copyTo) : ISealedBatchConsumer
    {
        public ConcurrentQueue<SentBatch> Sent { get; } = new();

        public Task<BatchReceipt> ConsumeAsync(SealedBatch batch, CancellationToken cancellationToken)
        {
            byte[] bytes = batch.ReadAllBytes();
            Sent.Enqueue(new SentBatch(batch.FileName, bytes, Gzip.Lines(bytes)));
            if (spool is not null && copyTo is not null && Sent.Count == 1)
            {
                foreach (string file in Directory.EnumerateFiles(spool, "*", SearchOption.AllDirectories).Where(f => Path.GetFileName(f) != BatchSpool.LockFileName))
                {
                    string target = Path.Combine(copyTo, Path.GetRelativePath(spool, file));
                    Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                    File.Copy(file, target);
                }
            }

            return Task.FromResult(BatchReceipt.For(batch, "memory:" + batch.FileName));
        }
    }
}
