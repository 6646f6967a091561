namespace RawDataDestination.Tests.Spool;

/// <summary>Recovery of a spool left by earlier runs: damage is quarantined, the rest delivered once; and the spool's files are private and case-safe.</summary>
public class SpoolRecoveryTests : SpoolDirectoryTests
{
    private BatchBuffer Create(ISealedBatchConsumer consumer, Action<BatchBufferOptions>? configure = null, TimeProvider? time = null, CapturingLogger? log = null)
    {
        var options = new BatchBufferOptions { SpoolDirectory = SpoolPath };
        configure?.Invoke(options);
        return new BatchBuffer(options, consumer, time ?? new FakeTimeProvider(Start), new Microsoft.Extensions.Logging.Logger<BatchBuffer>(log ?? new CapturingLogger()));
    }

    [Test]
    public async Task Start_WithAJournalEndingInALineCutShort_RecoversItsWholeLinesAndWarnsNamingTheJournalAndTheBytesLeftOut()
    {
        // QA: a journal cut mid-line was logged only as a clean recovery ("Recovered batch ... from the spool's journal").
        string cut = Write($"journal/cut/{Day}/0190f0a0-0000-7000-8000-000000000007.ndjson", Encoding.UTF8.GetBytes(Line(1) + "\n" + Line(2) + "\n{\"messageId\":\"torn"));
        Write($"journal/whole/{Day}/0190f0a0-0000-7000-8000-000000000008.ndjson", Encoding.UTF8.GetBytes(Line(3) + "\n"));
        var log = new CapturingLogger();
        var consumer = new RecordingConsumer();
        await using (var buffer = Create(consumer, log: log))
        {
            await buffer.FlushAsync();
        }

        string[] warnings = [.. log.Lines.Where(line => line.StartsWith("Warning: The spool's journal", StringComparison.Ordinal))];
        Assert.That(warnings, Has.Length.EqualTo(1), "the whole journal says nothing: " + string.Join("\n", log.Lines));
        Assert.That(warnings[0], Does.Contain(cut).And.Contain("of source cut ends in 18 bytes of a line with no newline").And.Contain("its 2 whole lines are recovered"));
        Assert.That(consumer.AllLines.Select(l => l.Split('"')[3]), Is.EquivalentTo(new[] { "m-1", "m-2", "m-3" }));
    }

    [Test]
    public async Task Start_AfterAKill_LogsOneInformationLineSummingTheRecoveryAndEachJournalAtDebug()
    {
        // QA (L3): each restart after a kill -9 logged one Information line per journal (600-2,000) and no summary.
        Write($"journal/a/{Day}/0190f0a0-0000-7000-8000-000000000011.ndjson", Encoding.UTF8.GetBytes(Line(1) + "\n"));
        Write($"journal/b/{Day}/0190f0a0-0000-7000-8000-000000000012.ndjson", Encoding.UTF8.GetBytes(Line(2) + "\n" + Line(3) + "\n"));
        Write($"journal/c/{Day}/0190f0a0-0000-7000-8000-000000000013.ndjson", Encoding.UTF8.GetBytes(Line(4) + "\n" + Line(5) + "\n" + Line(6) + "\n"));
        Write($"sealed/d/{Day}/1700820000000.0190f0a0-0000-7000-8000-000000000014.gz", GzipLines(Line(7)));
        var log = new CapturingLogger();
        var consumer = new RecordingConsumer();
        await using (var buffer = Create(consumer, log: log))
        {
            await buffer.FlushAsync();
        }

        string all = string.Join("\n", log.Lines);
        string[] journals = [.. log.Lines.Where(l => l.Contains("from the spool's journal", StringComparison.Ordinal))];
        Assert.That(journals, Has.Length.EqualTo(3).And.All.StartsWith("Debug: Recovered batch"), all);
        string[] summary = [.. log.Lines.Where(l => l.StartsWith("Information: Spool recovered at start", StringComparison.Ordinal))];
        Assert.That(summary, Has.Length.EqualTo(1), all);
        Assert.That(summary[0], Does.Contain("sealed now 3 (events 6, bytes ").And.Contain("sealed batches of earlier runs found 1."), summary[0]);
        Assert.That(consumer.AllLines.Count(), Is.EqualTo(7));
    }

