using RawDataDestination.Tests.Spool;

namespace RawDataDestination.Tests.Cli.Processes;

/// <summary>
/// <c>rawdata ship</c> whose spool stops taking writes mid-run (as a disk the kernel remounted read-only after errors;
/// here its folders made immutable, so that no file can be made, renamed or deleted in them) while S3 is healthy: the
/// batch is delivered from memory, and its journal, which can then be neither deleted nor marked delivered, is named
/// with what to do before the next run, which would otherwise send its events again.
/// </summary>
[CancelAfter(120_000)]
public partial class ShipSpoolReadOnlyTests
{
    [Test]
    public async Task Ship_WhenTheSpoolStopsTakingWritesMidRun_NamesTheDeliveredJournalToDeleteAndTheNextRunSendsNothingTwice()
    {
        // It said "Not all delivered: 1 journal of an earlier run stays in the spool ... run ship again": the journal was
        // this run's, its events delivered, and running ship again sealed it under a new key: every event twice.
        Undeletable.RequireImmutable("the spool's folders");

        using var folder = new TempDirectory("rawdata-spool-readonly-");
        string spool = Path.Combine(folder.Path, "spool");
        string source = $"readonly-{Guid.NewGuid():N}";
        string[] ship = RawdataPeers.Ship(source, "--spool-dir", spool, "--progress");
        await using (ShipRun first = ShipRun.Start(ship))
        {
            await first.WriteAsync(ShipRun.Events(1000, "ro"));
            await first.WaitForLineAsync(line => line == "acknowledged 1000", TimeSpan.FromSeconds(60), "1000 lines on disk");
            string journal = Directory.EnumerateFiles(Path.Combine(spool, "journal"), "*.ndjson", SearchOption.AllDirectories).Single();
            string[] frozen = [spool, Path.Combine(spool, "sealed"), Path.Combine(spool, "tmp"), Path.GetDirectoryName(journal)!];
            var undo = frozen.Select(Undeletable.Make).ToList();
            try
            {
                await first.WriteAsync(string.Empty, close: true);
                await first.WaitForExitAsync(TimeSpan.FromSeconds(90));
            }
            finally
            {
                undo.ForEach(u => u.Dispose());
            }

            string context = first.Transcript;
            Assert.That(first.ExitCode, Is.EqualTo(1), context);
            Assert.That(first.Count("events delivered"), Is.EqualTo(1000), context);
            string last = first.Stderr.TrimEnd().Split('\n')[^1];
            Assert.That(last, Does.StartWith("Delivered, but the spool's file system refuses writes: 1 journal of batches this run delivered").And.Contain($"rm '{journal}'"), context);
            Assert.That(last, Does.Not.Contain("run ship again"), context);
            foreach (Match named in QuotedPath().Matches(last[last.IndexOf("rm '", StringComparison.Ordinal)..]))
            {
                File.Delete(named.Groups["path"].Value); // as the line says
            }
        }

        await using ShipRun next = ShipRun.Start(ship);
        await next.WriteAsync(string.Empty, close: true);
        await next.WaitForExitAsync(TimeSpan.FromSeconds(90));

        Assert.That(next.ExitCode, Is.EqualTo(0), next.Transcript);
        List<string> delivered = await RawdataPeers.MessageIdsAsync(source);
        Assert.That(delivered, Is.EquivalentTo(Enumerable.Range(0, 1000).Select(i => $"ro-{i}")), "every event once\n" + next.Transcript);
    }

    [Test]
    public async Task Ship_ASpoolThatCantBeWrittenAndHoldsAnEarlierRunsEvents_SaysToMakeItWritableAndRunTheSameCommandNeverANewDirectory()
    {
        // A spool left read-only (a disk remounted read-only, a restore as another owner) that holds undelivered events:
        // "Give a directory this user may create and write, or leave --spool-dir out" left its events behind and read
        // --input from line 1 again, so that the old spool, once writable and run again, delivered them twice.
        Undeletable.RequireImmutable("the spool's lock file");

        using var folder = new TempDirectory("rawdata-spool-cant-write-");
        string spool = Path.Combine(folder.Path, "spool");
        string file = Path.Combine(folder.Path, "events.ndjson");
        await File.WriteAllTextAsync(file, ShipRun.Events(50, "cw"));
        string source = $"cant-write-{Guid.NewGuid():N}";
        string refusing = RealAnswers.Refusing().ToString().TrimEnd('/');
        await using (ShipRun outage = ShipRun.Start(RawdataPeers.Command("ship", s3Url: refusing, more: ["--source-id", source, "--input", file, "--spool-dir", spool, "--retry-time-limit", "1s", "--shutdown-timeout", "1s"])))
        {
            await outage.WaitForExitAsync(TimeSpan.FromSeconds(90));
            Assert.That((outage.ExitCode, outage.Count("events spooled")), Is.EqualTo((1, (long?)50)), outage.Transcript);
        }

        ShipRun run;
        using (Undeletable.Make(Path.Combine(spool, "spool.lock")))
        {
            run = ShipRun.Start(RawdataPeers.Ship(source, "--input", file, "--spool-dir", spool));
            await run.WaitForExitAsync(TimeSpan.FromSeconds(90));
        }

        await using (run)
        {
            string context = run.Transcript;
            Assert.That(run.ExitCode, Is.EqualTo(2), context);
            Assert.That(run.Stderr, Does.Contain($"--spool-dir '{spool}' can't be used: ").And.Contain("It holds an earlier run's spool (")
                .And.Contain($"make '{spool}' writable by this user").And.Contain("run the same command again"), context);
            Assert.That(run.Stderr, Does.Not.Contain("Give a directory").And.Not.Contain("leave --spool-dir out"), "never a new directory for a spool that holds events\n" + context);
        }
    }

    [GeneratedRegex("'(?<path>[^']+)'")]
    private static partial Regex QuotedPath();
}
