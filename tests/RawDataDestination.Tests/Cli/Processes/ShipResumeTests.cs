namespace RawDataDestination.Tests.Cli.Processes;

/// <summary>
/// <c>rawdata ship --input FILE --spool-dir DIR</c> run again, the same command, as a user does after an outage, a
/// signal or a crash: it reads on from where the last run stopped, so that every line of the file is in the bucket once
/// (after <c>kill -9</c>: at least once, and only the lines since the last record twice); a file rewritten since is read
/// from its first line, and <c>--from-start</c> reads it all again.
/// </summary>
[CancelAfter(240_000)]
public class ShipResumeTests
{
    [Test]
    public async Task Ship_TheSameCommandAfterAnOutageGaveUp_DeliversTheSpooledEventsOnceAndReadsNothingAgain()
    {
        using var files = new TempDirectory("rawdata-resume-outage-");
        string source = $"resume-outage-{Guid.NewGuid():N}";
        string input = await WriteInputAsync(files, 300, "outage");
        string refusing = RealAnswers.Refusing().ToString().TrimEnd('/');

        await using (ShipRun first = await ShipToTheEndAsync(Ship(source, input, files, refusing, "--retry-time-limit", "2s", "--shutdown-timeout", "2s")))
        {
            Assert.That((first.ExitCode, first.Count("events spooled")), Is.EqualTo((1, (long?)300)), Context(first));
        }

        await using ShipRun again = await ShipToTheEndAsync(Ship(source, input, files, RawdataPeers.S3Url));

        Assert.That(again.ExitCode, Is.EqualTo(0), Context(again));
        Assert.That(again.Stderr, Does.Contain("read --input").And.Contain("to its end").And.Contain("--from-start"), "says why it read nothing\n" + Context(again));
        Assert.That(again.Count("events read"), Is.EqualTo(0), Context(again));
        List<string> ids = await RawdataPeers.MessageIdsAsync(source);
        Assert.That(ids, Is.EquivalentTo(Ids(300, "outage")), "every line once: the spool's, not the file's a second time");
    }

    [Test]
    public async Task Ship_TheSameCommandAfterSigterm_ReadsOnFromWhereItStoppedAndDeliversEveryLineOnce()
    {
        using var files = new TempDirectory("rawdata-resume-term-");
        string source = $"resume-term-{Guid.NewGuid():N}";
        const int Lines = 100_000;
        string input = await WriteInputAsync(files, Lines, "term");

        await using (ShipRun first = ShipRun.Start(Ship(source, input, files, RawdataPeers.S3Url, "--progress", "--max-batch-bytes", "1000000")))
        {
            await first.WaitForLineAsync(line => line.StartsWith("acknowledged 20000", StringComparison.Ordinal), TimeSpan.FromSeconds(60), "20,000 lines acknowledged");
            await first.SignalAsync("TERM");
            await first.WaitForExitAsync(TimeSpan.FromSeconds(60));
            Assert.That(first.ExitCode, Is.EqualTo(143), Context(first));
            Assert.That(first.Count("events read"), Is.LessThan(Lines), "stopped before the end of the file\n" + Context(first));
            Assert.That(first.Stderr.TrimEnd().Split('\n')[^1], Does.Contain($"Running the same command again reads --input '{input}' on after line"), "says how to go on\n" + Context(first));
        }

        await using ShipRun again = await ShipToTheEndAsync(Ship(source, input, files, RawdataPeers.S3Url));

        Assert.That(again.ExitCode, Is.EqualTo(0), Context(again));
        Assert.That(again.Stderr, Does.Contain("Resuming --input"), Context(again));
        List<string> ids = await RawdataPeers.MessageIdsAsync(source);
        Assert.That(ids, Is.Unique, "nothing twice");
        Assert.That(ids, Is.EquivalentTo(Ids(Lines, "term")), "every line of the file");
    }

    [Test]
    public async Task Ship_StandardInputRedirectedFromAFile_TheSameCommandAfterSigtermReadsItOnAndDeliversEveryLineOnce()
    {
        using var files = new TempDirectory("rawdata-resume-stdin-");
        string source = $"resume-stdin-{Guid.NewGuid():N}";
        const int Lines = 100_000;
        string input = await WriteInputAsync(files, Lines, "stdin");
        string[] arguments = [.. Ship(source, "-", files, RawdataPeers.S3Url), "--progress", "--max-batch-bytes", "1000000"];

        await using (ShipRun first = ShipRun.StartReading(input, arguments))
        {
            await first.WaitForLineAsync(line => line.StartsWith("acknowledged 20000", StringComparison.Ordinal), TimeSpan.FromSeconds(60), "20,000 lines acknowledged");
            await first.SignalAsync("TERM");
            await first.WaitForExitAsync(TimeSpan.FromSeconds(60));
            Assert.That((first.ExitCode, first.Count("events read") < Lines), Is.EqualTo((143, true)), Context(first));
            Assert.That(first.Stderr, Does.Contain("reads standard input (a file) on after line"), Context(first));
        }

        await using (ShipRun again = ShipRun.StartReading(input, arguments))
        {
            await again.WaitForExitAsync(TimeSpan.FromSeconds(90));
            Assert.That(again.ExitCode, Is.EqualTo(0), Context(again));
            Assert.That(again.Stderr, Does.Contain("Resuming standard input (a file) after line"), Context(again));
        }

        List<string> ids = await RawdataPeers.MessageIdsAsync(source);
        Assert.That(ids, Is.Unique, "nothing twice");
        Assert.That(ids, Is.EquivalentTo(Ids(Lines, "stdin")), "every line of the file");
    }