    private string Write(string relative, byte[] content)
    {
        string path = Path.Combine(SpoolPath, relative.Replace('/', Path.DirectorySeparatorChar));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        return path;
    }

    private static byte[] GzipLines(params string[] lines) => Gzip.Ndjson(lines);

    private static string Line(int i) => $"{{\"messageId\":\"m-{i}\",\"receivedAt\":\"2023-11-24T10:00:00.000Z\"}}";

    [Test]
    public async Task Start_WithADamagedSpool_QuarantinesWhatItCannotReadAndDeliversEverythingElse()
    {
        Write($"sealed/good/{Day}/1700820000000.0190f0a0-0000-7000-8000-000000000001.gz", GzipLines(Line(1), Line(2)));
        Write($"journal/good/{Day}/0190f0a0-0000-7000-8000-000000000002.ndjson", Encoding.UTF8.GetBytes(Line(3) + "\n" + Line(4) + "\n{\"messageId\":\"torn"));
        string stray = Write("sealed/notes.txt", "hello"u8.ToArray());
        string negativeDay = Write("sealed/old/-86400000/1700820000000.0190f0a0-0000-7000-8000-000000000003.gz", GzipLines(Line(5)));
        string notGzip = Write($"sealed/good/{Day}/1700820000000.0190f0a0-0000-7000-8000-000000000004.gz", "not gzip at all"u8.ToArray());
        string truncated = Write($"sealed/good/{Day}/1700820000000.0190f0a0-0000-7000-8000-000000000005.gz", GzipLines(Line(6), Line(7))[..20]);
        string badJournal = Write($"journal/good/{Day}/0190f0a0-0000-7000-8000-000000000006.ndjson", "this is not json\n"u8.ToArray());

        var consumer = new RecordingConsumer();
        await using (var buffer = Create(consumer))
        {
            await buffer.FlushAsync();
            Assert.That(buffer.GetStatus().QuarantinedFiles, Is.EqualTo(5));
        }

        Assert.That(consumer.AllLines.Select(l => l.Split('"')[3]), Is.EquivalentTo(new[] { "m-1", "m-2", "m-3", "m-4" }), "everything readable is delivered, the torn line cut");
        string[] quarantined = Directory.GetFiles(Path.Combine(SpoolPath, "quarantine")).Select(Path.GetFileName).ToArray()!;
        Assert.That(quarantined, Has.Length.EqualTo(5));
        foreach (string damaged in new[] { stray, negativeDay, notGzip, truncated, badJournal })
        {
            Assert.That(File.Exists(damaged), Is.False, damaged + " moved");
            Assert.That(quarantined, Has.Some.EndsWith(Path.GetFileName(damaged)), damaged + " kept in quarantine");
        }

        Assert.That(Directory.EnumerateFiles(Path.Combine(SpoolPath, "sealed"), "*", SearchOption.AllDirectories), Is.Empty);
        Assert.That(Directory.EnumerateFiles(Path.Combine(SpoolPath, "journal"), "*", SearchOption.AllDirectories), Is.Empty);
    }

    /// <summary>
    /// A version before the rules that keep objects readable (a name once per object, no half of a surrogate pair alone)
    /// wrote events that break them into its spool: an upgrade delivers them as they are (refusing them now would
    /// quarantine the whole file, and its other events with it).
    /// </summary>
    [Test]
    public async Task Start_OverASpoolAnEarlierVersionWroteWithEventsNowRefused_DeliversItsFilesWhole()
    {
        const string twice = "{\"messageId\":\"m-2\",\"p\":{\"a\":1,\"a\":2},\"s\":\"\\udc00\",\"receivedAt\":\"2023-11-24T10:00:00.000Z\"}";
        Write($"sealed/good/{Day}/1700820000000.0190f0a0-0000-7000-8000-000000000001.gz", GzipLines(Line(1), twice));
        Write($"journal/good/{Day}/0190f0a0-0000-7000-8000-000000000002.ndjson", Encoding.UTF8.GetBytes(Line(3) + "\n" + twice.Replace("m-2", "m-4", StringComparison.Ordinal) + "\n"));

        var consumer = new RecordingConsumer();
        await using (var buffer = Create(consumer))
        {
            await buffer.FlushAsync();
            Assert.That(buffer.GetStatus().QuarantinedFiles, Is.EqualTo(0));
        }

        Assert.That(consumer.AllLines.Select(l => l.Split('"')[3]), Is.EquivalentTo(new[] { "m-1", "m-2", "m-3", "m-4" }), "every event, the ones now refused as they were written");
    }

