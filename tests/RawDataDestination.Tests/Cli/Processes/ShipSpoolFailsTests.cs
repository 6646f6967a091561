namespace RawDataDestination.Tests.Cli.Processes;

/// <summary>
/// <c>rawdata ship</c> whose spool fails under it while S3 is healthy (a full disk, or here, the folder a new journal
/// needs taken by a file): the message names the spool, not S3, and the counts still add up.
/// </summary>
[CancelAfter(120_000)]
public class ShipSpoolFailsTests
{
    /// <summary>2023-11-24 and 2023-11-25 at 00:00 UTC, in Unix milliseconds: the spool's day folders.</summary>
    private const string FirstDay = "1700784000000";
    private const string SecondDay = "1700870400000";

    [Test]
    public async Task Ship_SpoolWriteFailsMidRun_BlamesTheSpoolNotTheConnectionToS3()
    {
        string source = $"spool-fails-{Guid.NewGuid():N}";
        using var spoolDirectory = new TempDirectory("rawdata-spool-fails-");
        string spool = spoolDirectory.Path;
        await using ShipRun run = ShipRun.Start(
        [
            "ship", "--region", "us-east-1", "--bucket", RawdataPeers.Bucket, "--role-arn", RawdataPeers.RoleArn, "--external-id", RawdataPeers.ExternalId,
            "--source-id", source, "--endpoint-url", RawdataPeers.S3Url, "--sts-endpoint-url", RawdataPeers.StsUrl, "--spool-dir", spool,
        ]);
        await run.WriteAsync("{\"type\":\"track\",\"messageId\":\"first\",\"receivedAt\":\"2023-11-24T10:00:00.000Z\"}\n");
        string firstDay = Path.Combine(spool, "journal", source, FirstDay);
        await WaitForJournalAsync(firstDay, run);

        // The next day's journal folder cannot be made: a file stands where it goes (as a full disk, the write fails).
        await File.WriteAllTextAsync(Path.Combine(spool, "journal", source, SecondDay), "not a folder");
        await run.WriteAsync("{\"type\":\"track\",\"messageId\":\"second\",\"receivedAt\":\"2023-11-25T10:00:00.000Z\"}\n", close: true);
        await run.WaitForExitAsync(TimeSpan.FromSeconds(90));

        string context = run.Transcript;
        Assert.That(run.ExitCode, Is.EqualTo(1), context);
        string last = run.Stderr.TrimEnd().Split('\n')[^1];
        Assert.That(last, Does.Not.Contain("connection").And.Not.Contain("customer's bucket"), "S3 answered every request: the spool failed\n" + context);
        Assert.That(last, Does.Contain($"--spool-dir '{spool}'").And.Contain(SecondDay).And.Contain("run ship again"), "names the spool, the file and what to do\n" + context);
        run.AssertCountsAddUp();
    }

    [Test]
    public async Task Ship_SealedBatchTheSpoolCouldNotSaveAndS3Refusing_CountsItAsSpooledAndTheNextRunDeliversIt()
    {
        string source = $"spool-unsaved-{Guid.NewGuid():N}";
        using var spoolDirectory = new TempDirectory("rawdata-spool-unsaved-");
        string spool = spoolDirectory.Path;
        string refusing = RealAnswers.Refusing().ToString().TrimEnd('/');
        await using (ShipRun first = ShipRun.Start(Ship(source, spool, refusing, "--retry-time-limit", "2s", "--shutdown-timeout", "2s")))
        {
            await first.WriteAsync(ShipRun.Events(5, "unsaved"));
            await WaitForJournalAsync(Path.Combine(spool, "journal", source, FirstDay), first);

            // The sealed batch cannot be saved (a file stands where its folder goes): it stays in memory, its journal on disk.
            Directory.CreateDirectory(Path.Combine(spool, "sealed", source));
            await File.WriteAllTextAsync(Path.Combine(spool, "sealed", source, FirstDay), "not a folder");
            await first.WriteAsync(string.Empty, close: true);
            await first.WaitForExitAsync(TimeSpan.FromSeconds(90));

            string context = first.Transcript;
            Assert.That(first.ExitCode, Is.EqualTo(1), context);
            Assert.That((first.Count("events spooled"), first.Count("not delivered")), Is.EqualTo(((long?)5, (long?)0)), "the journal keeps the 5 events: the next run delivers them\n" + context);
            first.AssertCountsAddUp();
        }

        File.Delete(Path.Combine(spool, "sealed", source, FirstDay));
        await using ShipRun next = await ShipToTheEndAsync(source, spool);

        Assert.That((next.ExitCode, next.Count("events delivered")), Is.EqualTo((0, (long?)5)), next.Transcript);
        Assert.That(await RawdataPeers.KeysAsync(RawdataPeers.Bucket), Has.Exactly(1).Contain($"segment-logs/{source}/"), "delivered once");
    }

