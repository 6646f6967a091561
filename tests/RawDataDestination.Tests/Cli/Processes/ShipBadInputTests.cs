namespace RawDataDestination.Tests.Cli.Processes;

/// <summary><c>rawdata ship</c> given bad lines among good ones, as a user gives them: each bad line named with what to do, the rest delivered.</summary>
[CancelAfter(120_000)]
public class ShipBadInputTests
{
    [Test]
    public async Task Ship_WithBadLinesMixedIn_NamesEachLineAndWhatToDoAndDeliversTheRest()
    {
        string source = $"bad-input-{Guid.NewGuid():N}";
        string tooLong = "{\"type\":\"track\",\"p\":\"" + new string('x', 2000) + "\"}\n";
        string input = ShipRun.Events(3, "good") + "not json at all\n" + "{\"type\":\"track\",\"messageId\":\"cut\"\n" + tooLong
            + ShipRun.Events(2, "more") + "{\"type\":\"track\",\"messageId\":\"last-without-newline\",\"receivedAt\":\"2023-11-24T10:00:00.000Z\"}";
        await using ShipRun run = ShipRun.Start(RawdataPeers.Ship(source, "--max-event-bytes", "1024"));
        await run.WriteAsync(input, close: true);
        await run.WaitForExitAsync(TimeSpan.FromSeconds(90));

        string context = run.Transcript;
        Assert.That(run.ExitCode, Is.EqualTo(0), "rejected lines do not change the exit code\n" + context);
        Assert.That(run.Stderr, Does.Contain("line 4: rejected (InvalidJson): The event is not valid JSON (at offset 1): 'not json at all' is an invalid JSON literal.")
            .And.Contain("line 5: rejected (InvalidJson): The event is not valid JSON (at offset 33):")
            .And.Contain("line 6: rejected (TooLarge): The line is longer than the limit of 1024 bytes (--max-event-bytes)"), context);
        Assert.That(run.Stderr, Does.Not.Contain("LineNumber: 0"), "no parser position that contradicts the input's line number\n" + context);
        string[] invalid = run.Stderr.Split('\n').Where(line => line.Contains("(InvalidJson)", StringComparison.Ordinal)).ToArray();
        Assert.That(invalid, Has.Length.EqualTo(2).And.All.Contain("Send each event as one JSON object, such as {\"type\":\"track\",\"event\":\"Order Completed\"}."), "each says what to do\n" + context);
        Assert.That((run.Count("events read"), run.Count("events delivered"), run.Count("events rejected")), Is.EqualTo(((long?)9, (long?)6, (long?)3)), "the last line, without a newline, is an event too\n" + context);
        run.AssertCountsAddUp();
        Assert.That(await RawdataPeers.KeysAsync(RawdataPeers.Bucket), Has.Some.Contain($"segment-logs/{source}/"), context);
    }

    [Test]
    public async Task Ship_GivenACsvExport_ExitsTwoSayingItHoldsNoEventAndSummarisesTheRowOfRejectionsInsteadOfNamingEachLine()
    {
        // A CSV export given as NDJSON: every line was rejected, each on a stderr line of its own (100,001 of them), and
        // the run exited 0 with nothing delivered, so a script took the file as shipped.
        string source = $"csv-input-{Guid.NewGuid():N}";
        using var directory = new TempDirectory("rawdata-csv-");
        string file = Path.Combine(directory.Path, "export.csv");
        await File.WriteAllTextAsync(file, "type,messageId,receivedAt\n" + string.Concat(Enumerable.Range(0, 1000).Select(i => $"track,m{i},2023-11-24T10:00:00Z\n")));
        await using ShipRun run = ShipRun.Start(RawdataPeers.Ship(source, "--input", file));
        await run.WaitForExitAsync(TimeSpan.FromSeconds(90));

        string context = run.Transcript;
        Assert.That(run.ExitCode, Is.EqualTo(2), "no line was an event: not 0\n" + context);
        string[] stderr = run.Stderr.Split('\n');
        Assert.That(stderr.Count(line => line.Contains(": rejected (InvalidJson):", StringComparison.Ordinal)), Is.EqualTo(10), "the first lines of the row are named, not every one\n" + context);
        Assert.That(stderr, Has.One.StartsWith($"'{file}' line 11 to line 1001: 991 more lines rejected (InvalidJson) for the same reason"), context);
        Assert.That(run.Stderr, Does.Contain($"--input '{file}' holds no event: every one of its 1001 lines was rejected").And.Contain("It looks like CSV").And.Contain("its first line is 'type,messageId,receivedAt'"), context);
        Assert.That((run.Count("events read"), run.Count("events delivered"), run.Count("events rejected")), Is.EqualTo(((long?)1001, (long?)0, (long?)1001)), context);
        run.AssertCountsAddUp();
    }