    [Test]
    public async Task Start_AfterACrashBetweenTheSealedRenameAndTheJournalDelete_DeliversTheBatchOnce()
    {
        const string BatchId = "0190f0a0-0000-7000-8000-00000000000a";
        Write($"sealed/src/{Day}/1700820000000.{BatchId}.gz", GzipLines(Line(1), Line(2)));
        Write($"journal/src/{Day}/{BatchId}.ndjson", Encoding.UTF8.GetBytes(Line(1) + "\n" + Line(2) + "\n"));

        var consumer = new RecordingConsumer();
        await using (var buffer = Create(consumer))
        {
            await buffer.FlushAsync();
        }

        Assert.That(consumer.Batches, Has.Count.EqualTo(1), "the sealed file only, not the journal again");
        Assert.That(consumer.Batches.Single().FileName, Is.EqualTo($"1700820000000.{BatchId}.gz"), "with its original key");
        Assert.That(Directory.EnumerateFiles(SpoolPath, "*.ndjson", SearchOption.AllDirectories), Is.Empty);
    }

    [Test]
    public async Task Deliver_WhenTheJournalCannotBeDeleted_KeepsTheSealedFileSoARestartSendsTheSameKeyNotTheJournalAgain()
    {
        var consumer = new RecordingConsumer();
        await using (var buffer = Create(consumer))
        {
            await buffer.AppendAsync("src", Event(1));
            string journal = Directory.EnumerateFiles(Path.Combine(SpoolPath, "journal"), "*.ndjson", SearchOption.AllDirectories).Single();
            File.Delete(journal);
            Directory.CreateDirectory(journal); // the open journal's path is now a folder: deleting it as a file fails
            await buffer.FlushAsync();
        }

        string delivered = consumer.Batches.Single().FileName;
        Assert.That(
            Directory.EnumerateFiles(Path.Combine(SpoolPath, "sealed"), "*.gz", SearchOption.AllDirectories).Select(Path.GetFileName),
            Is.EqualTo(new[] { delivered }),
            "the journal could not go, so its sealed file stays: a restart finds it and drops the journal");

        Directory.Delete(Directory.EnumerateDirectories(Path.Combine(SpoolPath, "journal"), "*.ndjson", SearchOption.AllDirectories).Single());
        var afterRestart = new RecordingConsumer();
        await using (var buffer = Create(afterRestart))
        {
            await buffer.FlushAsync();
        }

        Assert.That(afterRestart.Batches.Select(b => b.FileName), Is.EqualTo(new[] { delivered }), "sent again under the same key, which overwrites nothing new");
    }

    [Test]
    public async Task Spool_CreatesItsFoldersAndFilesForTheOwnerOnly()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Ignore("Unix file modes");
            return;
        }

        string spool = Path.Combine(SpoolPath, "new-spool");
        var consumer = new RecordingConsumer { FailuresToInject = int.MaxValue };
        var time = new FakeTimeProvider(Start);
        var buffer = Create(consumer, o => { o.SpoolDirectory = spool; o.ShutdownTimeout = TimeSpan.Zero; }, time);
        await buffer.AppendAsync("src", Event(1)); // a journal
        await buffer.AppendAsync("other", Event(2));
        await buffer.DisposeAsync(); // sealed files, kept: delivery fails

        var folders = Directory.EnumerateDirectories(spool, "*", SearchOption.AllDirectories).Append(spool).ToList();
        var files = Directory.EnumerateFiles(spool, "*", SearchOption.AllDirectories).ToList();
        Assert.That(files.Count(f => f.EndsWith(".gz", StringComparison.Ordinal)), Is.EqualTo(2));
#pragma warning disable CA1416 // returned above on Windows
        Assert.That(folders.Select(f => (f, File.GetUnixFileMode(f))), Has.All.Matches<(string, UnixFileMode Mode)>(f => f.Mode == (UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute)));
        Assert.That(files.Select(f => (f, File.GetUnixFileMode(f))), Has.All.Matches<(string, UnixFileMode Mode)>(f => f.Mode == (UnixFileMode.UserRead | UnixFileMode.UserWrite)));