    [Test]
    public async Task Ship_EarlierJournalItCannotSealNow_ExitsOneAndTheRunAfterDeliversIt()
    {
        string source = $"spool-journal-{Guid.NewGuid():N}";
        using var spoolDirectory = new TempDirectory("rawdata-spool-journal-");
        string spool = spoolDirectory.Path;

        // What a killed run leaves: the journal of an open batch. Its sealed file cannot be made now (a file stands
        // where its folder goes; as with a full disk).
        string journal = Path.Combine(spool, "journal", source, FirstDay);
        Directory.CreateDirectory(journal);
        await File.WriteAllTextAsync(Path.Combine(journal, $"{Guid.CreateVersion7()}.ndjson"), ShipRun.Events(4, "journaled"));
        Directory.CreateDirectory(Path.Combine(spool, "sealed", source));
        await File.WriteAllTextAsync(Path.Combine(spool, "sealed", source, FirstDay), "not a folder");

        await using (ShipRun first = await ShipToTheEndAsync(source, spool))
        {
            string context = first.Transcript;
            Assert.That(first.ExitCode, Is.EqualTo(1), "events stay in the spool: a script that runs ship again until it exits 0 must not stop here\n" + context);
            Assert.That(first.Stderr.TrimEnd().Split('\n')[^1], Does.Contain($"--spool-dir '{spool}'").And.Contain("run ship again"), context);
        }

        await using ShipRun next = await ShipToTheEndAsync(source, spool);

        Assert.That((next.ExitCode, next.Count("events delivered")), Is.EqualTo((0, (long?)4)), next.Transcript);
    }

    [Test]
    public async Task Ship_DamagedFileInTheSpool_SaysInTheSummaryThatItIsQuarantinedAndWhatToDo()
    {
        string source = $"spool-damaged-{Guid.NewGuid():N}";
        using var spoolDirectory = new TempDirectory("rawdata-spool-damaged-");
        string spool = spoolDirectory.Path;
        string day = Path.Combine(spool, "sealed", source, FirstDay);
        Directory.CreateDirectory(day);
        await File.WriteAllTextAsync(Path.Combine(day, "1700800000000.not-a-batch.gz"), "garbage");

        await using ShipRun run = await ShipToTheEndAsync(source, spool, ShipRun.Events(3, "beside-damage"));

        string context = run.Transcript;
        Assert.That((run.ExitCode, run.Count("events delivered")), Is.EqualTo((0, (long?)3)), "the other events are delivered\n" + context);
        Assert.That(run.Stderr, Does.Contain("1700800000000.not-a-batch.gz"), "the warning names the file\n" + context);
        Assert.That(run.Count("quarantined"), Is.EqualTo(1), "the summary says a file was set aside, not delivered\n" + context);
        Assert.That(run.Stdout, Does.Contain($"'{Path.Combine(spool, "quarantine")}'").And.Contain("shipped again"), "where it is and what to do\n" + context);
        run.AssertCountsAddUp();
    }

    private static string[] Ship(string source, string spool, string s3Url, params string[] more) =>
    [
        "ship", "--region", "us-east-1", "--bucket", RawdataPeers.Bucket, "--role-arn", RawdataPeers.RoleArn, "--external-id", RawdataPeers.ExternalId,
        "--source-id", source, "--endpoint-url", s3Url, "--sts-endpoint-url", RawdataPeers.StsUrl, "--spool-dir", spool, .. more,
    ];

    /// <summary>Waits (at most 30 s) until the first event's journal is on disk: its batch is open.</summary>
    private static async Task WaitForJournalAsync(string folder, ShipRun run)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!(Directory.Exists(folder) && Directory.EnumerateFiles(folder, "*.ndjson").Any()))
        {
            if (waited.Elapsed > TimeSpan.FromSeconds(30))
            {
                Assert.Fail($"no journal in {folder} within 30 s.\n{run.Transcript}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>
    /// Runs ship over the spool to its end, with <paramref name="input"/> on its standard input; with none, it is what a
    /// user does to deliver what a spool keeps.
    /// </summary>
    private static async Task<ShipRun> ShipToTheEndAsync(string source, string spool, string input = "")
    {
        ShipRun run = ShipRun.Start(Ship(source, spool, RawdataPeers.S3Url));
        await run.WriteAsync(input, close: true);
        await run.WaitForExitAsync(TimeSpan.FromSeconds(90));
        return run;
    }
}