    [Test]
    public async Task Ship_GivenOneHugeLineWithoutANewline_QuotesTheStartOfItNotAnEmptyLine()
    {
        // QA: 300 MB of 'x' without a newline was refused saying "every one of its 1 line was rejected ... its first line
        // is ''": the line was passed over unread, so nothing of it was kept to show.
        string source = $"huge-line-{Guid.NewGuid():N}";
        await using ShipRun run = ShipRun.Start(RawdataPeers.Ship(source, "--max-event-bytes", "1024"));
        await run.WriteAsync(new string('x', 3_000_000), close: true);
        await run.WaitForExitAsync(TimeSpan.FromSeconds(90));

        string context = run.Transcript;
        Assert.That(run.ExitCode, Is.EqualTo(2), context);
        Assert.That(run.Stderr, Does.Contain("Standard input holds no event: its one line was rejected (see above)")
            .And.Contain("its first line is longer than the limit of 1024 bytes (--max-event-bytes) and starts 'xxxxxxxxxx")
            .And.Not.Contain("''").And.Not.Contain("1 line"), context);
    }

    [Test]
    public async Task Ship_ARowOfBadLinesAmongGoodOnes_NamesTheFirstTenSummarisesTheRestAndDeliversTheGoodOnes()
    {
        string source = $"bad-row-{Guid.NewGuid():N}";
        string input = ShipRun.Events(2, "a") + string.Concat(Enumerable.Range(0, 15).Select(i => $"not json {i}\n")) + ShipRun.Events(2, "b") + "[1]\n";
        await using ShipRun run = ShipRun.Start(RawdataPeers.Ship(source));
        await run.WriteAsync(input, close: true);
        await run.WaitForExitAsync(TimeSpan.FromSeconds(90));

        string context = run.Transcript;
        Assert.That(run.ExitCode, Is.EqualTo(0), "rejected lines among events do not change the exit code\n" + context);
        string[] stderr = run.Stderr.Split('\n');
        Assert.That(stderr.Count(line => line.Contains(": rejected (InvalidJson):", StringComparison.Ordinal)), Is.EqualTo(10), context);
        Assert.That(stderr, Has.One.StartsWith("line 13 to line 17: 5 more lines rejected (InvalidJson) for the same reason"), "the row ends at the next event\n" + context);
        Assert.That(run.Stderr, Does.Contain("line 20: rejected (NotAnObject)"), "a row summarised does not hide the next bad line\n" + context);
        Assert.That(await RawdataPeers.MessageIdsAsync(source), Is.EquivalentTo(new[] { "a-0", "a-1", "b-0", "b-1" }), context);
        run.AssertCountsAddUp();
    }

    [Test]
    public async Task Ship_InputWithAByteOrderMarkAndCrlfLineEnds_DeliversEveryLineTheFirstIncluded()
    {
        // As Windows tools write a UTF-8 text file (PowerShell 5's Out-File -Encoding utf8, Notepad's "UTF-8 with BOM").
        string source = $"bom-input-{Guid.NewGuid():N}";
        string input = "\uFEFF" + ShipRun.Events(3, "bom").Replace("\n", "\r\n", StringComparison.Ordinal);
        await using ShipRun run = ShipRun.Start(RawdataPeers.Ship(source));
        await run.WriteAsync(input, close: true);
        await run.WaitForExitAsync(TimeSpan.FromSeconds(90));

        string context = run.Transcript;
        Assert.That(run.ExitCode, Is.EqualTo(0), context);
        Assert.That(run.Stderr, Does.Not.Contain("rejected"), "the byte order mark is not part of the first event\n" + context);
        Assert.That((run.Count("events read"), run.Count("events delivered"), run.Count("events rejected")), Is.EqualTo(((long?)3, (long?)3, (long?)0)), context);
        run.AssertCountsAddUp();
    }

