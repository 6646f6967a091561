namespace RawDataDestination.Tests.Cli.Processes;

/// <summary>
/// <c>rawdata ship</c> under a low open-file limit (<c>ulimit -n</c>): a low soft limit is raised to the hard one at
/// start, and a hard limit below what ship needs is refused with one line that names it and the fix. Before, under
/// <c>ulimit -n 96</c> the runtime failed to open its own files: exit 1, a summary of zeros and not a word, or
/// "Out of memory." and exit 134.
/// </summary>
[CancelAfter(120_000)]
public class ShipOpenFileLimitTests
{
    [Test]
    public async Task Ship_UnderALowSoftLimitWithAHigherHardOne_RaisesItAndDeliversABackfillWithASpoolOnce()
    {
        // 300 days of a backfill with a spool (a journal per open day) under a soft limit of 64: it needs more.
        const int Days = 300;
        using var test = new OwnInputFile("soft-limit");
        var (source, folder, input) = test;
        var random = new Random(20261206);
        await File.WriteAllLinesAsync(input, Enumerable.Range(0, Days * 2).OrderBy(_ => random.Next())
            .Select(i => $"{{\"type\":\"track\",\"messageId\":\"day-{i}\",\"receivedAt\":\"{DateTimeOffset.UnixEpoch.AddDays(19_000 + (i / 2)):yyyy-MM-dd}T10:00:00.000Z\"}}"));

        await using ShipRun run = ShipRun.StartReading(input, RawdataPeers.Ship(source, "--spool-dir", Path.Combine(folder, "spool")), maxOpenFiles: 64, softLimitOnly: true);
        await run.WaitForExitAsync(TimeSpan.FromSeconds(90));

        Assert.That((run.ExitCode, run.Count("events delivered")), Is.EqualTo((0, (long?)(Days * 2))), run.Transcript);
        Assert.That(await RawdataPeers.MessageIdsAsync(source), Is.EquivalentTo(Enumerable.Range(0, Days * 2).Select(i => $"day-{i}")), "every event once");
        Assert.That(run.Transcript, Does.Not.Contain("sealed early"), "raised, the limit bounds nothing: no batch was sealed early for it");
    }

    [Test]
    public async Task Ship_ABackfillInRandomDayOrderUnderALowLimit_WarnsOnceHowManyBatchesItSealedEarlyAndWhatToDo()
    {
        // 200 days of 3 events, shuffled, with a spool under ulimit -n 256 (soft and hard): ship keeps 64 batches open, so
        // a day that comes again after its batch was sealed gets another object. QA: 57,285 objects for 60,000 events over
        // 3,000 days, and not a word.
        const int Days = 200;
        const int PerDay = 3;
        using var test = new OwnInputFile("sealed-early");
        var (source, folder, input) = test;
        var random = new Random(20261207);
        await File.WriteAllLinesAsync(input, Enumerable.Range(0, Days * PerDay).OrderBy(_ => random.Next())
            .Select(i => $"{{\"type\":\"track\",\"messageId\":\"day-{i}\",\"receivedAt\":\"{DateTimeOffset.UnixEpoch.AddDays(19_000 + (i / PerDay)):yyyy-MM-dd}T10:00:00.000Z\"}}"));

        await using ShipRun run = ShipRun.StartReading(input, RawdataPeers.Ship(source, "--spool-dir", Path.Combine(folder, "spool")), maxOpenFiles: 256);
        await run.WaitForExitAsync(TimeSpan.FromSeconds(90));

        string context = run.Transcript;
        Assert.That((run.ExitCode, run.Count("events delivered")), Is.EqualTo((0, (long?)(Days * PerDay))), context);
        Assert.That(await RawdataPeers.MessageIdsAsync(source), Is.EquivalentTo(Enumerable.Range(0, Days * PerDay).Select(i => $"day-{i}")), "every event once");
        int objects = (await RawdataPeers.KeysAsync(RawdataPeers.Bucket)).Count(key => key.Contains($"/{source}/", StringComparison.Ordinal));
        Assert.That(objects, Is.GreaterThan(Days), "days came again after their batch was sealed\n" + context);

        string[] warnings = [.. run.Stderr.Split('\n').Where(line => line.Contains("sealed early", StringComparison.Ordinal))];
        Assert.That(warnings, Has.Length.EqualTo(1), "one warning on stderr\n" + context);
        Match warning = Regex.Match(warnings[0], @"^warning: (\d+) batches were sealed early because of the open-file limit: ");
        Assert.That(warning.Success, Is.True, context);
        long early = long.Parse(warning.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.That(early, Is.InRange(objects - Days, objects), "each object past one a day is a batch sealed early; a day that never came again after its early seal adds none\n" + context);
        Assert.That(warnings[0], Does.Contain("(ulimit -n 256) lets ship keep 64 open at once").And.Contain($"({objects} objects written for {Days} days)")
            .And.Contain("sort the input by day (receivedAt) before shipping, or raise the open-file limit").And.Contain("ulimit -n 1024"), context);
        Assert.That(run.Count("sealed early"), Is.EqualTo(early), "the summary says it too\n" + context);
        Assert.That(run.Stdout, Does.Contain($"{objects} objects for {Days} days"), context);
    }

    [TestCase(96)]
    [TestCase(200)]
    public async Task Ship_UnderAHardLimitBelowWhatItNeeds_IsRefusedWithOneLineNamingTheLimitAndTheFix(int hardLimit)
    {
        // 96: QA's, where the runtime failed to open its own files. 200: ship ran there with a spool, but with no margin.
        using var test = new OwnInputFile("hard-limit");
        var (source, folder, input) = test;
        await File.WriteAllTextAsync(input, ShipRun.Events(10, "hard"));

        await using ShipRun run = ShipRun.StartReading(input, RawdataPeers.Ship(source, "--spool-dir", Path.Combine(folder, "spool")), maxOpenFiles: hardLimit);
        await run.WaitForExitAsync(TimeSpan.FromSeconds(60));

        string context = run.Transcript;
        string[] lines = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(run.ExitCode, Is.EqualTo(2), context);
        Assert.That(lines, Has.Length.EqualTo(1), "one line\n" + context);
        Assert.That(lines[0], Does.StartWith($"rawdata: the open-file limit is {hardLimit}, its hard limit too (ulimit -Hn), and rawdata ship needs at least 256 open files").And.Contain("ulimit -n 1024"), context);
        Assert.That(run.Stdout, Is.Empty, "nothing read or sent\n" + context);
        Assert.That(Directory.Exists(Path.Combine(folder, "spool")), Is.False, "refused before the spool is made\n" + context);
        Assert.That(await RawdataPeers.KeysAsync(RawdataPeers.Bucket), Has.None.Contain(source), context);
    }
}