#pragma warning restore CA1416
    }

    [Test]
    public async Task Spool_TwoSourceIdsDifferingOnlyInCase_NeverShareAFolder()
    {
        var consumer = new RecordingConsumer { FailuresToInject = int.MaxValue };
        var buffer = Create(consumer, o => o.ShutdownTimeout = TimeSpan.Zero);
        await buffer.AppendAsync("Orders", Event(1));
        await buffer.AppendAsync("orders", Event(2));
        await buffer.DisposeAsync();

        var sourceFolders = Directory.GetDirectories(Path.Combine(SpoolPath, "sealed")).Select(Path.GetFileName).ToList();
        Assert.That(sourceFolders, Is.EquivalentTo(new[] { "~orders", "orders" }), "no folder name differs from another only in case");

        var next = new RecordingConsumer();
        await using (var recovered = Create(next))
        {
            await recovered.FlushAsync();
        }

        Assert.That(next.Batches.Select(b => (b.SourceId, b.Lines.Single().Split('"')[3])), Is.EquivalentTo(new[] { ("Orders", "m-1"), ("orders", "m-2") }));
    }

    [Test]
    public async Task Schedule_WhenSavingASealedBatchFails_DeliversItFromMemoryAndKeepsRunning()
    {
        var time = new FakeTimeProvider(Start);
        var consumer = new RecordingConsumer();
        await using var buffer = Create(consumer, configure: null, time);
        await buffer.AppendAsync("src", Event(1));
        string blocker = Path.Combine(SpoolPath, "sealed", "src");
        File.WriteAllText(blocker, "a file where the source's folder should be"); // saving any sealed batch of src fails

        time.Advance(TimeSpan.FromMinutes(40)); // 10:40: the scheduled seal
        await consumer.WaitForBatchesAsync(1);
        Assert.That(consumer.Batches.Single().Lines.Single(), Does.Contain("m-1"), "delivered from memory");
        await time.DriveUntilAsync(() => !Directory.EnumerateFiles(Path.Combine(SpoolPath, "journal"), "*.ndjson", SearchOption.AllDirectories).Any(), TimeSpan.FromMilliseconds(1));

        File.Delete(blocker);
        await buffer.AppendAsync("src", Event(2));
        time.Advance(TimeSpan.FromHours(1)); // 11:40: the schedule still runs
        await consumer.WaitForBatchesAsync(2);
        Assert.That(consumer.Batches.Last().Lines.Single(), Does.Contain("m-2"));
    }

    private static string Sha256(byte[] bytes) => Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(bytes));

    [Test]
    public async Task SaveSealed_KeepsTheChecksumComputedAtSealBesideTheBatch()
    {
        var time = new FakeTimeProvider(Start);
        var buffer = Create(new RecordingConsumer { FailuresToInject = int.MaxValue }, time: time);
        await buffer.AppendAsync("src", Event(1));
        await time.DriveAsync(buffer.DisposeAsync().AsTask(), TimeSpan.FromSeconds(1)); // failed retries, then the deadline: the batch stays

        string spooled = Directory.EnumerateFiles(Path.Combine(SpoolPath, "sealed"), "*.gz", SearchOption.AllDirectories).Single();
        Assert.That((await File.ReadAllLinesAsync(spooled + ".sha256"))[0], Is.EqualTo(Sha256(await File.ReadAllBytesAsync(spooled))));
    }

    [Test]
    public async Task Start_WhenASpooledFileNoLongerMatchesItsChecksum_QuarantinesItAndDeliversTheRest()
    {
        byte[] good = GzipLines(Line(1), Line(2));
        Write($"sealed/src/{Day}/1700820000000.0190f0a0-0000-7000-8000-000000000011.gz", good);
        Write($"sealed/src/{Day}/1700820000000.0190f0a0-0000-7000-8000-000000000011.gz.sha256", Encoding.ASCII.GetBytes(Sha256(good)));
        string altered = Write($"sealed/src/{Day}/1700820000000.0190f0a0-0000-7000-8000-000000000012.gz", GzipLines(Line(3))); // a valid gzip file, not the one sealed
        Write($"sealed/src/{Day}/1700820000000.0190f0a0-0000-7000-8000-000000000012.gz.sha256", Encoding.ASCII.GetBytes(Sha256(GzipLines(Line(4)))));
        Write($"sealed/src/{Day}/1700820000000.0190f0a0-0000-7000-8000-000000000013.gz", GzipLines(Line(5))); // saved without a checksum

        var consumer = new RecordingConsumer();
        await using (var buffer = Create(consumer))
        {
            await buffer.FlushAsync();
            Assert.That(buffer.GetStatus().QuarantinedFiles, Is.EqualTo(1));
        }

        Assert.That(consumer.AllLines.Select(l => l.Split('"')[3]), Is.EquivalentTo(new[] { "m-1", "m-2", "m-5" }), "the altered batch is not uploaded");
        string[] quarantined = Directory.GetFiles(Path.Combine(SpoolPath, "quarantine")).Select(Path.GetFileName).ToArray()!;
        Assert.That(quarantined, Has.Length.EqualTo(2));
        Assert.That(quarantined, Has.One.EndsWith(Path.GetFileName(altered)).And.One.EndsWith(Path.GetFileName(altered) + ".sha256"), "kept with its checksum");
        Assert.That(Directory.EnumerateFiles(Path.Combine(SpoolPath, "sealed"), "*", SearchOption.AllDirectories), Is.Empty, "delivered files and their checksums deleted");
    }

    [Test]
    public async Task Start_WithTwoSealedFilesOfOneBatch_DeliversItOnceAndDeletesTheIdenticalCopy()
    {
        // QA: a copy of the spool restored over it left a sealed file and its copy under a later seal time; both were
        // delivered, under two keys.
        byte[] batch = GzipLines(Line(1), Line(2));
        string first = Write($"sealed/src/{Day}/1700820000000.0190f0a0-0000-7000-8000-000000000021.gz", batch);
        Write($"sealed/src/{Day}/1700820000000.0190f0a0-0000-7000-8000-000000000021.gz.sha256", Encoding.ASCII.GetBytes(Sha256(batch)));
        string copy = Write($"sealed/src/{Day}/1700820000001.0190f0a0-0000-7000-8000-000000000021.gz", batch);
        Write($"sealed/src/{Day}/1700820000001.0190f0a0-0000-7000-8000-000000000021.gz.sha256", Encoding.ASCII.GetBytes(Sha256(batch)));
        Write($"sealed/src/{Day}/1700820000000.0190f0a0-0000-7000-8000-000000000022.gz", GzipLines(Line(3)));

        var consumer = new RecordingConsumer();
        await using (var buffer = Create(consumer))
        {
            await buffer.FlushAsync();
            Assert.That(buffer.GetStatus().QuarantinedFiles, Is.Zero, "a copy byte for byte holds nothing the delivered one does not");
        }

        Assert.That(consumer.AllLines.Select(l => l.Split('"')[3]), Is.EquivalentTo(new[] { "m-1", "m-2", "m-3" }), "each event once");
        Assert.That(consumer.Batches.Select(b => b.FileName), Has.One.EqualTo(Path.GetFileName(first)), "under the first seal's name");
        Assert.That(File.Exists(copy) || File.Exists(copy + ".sha256"), Is.False, "the copy deleted with its checksum");
    }

    [Test]
    public async Task Start_WithTwoSealedFilesOfOneBatchWithOtherBytes_DeliversTheFirstOnceAndQuarantinesTheOther()
    {
        byte[] batch = GzipLines(Line(1), Line(2));
        byte[] other = GzipLines(Line(1), Line(2), Line(4));
        string first = Write($"sealed/src/{Day}/1700820000000.0190f0a0-0000-7000-8000-000000000031.gz", batch);
        Write($"sealed/src/{Day}/1700820000000.0190f0a0-0000-7000-8000-000000000031.gz.sha256", Encoding.ASCII.GetBytes(Sha256(batch)));
        string copy = Write($"sealed/src/{Day}/1700820000001.0190f0a0-0000-7000-8000-000000000031.gz", other);
        Write($"sealed/src/{Day}/1700820000001.0190f0a0-0000-7000-8000-000000000031.gz.sha256", Encoding.ASCII.GetBytes(Sha256(other)));

        var consumer = new RecordingConsumer();
        await using (var buffer = Create(consumer))
        {
            await buffer.FlushAsync();
            Assert.That(buffer.GetStatus().QuarantinedFiles, Is.EqualTo(1));
        }

        Assert.That(consumer.Batches.Select(b => b.FileName), Is.EqualTo(new[] { Path.GetFileName(first) }), "one of the batch's files delivered, the first");
        Assert.That(Directory.GetFiles(Path.Combine(SpoolPath, "quarantine")).Select(Path.GetFileName), Has.One.EndsWith(Path.GetFileName(copy)), "the other set aside, not deleted");
    }

    /// <summary>Lines long and varied enough that half of their gzip still decompresses to whole events.</summary>
    private static string[] Lines(int first, int count) =>
        [.. Enumerable.Range(first, count).Select(i => $"{{\"messageId\":\"m-{i}\",\"n\":{(i * 7919L) % 100003},\"receivedAt\":\"2023-11-24T10:00:00.000Z\"}}")];

    /// <summary>
    /// A buffer on real time whose flush gives up after 2 s: a damaged batch handed to the consumer (which cannot read it)
    /// fails the test at once instead of being retried on a clock that never moves.
    /// </summary>
    private BatchBuffer CreateBounded(ISealedBatchConsumer consumer, CapturingLogger log) => new(
        new BatchBufferOptions { SpoolDirectory = SpoolPath, RetryBaseDelay = TimeSpan.FromMilliseconds(10), RetryMaxDelay = TimeSpan.FromMilliseconds(50), RetryBudget = TimeSpan.FromSeconds(2), ShutdownTimeout = TimeSpan.FromSeconds(1) },
        consumer,
        TimeProvider.System,
        new Microsoft.Extensions.Logging.Logger<BatchBuffer>(log));

    private static string SealedName(int n) => $"sealed/src/{Day}/1700820000000.0190f0a0-0000-7000-8000-{n:D12}.gz";

    private string[] QuarantinedNames() =>
        Directory.Exists(Path.Combine(SpoolPath, "quarantine")) ? [.. Directory.GetFiles(Path.Combine(SpoolPath, "quarantine")).Select(f => Path.GetFileName(f)!)] : [];

    [Test]
    public async Task Start_WhenASealedFileWithoutItsChecksumIsCutShortOrHasBytesAfterItsGzip_QuarantinesItInsteadOfDeliveringPartOfIt()
    {
        byte[] whole = GzipLines(Lines(0, 2000));
        string half = Write(SealedName(1), whole[..(whole.Length / 2)]); // GZipStream reads the first half's events without a word
        string noTrailer = Write(SealedName(2), whole[..^8]); // every event, but no CRC and length: gzip -t refuses it
        string oneByteShort = Write(SealedName(3), whole[..^1]);
        string garbageAfter = Write(SealedName(4), [.. whole, .. "garbage!"u8.ToArray()]);
        string zerosAfter = Write(SealedName(5), [.. whole, .. new byte[512]]); // a file system's zero-filled tail after a crash
        string halfOfASecondMember = Write(SealedName(6), [.. whole, .. GzipLines(Lines(5000, 2000))[..100]]);

        var consumer = new RecordingConsumer();
        var log = new CapturingLogger();
        await using (var buffer = CreateBounded(consumer, log))
        {
            await buffer.FlushAsync();
            Assert.That(buffer.GetStatus().QuarantinedFiles, Is.EqualTo(6));
        }

        Assert.That(consumer.AllLines, Is.Empty, "no part of a damaged file reaches the bucket");
        string[] reasons = [.. log.Lines.Where(line => line.Contains("cannot be recovered because", StringComparison.Ordinal))];
        Assert.That(reasons, Has.Some.Contain("it is not a complete gzip file: "), string.Join("\n", reasons));
        Assert.That(reasons, Has.None.Contain(".;").And.None.Contain(".,").And.None.Contain(". ("), "the reason, with an exception's message in it, is one clause of the line");
        Assert.That(reasons.Where(reason => reason.Contains("unsupported compression method", StringComparison.Ordinal)), Has.All.Contain("its compressed data is cut short or damaged (the decompressor says: "), "a half file is said to be cut short, not only of another method, as .NET's message has it");
        string[] quarantined = QuarantinedNames();
        foreach (string damaged in new[] { half, noTrailer, oneByteShort, garbageAfter, zerosAfter, halfOfASecondMember })
        {
            Assert.That(File.Exists(damaged), Is.False, damaged + " moved");
            Assert.That(quarantined, Has.One.EndsWith(Path.GetFileName(damaged)), damaged + " kept in quarantine");
        }
    }

    [Test]
    public async Task Start_WhenASealedFileWithoutItsChecksumHoldsSomethingElseThanEventLines_QuarantinesItAndSaysWhy()
    {
        string notEvents = Write(SealedName(1), GzipLines(Line(1), "this is not json"));
        string torn = Write(SealedName(2), [.. GzipLines(Line(2)), .. GzipLinesWithoutNewline("{\"messageId\":\"torn")]);
        string noReceivedAt = Write(SealedName(3), GzipLines("{\"messageId\":\"m-3\"}"));
        string emptyLine = Write(SealedName(4), GzipLines(Line(4), string.Empty, Line(5)));
        var log = new CapturingLogger();

        var consumer = new RecordingConsumer();
        await using (var buffer = CreateBounded(consumer, log))
        {
            await buffer.FlushAsync();
            Assert.That(buffer.GetStatus().QuarantinedFiles, Is.EqualTo(4));
        }

        Assert.That(consumer.AllLines, Is.Empty);
        Assert.That(QuarantinedNames(), Has.Length.EqualTo(4));
        Assert.That(log.Lines.Any(m => m.Contains(Path.GetFileName(notEvents)!, StringComparison.Ordinal) && m.Contains("line 2 is not an event", StringComparison.Ordinal)), Is.True, "line 2 is not an event");
        Assert.That(log.Lines.Any(m => m.Contains(Path.GetFileName(torn)!, StringComparison.Ordinal) && m.Contains("no newline", StringComparison.Ordinal)), Is.True, "no newline");
        Assert.That(log.Lines.Any(m => m.Contains(Path.GetFileName(noReceivedAt)!, StringComparison.Ordinal) && m.Contains("line 1 is not an event", StringComparison.Ordinal)), Is.True, "line 1 is not an event");
        Assert.That(log.Lines.Any(m => m.Contains(Path.GetFileName(emptyLine)!, StringComparison.Ordinal) && m.Contains("line 2 is not an event", StringComparison.Ordinal)), Is.True, "line 2 is not an event");
    }

    [Test]
    public async Task Start_WithWholeSealedFilesWithoutATrustedChecksum_ChecksThemWholeAndDeliversThem()
    {
        Write(SealedName(1), GzipLines(Lines(0, 2000)));
        Write(SealedName(2), [.. GzipLines(Lines(2000, 10)), .. GzipLines(Lines(2010, 10))]); // two members, as large batches are compressed in parallel
        Write(SealedName(3), GzipLines(Lines(3000, 10)));
        Write(SealedName(3) + ".sha256", []); // an empty checksum file is no checksum
        Write(SealedName(4), GzipLines(Lines(4000, 10)));
        Write(SealedName(4) + ".sha256", "not a sha-256\n"u8.ToArray());
        var log = new CapturingLogger();

        var consumer = new RecordingConsumer();
        await using (var buffer = CreateBounded(consumer, log))
        {
            await buffer.FlushAsync();
            Assert.That(buffer.GetStatus().QuarantinedFiles, Is.Zero);
        }

        string[] expected = [.. Lines(0, 2000), .. Lines(2000, 20), .. Lines(3000, 10), .. Lines(4000, 10)];
        Assert.That(consumer.AllLines, Is.EquivalentTo(expected), "each event once");
        Assert.That(consumer.Batches.Select(b => b.EventCount), Is.EquivalentTo(new long[] { 2000, 20, 10, 10 }));
        Assert.That(log.Lines.Count(m => m.Contains("read whole", StringComparison.Ordinal)), Is.EqualTo(4), "each file delivered without a trusted checksum is named once");
        Assert.That(Directory.EnumerateFiles(Path.Combine(SpoolPath, "sealed"), "*", SearchOption.AllDirectories), Is.Empty, "delivered files and their checksum files deleted");
    }

    private static byte[] GzipLinesWithoutNewline(string text) => Gzip.Compress(text);
}