    [Test]
    public async Task Ship_BomFilesJoinedWithCatAsShipAdvises_DeliversEachFilesFirstEventToo()
    {
        // cat a.ndjson b.ndjson | rawdata ship ... --input - (what ship says to do with several files), of files saved
        // "UTF-8 with BOM" with CRLF: b's mark starts line 3, which was rejected ("'0xEF' is an invalid start of a
        // value"): each file's first event lost, exit 0.
        string source = $"bom-cat-{Guid.NewGuid():N}";
        string first = "\uFEFF" + ShipRun.Events(2, "a").Replace("\n", "\r\n", StringComparison.Ordinal);
        string second = "\uFEFF" + ShipRun.Events(2, "b").Replace("\n", "\r\n", StringComparison.Ordinal);
        await using ShipRun run = ShipRun.Start(RawdataPeers.Ship(source, "--input", "-"));
        await run.WriteAsync(first + second, close: true);
        await run.WaitForExitAsync(TimeSpan.FromSeconds(90));

        string context = run.Transcript;
        Assert.That(run.ExitCode, Is.EqualTo(0), context);
        Assert.That(run.Stderr, Does.Not.Contain("rejected").And.Not.Contain("0xEF"), context);
        Assert.That((run.Count("events read"), run.Count("events delivered"), run.Count("events rejected")), Is.EqualTo(((long?)4, (long?)4, (long?)0)), context);
        Assert.That(run.Count("bytes in"), Is.EqualTo(System.Text.Encoding.UTF8.GetByteCount(first + second)), "the marks' bytes are counted in\n" + context);
        run.AssertCountsAddUp();
        Assert.That(await RawdataPeers.MessageIdsAsync(source), Is.EquivalentTo(new[] { "a-0", "a-1", "b-0", "b-1" }), context);
    }

    [Test]
    public async Task Ship_FileWithABadLineInTheMiddle_NamesTheFileAndLineAndDeliversEveryOtherLine()
    {
        // A backfill over many files, each run's stderr to one log: each rejection must say which file it is in.
        string source = $"bad-file-{Guid.NewGuid():N}";
        using var directory = new TempDirectory("rawdata-bad-file-");
        string file = Path.Combine(directory.Path, "2023-11-24.json");
        await File.WriteAllTextAsync(file, ShipRun.Events(4, "before") + "{\"type\":\"track\", broken\n" + ShipRun.Events(5, "after"));
        await using ShipRun run = ShipRun.Start(RawdataPeers.Ship(source, "--input", file));
        await run.WaitForExitAsync(TimeSpan.FromSeconds(90));

        string context = run.Transcript;
        Assert.That(run.ExitCode, Is.EqualTo(0), context);
        Assert.That(run.Stderr, Does.Contain($"'{file}' line 5: rejected (InvalidJson)"), context);
        List<string> delivered = await RawdataPeers.MessageIdsAsync(source);
        Assert.That(delivered, Is.EquivalentTo(Enumerable.Range(0, 4).Select(i => $"before-{i}").Concat(Enumerable.Range(0, 5).Select(i => $"after-{i}"))), context);
        run.AssertCountsAddUp();
    }