    [Test]
    public async Task Ship_TheSameCommandAfterKill9_LosesNoLineAndSendsTwiceOnlyLinesSinceTheLastRecord()
    {
        using var files = new TempDirectory("rawdata-resume-kill-");
        string source = $"resume-kill-{Guid.NewGuid():N}";
        const int Lines = 100_000;
        string input = await WriteInputAsync(files, Lines, "kill");

        await using (ShipRun first = ShipRun.Start(Ship(source, input, files, RawdataPeers.S3Url, "--progress", "--max-batch-bytes", "1000000")))
        {
            await first.WaitForLineAsync(line => line.StartsWith("acknowledged 30000", StringComparison.Ordinal), TimeSpan.FromSeconds(60), "30,000 lines acknowledged");
            await first.SignalAsync("KILL");
            await first.WaitForExitAsync(TimeSpan.FromSeconds(30));
            Assert.That(first.ExitCode, Is.EqualTo(128 + 9), Context(first));
        }

        await using ShipRun again = await ShipToTheEndAsync(Ship(source, input, files, RawdataPeers.S3Url));

        Assert.That(again.ExitCode, Is.EqualTo(0), Context(again));
        Assert.That(again.Stderr, Does.Contain("Resuming --input"), Context(again));
        List<string> ids = await RawdataPeers.MessageIdsAsync(source);
        Assert.That(ids.Distinct(), Is.EquivalentTo(Ids(Lines, "kill")), "every line of the file, none lost");

        // The record is written every 1000 lines; up to 256 appends are in flight past it.
        await TestContext.Out.WriteLineAsync($"{ids.Count - Lines} line(s) delivered twice after kill -9");
        Assert.That(ids.Count - Lines, Is.LessThanOrEqualTo(1000 + 256), "only lines taken since the last record can come twice");
    }

    [Test]
    public async Task Ship_AFileRewrittenSinceTheEarlierRun_IsReadFromItsFirstLine()
    {
        using var files = new TempDirectory("rawdata-resume-rewritten-");
        string source = $"resume-rewritten-{Guid.NewGuid():N}";
        string input = await WriteInputAsync(files, 50, "before");
        await using (ShipRun first = await ShipToTheEndAsync(Ship(source, input, files, RawdataPeers.S3Url)))
        {
            Assert.That(first.ExitCode, Is.EqualTo(0), Context(first));
        }

        // The same path, other events: a new export, not the rest of the old one.
        await WriteInputAsync(files, 80, "after");
        await using ShipRun again = await ShipToTheEndAsync(Ship(source, input, files, RawdataPeers.S3Url));

        Assert.That((again.ExitCode, again.Count("events read")), Is.EqualTo((0, (long?)80)), Context(again));
        Assert.That(again.Stderr, Does.Contain("is not the file an earlier run").And.Contain("from line 1"), Context(again));
        Assert.That(await RawdataPeers.MessageIdsAsync(source), Is.EquivalentTo(Ids(50, "before").Concat(Ids(80, "after"))));
    }

    [Test]
    public async Task Ship_AFileThatGrewSinceTheEarlierRun_SendsOnlyItsNewLinesNumberedAsInTheFile()
    {
        using var files = new TempDirectory("rawdata-resume-grew-");
        string source = $"resume-grew-{Guid.NewGuid():N}";
        string input = await WriteInputAsync(files, 40, "grew");
        await using (ShipRun first = await ShipToTheEndAsync(Ship(source, input, files, RawdataPeers.S3Url)))
        {
            Assert.That(first.ExitCode, Is.EqualTo(0), Context(first));
        }

        await File.AppendAllTextAsync(input, ShipRun.Events(10, "added") + "not json\n");
        await using ShipRun again = await ShipToTheEndAsync(Ship(source, input, files, RawdataPeers.S3Url));

        Assert.That((again.ExitCode, again.Count("events read"), again.Count("events delivered")), Is.EqualTo((0, (long?)11, (long?)10)), Context(again));
        Assert.That(again.Stderr, Does.Contain("after line 40").And.Contain("line 51: rejected"), "numbered as in the file\n" + Context(again));
        Assert.That(await RawdataPeers.MessageIdsAsync(source), Is.EquivalentTo(Ids(40, "grew").Concat(Ids(10, "added"))));
    }

