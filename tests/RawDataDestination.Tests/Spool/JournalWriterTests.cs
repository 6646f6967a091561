namespace RawDataDestination.Tests.Spool;

/// <summary><see cref="JournalWriter"/>: lines reach the file, then the batch; a refused round fails its appends.</summary>
public class JournalWriterTests
{
    private string _directory = null!;

    [SetUp]
    public void SetUp()
    {
        _directory = Path.Combine(Path.GetTempPath(), "journal-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_directory, recursive: true);

    [Test]
    public async Task Append_ThenDrain_WritesEachLineToTheFileAndHandsItToTheBatch()
    {
        string path = Path.Combine(_directory, "a.journal");
        var handed = new StringBuilder();
        long grown = 0;
        await using (var journal = new JournalWriter(path, bytes => Interlocked.Add(ref grown, bytes), lines => { lock (handed) { handed.Append(Encoding.UTF8.GetString(lines.Span)); } return ValueTask.CompletedTask; }))
        {
            journal.Append("{\"n\":1}\n"u8);
            journal.Append("{\"n\":2}\n"u8);
            await journal.LastCommit;
            await journal.DrainAsync();

            Assert.That(journal.Length, Is.EqualTo(16));
            Assert.That(grown, Is.EqualTo(16));
        }

        string[] onDisk = File.ReadAllLines(path);
        Assert.That(onDisk, Is.EqualTo(new[] { "{\"n\":1}", "{\"n\":2}" }));
        Assert.That(handed.ToString(), Is.EqualTo("{\"n\":1}\n{\"n\":2}\n"), "the batch gets the same lines, once");
    }

    [Test]
    public async Task Append_WithARoundObserver_TellsEachRoundsPlaceAndMarksBeforeItsBytesAreInTheFile()
    {
        string path = Path.Combine(_directory, "rounds.journal");
        var rounds = new RecordingRounds(path);
        await using (var journal = new JournalWriter(path, _ => { }, _ => ValueTask.CompletedTask, rounds))
        {
            journal.Append("{\"n\":1}\n"u8, mark: 7);
            journal.Append("{\"n\":2}\n"u8, mark: 8);
            await journal.DrainAsync();
            journal.Append("{\"n\":3}\n"u8, mark: 9);
            await journal.DrainAsync();
        }

        Assert.That(rounds.Seen.SelectMany(round => round.Marks), Is.EqualTo(new long[] { 7, 8, 9 }), "every line's mark, once, in order");
        Assert.That(rounds.Seen.All(round => round.FileLengthThen == round.Start), Is.True, "each round told before its bytes were written, at the journal's end: " + string.Join(", ", rounds.Seen));
        Assert.That(rounds.Seen.Sum(round => round.Length), Is.EqualTo(new FileInfo(path).Length));
    }

    [Test]
    public async Task Constructor_ExistingJournal_AppendsAfterItsCommittedLength()
    {
        string path = Path.Combine(_directory, "b.journal");
        await File.WriteAllTextAsync(path, "{\"n\":0}\n");
        await using var journal = new JournalWriter(path, _ => { }, _ => ValueTask.CompletedTask);

        Assert.That(journal.Length, Is.EqualTo(8));
        journal.Append("{\"n\":1}\n"u8);
        await journal.LastCommit;

        Assert.That(journal.Length, Is.EqualTo(16));
    }

    [Test]
    public async Task Append_WhenTheBatchRefusesTheLines_FailsTheRoundsTicket()
    {
        string path = Path.Combine(_directory, "c.journal");
        await using var journal = new JournalWriter(path, _ => { }, _ => ValueTask.FromException(new InvalidOperationException("encoder failed")));

        journal.Append("{\"n\":1}\n"u8);

        Assert.That(async () => await journal.LastCommit, Throws.InvalidOperationException.With.Message.EqualTo("encoder failed"));
    }

    [Test]
    public async Task DeleteAsync_AfterAppends_RemovesTheFile()
    {
        string path = Path.Combine(_directory, "d.journal");
        var journal = new JournalWriter(path, _ => { }, _ => ValueTask.CompletedTask);
        journal.Append("{\"n\":1}\n"u8);

        await journal.DeleteAsync();

        Assert.That(File.Exists(path), Is.False);
    }

    // ---- a failed write (from the delivery engine) ----

    [Test]
    public async Task Write_WhenTheJournalWriteFails_FailsTheAppendAndLeavesTheEventOutOfTheBatch()
    {
        if (!File.Exists("/dev/full"))
        {
            Assert.Ignore("needs /dev/full, whose writes fail with ENOSPC");
        }

        string directory = Directory.CreateTempSubdirectory("rawdata-journal-").FullName;
        try
        {
            using var spool = new BatchSpool(directory, 10 * 1024 * 1024, SpoolFullMode.Wait);
            var partition = new PartitionKey("src", new DateOnly(2023, 11, 24));
            string folder = Path.Combine(directory, "journal", "src", "1700784000000");
            Directory.CreateDirectory(folder);
            File.CreateSymbolicLink(Path.Combine(folder, "full-disk.ndjson"), "/dev/full"); // the journal this batch will open
            var batch = new OpenBatch(partition, Start, "full-disk", new BatchBufferOptions(), spool);

            batch.WriteLine("{\"messageId\":\"lost\",\"receivedAt\":\"2023-11-24T10:00:00Z\"}\n"u8, 0, out Task durable);

            Assert.ThrowsAsync<IOException>(async () => await durable, "the append fails: nothing acknowledged");
            Assert.That(batch.EventCount, Is.Zero);
            Assert.That(await batch.SealAsync(SealCause.Flush, Start), Is.Null, "no batch to deliver: the event is not in it");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private sealed record SeenRound(long Start, long Length, long[] Marks, long FileLengthThen);

    /// <summary>Records each round it is told of, with the journal file's length at that moment.</summary>
    private sealed class RecordingRounds(string path) : IJournalRoundObserver
    {
        public List<SeenRound> Seen { get; } = [];

        public void Writing(string journalPath, long start, ReadOnlySpan<byte> round, ReadOnlySpan<long> marks) =>
            Seen.Add(new SeenRound(start, round.Length, marks.ToArray(), new FileInfo(path).Length));

        public void Failed(string journalPath, long start)
        {
        }
    }
}