    [TestCase("--input FILE")]
    [TestCase("< FILE")]
    [TestCase("cat FILE |")]
    public async Task Ship_GivenAGzippedFile_RefusesWithExitTwoNamingZcatInsteadOfRejectingEveryLineAsBadUtf8(string given)
    {
        // A backfill of an export as it is often kept: events.json.gz. Read as lines, its bytes were each refused as
        // invalid UTF-8, and the run ended with nothing delivered, exit 0; through a pipe, it still did.
        string source = $"gzip-input-{Guid.NewGuid():N}";
        using var directory = new TempDirectory("rawdata-gzip-");
        string file = Path.Combine(directory.Path, "events.json.gz");
        await using (var gzip = new System.IO.Compression.GZipStream(File.Create(file), System.IO.Compression.CompressionLevel.Fastest))
        {
            await gzip.WriteAsync(System.Text.Encoding.UTF8.GetBytes(ShipRun.Events(50, "gz")));
        }

        string[] arguments = RawdataPeers.Ship(source);
        await using ShipRun run = given switch
        {
            "--input FILE" => ShipRun.Start([.. arguments, "--input", file]),
            "< FILE" => ShipRun.StartReading(file, arguments),
            _ => ShipRun.Start(arguments),
        };
        if (given == "cat FILE |")
        {
            await run.WriteBytesAsync(await File.ReadAllBytesAsync(file), close: true);
        }

        await run.WaitForExitAsync(TimeSpan.FromSeconds(90));

        string context = run.Transcript;
        Assert.That(run.ExitCode, Is.EqualTo(2), context);
        string expected = given == "--input FILE"
            ? $"--input '{file}' is gzip-compressed; rawdata reads uncompressed lines, one JSON object per line. Decompress it as you send it: zcat '{file}' | rawdata ship ... --input -"
            : "Standard input is gzip-compressed; rawdata reads uncompressed lines, one JSON object per line. Decompress it as you send it: zcat FILE.gz | rawdata ship ...";
        Assert.That(run.Stderr.Split('\n').Select(line => line.TrimEnd('\r')), Does.Contain(expected), "the same refusal, however the file is given\n" + context);
        Assert.That(run.Stderr, Does.Not.Contain("InvalidUtf8").And.Not.Contain("rejected"), context);
        Assert.That(await RawdataPeers.KeysAsync(RawdataPeers.Bucket), Has.None.Contain($"segment-logs/{source}/"), context);
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task Ship_BlankLinesTrailingJoiningFilesOrCrlf_ArePassedOverAndCountedApartNotRejected(bool spool)
    {
        // NDJSON as backfills bring it: a blank line between files joined (cat a.json <(echo) b.json), CRLF blank lines,
        // a line of spaces, a trailing blank line. None is an event: no rejection per blank line buries the real ones.
        string source = $"blank-lines-{Guid.NewGuid():N}";
        using var directory = new TempDirectory("rawdata-blank-");
        string input = ShipRun.Events(2, "a") + "\n" + "\r\n" + "  \t\n" + ShipRun.Events(2, "b") + "not json\n" + ShipRun.Events(1, "c") + "\n";
        string[] arguments = RawdataPeers.Ship(source, spool ? ["--spool-dir", Path.Combine(directory.Path, "spool")] : []);
        await using ShipRun run = ShipRun.Start(arguments);
        await run.WriteAsync(input, close: true);
        await run.WaitForExitAsync(TimeSpan.FromSeconds(90));

        string context = run.Transcript;
        Assert.That(run.ExitCode, Is.EqualTo(0), context);
        Assert.That(run.Stderr, Does.Contain("line 8: rejected (InvalidJson)"), "lines are numbered as in the input, blank ones included\n" + context);
        Assert.That(run.Stderr, Does.Not.Contain("(Empty)"), context);
        Assert.That((run.Count("events read"), run.Count("events delivered"), run.Count("events rejected"), run.Count("blank lines")), Is.EqualTo(((long?)6, (long?)5, (long?)1, (long?)4)), context);
        Assert.That(run.Count("bytes in"), Is.EqualTo(System.Text.Encoding.UTF8.GetByteCount(input)), "bytes in counts blank lines too\n" + context);
        run.AssertCountsAddUp();
        Assert.That(await RawdataPeers.MessageIdsAsync(source), Is.EquivalentTo(new[] { "a-0", "a-1", "b-0", "b-1", "c-0" }), context);
    }

    [TestCase("pretty, --input FILE")]
    [TestCase("one line with a BOM, --input FILE")]
    [TestCase("pretty, cat FILE |")]
    public async Task Ship_GivenAJsonArrayExport_RefusesWithExitTwoNamingJqInsteadOfRejectingEveryLine(string given)
    {
        // An export as a JSON array, pretty-printed or on one line: every line was rejected (the one-line array as
        // NotAnObject, the pretty one's lines as '{', '"type": ...', '}'), nothing delivered, and the run exited 0.
        string source = $"array-input-{Guid.NewGuid():N}";
        using var directory = new TempDirectory("rawdata-array-");
        string file = Path.Combine(directory.Path, "export.json");
        string[] events = ShipRun.Events(20, "arr").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string text = given.StartsWith("pretty", StringComparison.Ordinal)
            ? "[\n  " + string.Join(",\n  ", events.Select(line => line.Replace(",", ",\n    ", StringComparison.Ordinal))) + "\n]\n"
            : "\uFEFF  [" + string.Join(",", events) + "]";
        await File.WriteAllTextAsync(file, text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        string[] arguments = RawdataPeers.Ship(source);
        await using ShipRun run = given.EndsWith("--input FILE", StringComparison.Ordinal) ? ShipRun.Start([.. arguments, "--input", file]) : ShipRun.Start([.. arguments, "--input", "-"]);
        if (given.EndsWith("cat FILE |", StringComparison.Ordinal))
        {
            await run.WriteBytesAsync(await File.ReadAllBytesAsync(file), close: true);
        }

        await run.WaitForExitAsync(TimeSpan.FromSeconds(90));

        string context = run.Transcript;
        Assert.That(run.ExitCode, Is.EqualTo(2), context);
        string expected = given.EndsWith("--input FILE", StringComparison.Ordinal)
            ? $"--input '{file}' is a JSON array (its first character is '['); rawdata reads UTF-8 lines, one JSON object per line. Convert it as you send it: jq -c '.[]' '{file}' | rawdata ship ... --input -"
            : "Standard input is a JSON array (its first character is '['); rawdata reads UTF-8 lines, one JSON object per line. Convert it as you send it: jq -c '.[]' FILE.json | rawdata ship ...";
        Assert.That(run.Stderr.Split('\n').Select(line => line.TrimEnd('\r')), Does.Contain(expected), context);
        Assert.That(run.Stderr, Does.Not.Contain("rejected ("), context);
        Assert.That(await RawdataPeers.KeysAsync(RawdataPeers.Bucket), Has.None.Contain($"segment-logs/{source}/"), context);
    }

    [Test]
    public async Task Ship_GivenAUtf16FileAsWindowsPowerShellWritesIt_RefusesWithExitTwoNamingIconv()
    {
        // Windows PowerShell 5's 'rawdata generate > events.json' (and Out-File) writes UTF-16LE with a byte order mark:
        // read as lines, every line was refused (each is half NUL bytes) and the run exited 0 with nothing delivered.
        string source = $"utf16-input-{Guid.NewGuid():N}";
        using var directory = new TempDirectory("rawdata-utf16-");
        string file = Path.Combine(directory.Path, "events.json");
        await File.WriteAllTextAsync(file, ShipRun.Events(20, "u16"), new UnicodeEncoding(bigEndian: false, byteOrderMark: true));
        await using ShipRun run = ShipRun.Start(RawdataPeers.Ship(source, "--input", file));
        await run.WaitForExitAsync(TimeSpan.FromSeconds(90));

        string context = run.Transcript;
        Assert.That(run.ExitCode, Is.EqualTo(2), context);
        Assert.That(run.Stderr, Does.Contain($"--input '{file}' is UTF-16 text").And.Contain($"iconv -f UTF-16 -t UTF-8 '{file}' | rawdata ship ... --input -"), context);
        Assert.That(run.Stderr, Does.Not.Contain("rejected"), context);
        Assert.That(await RawdataPeers.KeysAsync(RawdataPeers.Bucket), Has.None.Contain($"segment-logs/{source}/"), context);
    }

    [Test]
    public async Task Ship_FileTruncatedWhileRead_WarnsNamingTheFileDeliversEveryLineReadAndExitsThree()
    {
        // logrotate's copytruncate: the log is copied, then cut to nothing under the reader, which then met the end of
        // the file early and exited 0 as if it had shipped it all. The run is paused (SIGSTOP) once it has read 1000 lines,
        // far from the end, so that the cut comes while it reads.
        const int Lines = 400_000;
        string source = $"truncated-{Guid.NewGuid():N}";
        using var directory = new TempDirectory("rawdata-truncated-");
        string file = Path.Combine(directory.Path, "app.log");
        await File.WriteAllTextAsync(file, ShipRun.Events(Lines, "t"));
        await using ShipRun run = ShipRun.Start(RawdataPeers.Ship(source, "--input", file, "--progress"));
        await run.WaitForLineAsync(line => line == "acknowledged 1000", TimeSpan.FromSeconds(60), "the first thousand lines read");
        run.Signal("STOP");
        await using (var cut = new FileStream(file, FileMode.Open, FileAccess.Write))
        {
            cut.SetLength(0);
        }

        run.Signal("CONT");
        await run.WaitForExitAsync(TimeSpan.FromSeconds(90));

        string context = run.Transcript;
        Assert.That(run.ExitCode, Is.EqualTo(3), "not every line of the file was read: not 0\n" + context);
        Assert.That(run.Stderr, Does.Contain($"warning: --input '{file}' shrank while it was read"), context);
        long read = run.AssertCountsAddUp();
        Assert.That(read, Is.InRange(1000, Lines - 1), "paused far from the end\n" + context);
        Assert.That((run.Count("events delivered"), run.Count("events rejected")), Is.EqualTo(((long?)read, (long?)0)), "the line cut short is not taken for an event\n" + context);
        Assert.That(run.Stderr, Does.Contain($"Its lines up to line {read} are shipped; ship those after it from the rotated copy, if there is one: tail -n +{read + 1} "), context);
        List<string> delivered = await RawdataPeers.MessageIdsAsync(source);
        Assert.That(delivered, Is.EquivalentTo(Enumerable.Range(0, (int)read).Select(i => $"t-{i}")), "every line read, once\n" + context);
    }
}