    [Test]
    public async Task Ship_WithFromStart_ReadsTheWholeFileAgain()
    {
        using var files = new TempDirectory("rawdata-resume-from-start-");
        string source = $"resume-from-start-{Guid.NewGuid():N}";
        string input = await WriteInputAsync(files, 20, "again");
        await using (ShipRun first = await ShipToTheEndAsync(Ship(source, input, files, RawdataPeers.S3Url)))
        {
            Assert.That(first.ExitCode, Is.EqualTo(0), Context(first));
        }

        await using ShipRun again = await ShipToTheEndAsync(Ship(source, input, files, RawdataPeers.S3Url, "--from-start"));

        Assert.That((again.ExitCode, again.Count("events delivered")), Is.EqualTo((0, (long?)20)), "asked for: the file a second time\n" + Context(again));
        Assert.That(await RawdataPeers.MessageIdsAsync(source), Has.Count.EqualTo(40));
    }

    [Test]
    public async Task Ship_ARecordCutShortByACrash_ReadsOnFromTheLastWholeRecord()
    {
        using var files = new TempDirectory("rawdata-resume-torn-");
        string source = $"resume-torn-{Guid.NewGuid():N}";
        string input = await WriteInputAsync(files, 30, "torn");
        await using (ShipRun first = await ShipToTheEndAsync(Ship(source, input, files, RawdataPeers.S3Url)))
        {
            Assert.That(first.ExitCode, Is.EqualTo(0), Context(first));
        }

        string record = Directory.EnumerateFiles(Path.Combine(files.Path, "spool", "rawdata-inputs")).Single();
        await File.AppendAllTextAsync(record, "{\"input\":\"" + input[..5]); // the start of a record a crash cut
        await using ShipRun again = await ShipToTheEndAsync(Ship(source, input, files, RawdataPeers.S3Url));

        Assert.That((again.ExitCode, again.Count("events read")), Is.EqualTo((0, (long?)0)), Context(again));
        Assert.That(again.Stderr, Does.Contain("to its end"), Context(again));
        Assert.That(await RawdataPeers.MessageIdsAsync(source), Is.EquivalentTo(Ids(30, "torn")));
    }

    [Test]
    public async Task Ship_ARecordFileWithNoWholeRecord_SaysSoAndReadsTheFileFromLine1()
    {
        using var files = new TempDirectory("rawdata-resume-damaged-");
        string source = $"resume-damaged-{Guid.NewGuid():N}";
        string input = await WriteInputAsync(files, 30, "damaged");
        await using (ShipRun first = await ShipToTheEndAsync(Ship(source, input, files, RawdataPeers.S3Url)))
        {
            Assert.That(first.ExitCode, Is.EqualTo(0), Context(first));
        }

        string record = Directory.EnumerateFiles(Path.Combine(files.Path, "spool", "rawdata-inputs")).Single();
        await File.WriteAllTextAsync(record, "not a record\n");
        await using ShipRun again = await ShipToTheEndAsync(Ship(source, input, files, RawdataPeers.S3Url));

        Assert.That((again.ExitCode, again.Count("events read")), Is.EqualTo((0, (long?)30)), "nothing lost: read again\n" + Context(again));
        Assert.That(again.Stderr, Does.Contain(record).And.Contain("from line 1").And.Contain("delivered twice"), "says what it did and what it costs\n" + Context(again));
    }

    private static string[] Ship(string source, string input, TempDirectory files, string s3Url, params string[] more) =>
    [
        "ship", "--region", "us-east-1", "--bucket", RawdataPeers.Bucket, "--role-arn", RawdataPeers.RoleArn, "--external-id", RawdataPeers.ExternalId,
        "--source-id", source, "--endpoint-url", s3Url, "--sts-endpoint-url", RawdataPeers.StsUrl,
        "--input", input, "--spool-dir", Path.Combine(files.Path, "spool"), .. more,
    ];

    private static async Task<string> WriteInputAsync(TempDirectory files, int count, string prefix)
    {
        string input = Path.Combine(files.Path, "events.ndjson");
        await File.WriteAllTextAsync(input, ShipRun.Events(count, prefix));
        return input;
    }

    private static IEnumerable<string> Ids(int count, string prefix) => Enumerable.Range(0, count).Select(i => $"{prefix}-{i}");

    private static async Task<ShipRun> ShipToTheEndAsync(string[] arguments)
    {
        ShipRun run = ShipRun.Start(arguments);
        await run.WriteAsync(string.Empty, close: true);
        await run.WaitForExitAsync(TimeSpan.FromSeconds(90));
        return run;
    }

    private static string Context(ShipRun run) => $"stdout:\n{run.Stdout}\nstderr:\n{run.Stderr}";
}
