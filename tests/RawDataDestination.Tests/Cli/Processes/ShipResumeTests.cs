using System.Security.Cryptography;

namespace RawDataDestination.Tests.Cli.Processes;

/// <summary>
/// <c>rawdata ship --input FILE --spool-dir DIR</c> run again, the same command, as a user does after an outage, a
/// signal or a crash: it reads on from where the last run stopped, so that every line of the file is in the bucket once
/// (after <c>kill -9</c> too: the lines the spool took since the last place record are passed over); a file rewritten since is read
/// from its first line, and <c>--from-start</c> reads it all again.
/// </summary>
[CancelAfter(240_000)]
public class ShipResumeTests
{
    /// <summary>For a run to be stopped midway: 'acknowledged N' lines to wait for, and batches sealed as it goes.</summary>
    private static readonly string[] Midway = ["--progress", "--max-batch-bytes", "1000000"];
    private static readonly string[] Small = ["--progress", "--max-batch-bytes", "100000"];

    [Test]
    public async Task Ship_TheSameCommandAfterAnOutageGaveUp_DeliversTheSpooledEventsOnceAndReadsNothingAgain()
    {
        using var test = await OneFile.WriteAsync("outage", 300);
        string refusing = RealAnswers.Refusing().ToString().TrimEnd('/');
        await using (ShipRun first = await test.ShipToTheEndAsync(refusing, "--retry-time-limit", "2s", "--shutdown-timeout", "2s"))
        {
            Assert.That((first.ExitCode, first.Count("events spooled")), Is.EqualTo((1, (long?)300)), first.Transcript);
        }

        await using ShipRun again = await test.ShipToTheEndAsync();

        Assert.That((again.ExitCode, again.Count("events read")), Is.EqualTo((0, (long?)0)), again.Transcript);
        Assert.That(again.Stderr, Does.Contain("read --input").And.Contain("to its end").And.Contain("--from-start"), "says why it read nothing\n" + again.Transcript);
        await test.AssertEveryLineOnceAsync();
    }

    [TestCase(false, TestName = "Ship_TheSameCommandAfterSigterm_ReadsOnFromWhereItStoppedAndDeliversEveryLineOnce(--input FILE)")]
    [TestCase(true, TestName = "Ship_TheSameCommandAfterSigterm_ReadsOnFromWhereItStoppedAndDeliversEveryLineOnce(< FILE)")]
    public async Task Ship_TheSameCommandAfterSigterm_ReadsOnFromWhereItStoppedAndDeliversEveryLineOnce(bool standardInput)
    {
        using var test = await OneFile.WriteAsync(standardInput ? "stdin" : "term", 100_000);
        string shown = standardInput ? "standard input (a file)" : $"--input '{test.Input}'";
        await using (ShipRun first = await StoppedAsync(test.Start(standardInput, Midway), 20_000, "TERM"))
        {
            Assert.That((first.ExitCode, first.Count("events read") < test.Lines), Is.EqualTo((143, true)), "stopped before the end of the file\n" + first.Transcript);
            Assert.That(first.Stderr.TrimEnd().Split('\n')[^1], Does.Contain($"Running the same command again reads {shown} on after line"), "says how to go on\n" + first.Transcript);
        }

        await using ShipRun again = await test.RunToTheEndAsync(standardInput, Midway);
        Assert.That(again.ExitCode, Is.EqualTo(0), again.Transcript);
        Assert.That(again.Stderr, Does.Contain($"Resuming {shown} after line"), again.Transcript);
        await test.AssertEveryLineOnceAsync();
    }

    [TestCase(false, TestName = "Ship_TheSameCommandAfterKill9_DeliversEveryLineOnce(--input FILE)")]
    [TestCase(true, TestName = "Ship_TheSameCommandAfterKill9_DeliversEveryLineOnce(< FILE)")]
    public async Task Ship_TheSameCommandAfterKill9_DeliversEveryLineOnce(bool standardInput)
    {
        using var test = await OneFile.WriteAsync(standardInput ? "kill-stdin" : "kill", 100_000);
        await using (ShipRun first = await StoppedAsync(test.Start(standardInput, Midway), 30_000, "KILL"))
        {
            Assert.That(first.ExitCode, Is.EqualTo(128 + 9), first.Transcript);
        }

        await using ShipRun again = await test.RunToTheEndAsync(standardInput, Midway);
        Assert.That(again.ExitCode, Is.EqualTo(0), again.Transcript);
        Assert.That(again.Stderr, Does.Contain("Resuming " + (standardInput ? "standard input (a file)" : "--input")).And.Contain("those are passed over"), again.Transcript);
        await test.AssertEveryLineOnceAsync(how: ": the lines the spool took after the last place record are passed over");
    }

    [Test]
    public async Task Ship_KilledThreeTimesAtDifferentPlacesThenRunToTheEnd_DeliversEveryLineOnce()
    {
        // Batches of about 1 MB seal as it goes: some rounds past a record are in journals, some in batches sealed since.
        using var test = await OneFile.WriteAsync("kills", 100_000);
        foreach (int killedAt in (int[])[15_000, 40_000, 70_000])
        {
            await using ShipRun killed = await StoppedAsync(ShipRun.Start(test.Ship(RawdataPeers.S3Url, Midway)), killedAt, "KILL");
            Assert.That(killed.ExitCode, Is.EqualTo(128 + 9), killed.Transcript);
        }

        await using ShipRun last = await test.ShipToTheEndAsync();

        Assert.That(last.ExitCode, Is.EqualTo(0), last.Transcript);
        await test.AssertEveryLineOnceAsync();
    }

    [Test]
    public async Task Ship_AnotherRunOverTheSpoolBetweenAKillMidLineAndTheResume_LosesNoLineAndSendsNoneTwice()
    {
        using var test = await OneFile.WriteAsync("between", 100_000);
        await using (ShipRun first = await StoppedAsync(ShipRun.Start(test.Ship(RawdataPeers.S3Url, Midway)), 30_000, "KILL"))
        {
            Assert.That(first.ExitCode, Is.EqualTo(128 + 9), first.Transcript);
        }

        // As a kill in the middle of writing a line leaves it: half of the journal's last line. Then a run from a pipe over
        // the same spool, whose recovery seals that journal (cutting the half line) before the first run is resumed. The
        // pipe carries other events of the same source, so it says so with --from-start: without it, a pipe over a spool
        // whose records hold a file of that source read part way is refused, as it may carry that file (QA-M M4).
        test.CutTheLastJournalLineInHalf();
        await using (ShipRun between = ShipRun.Start(test.ShipStandardInput(RawdataPeers.S3Url, "--from-start")))
        {
            await between.WriteAsync(ShipRun.Events(10, "between-pipe"), close: true);
            await between.WaitForExitAsync(TimeSpan.FromSeconds(90));
            Assert.That(between.ExitCode, Is.EqualTo(0), between.Transcript);
        }

        await using ShipRun again = await test.ShipToTheEndAsync();

        Assert.That(again.ExitCode, Is.EqualTo(0), again.Transcript);
        await test.AssertEveryLineOnceAsync(alsoSent: Ids(10, "between-pipe"));
    }

    [Test]
    public async Task Ship_KilledWhileStoppingForASigterm_TheSameCommandDeliversEveryLineOnce()
    {
        // SIGTERM stops the appends in flight (some lines are not taken, later ones may be), then kill -9 cuts the stop short.
        using var test = await OneFile.WriteAsync("term-kill", 100_000);
        await using (ShipRun first = ShipRun.Start(test.Ship(RawdataPeers.S3Url, Midway)))
        {
            await first.WaitForLineAsync(line => line.StartsWith("acknowledged 20000", StringComparison.Ordinal), TimeSpan.FromSeconds(60), "20000 lines acknowledged");
            first.Signal("TERM");
            first.Signal("KILL");
            await first.WaitForExitAsync(TimeSpan.FromSeconds(60));
            Assert.That(first.ExitCode, Is.EqualTo(128 + 9).Or.EqualTo(143), first.Transcript);
        }

        await using ShipRun again = await test.ShipToTheEndAsync();

        Assert.That(again.ExitCode, Is.EqualTo(0), again.Transcript);
        await test.AssertEveryLineOnceAsync();
    }

    [Test]
    public async Task Ship_QuitBySecondSigtermWhileAppendsAreInFlight_CountsAddUpAndTheSameCommandDeliversEveryLineOnce()
    {
        // The second signal quits at once: the record file was closed while the journals still wrote rounds of the appends
        // in flight, with no record of them (the next run read those lines again: 6 sent twice in a manual run), and the
        // counts were taken before those appends ended (read 25367 = spooled 25367 + not delivered 254).
        using var test = await OneFile.WriteAsync("term-term", 100_000, days: 231); // a backfill: a journal per day, rounds in flight in many
        await using (ShipRun first = ShipRun.Start(test.Ship(RawdataPeers.S3Url, Midway)))
        {
            await first.WaitForLineAsync(line => line.StartsWith("acknowledged 20000", StringComparison.Ordinal), TimeSpan.FromSeconds(60), "20000 lines acknowledged");
            first.Signal("TERM");
            first.Signal("TERM");
            await first.WaitForExitAsync(TimeSpan.FromSeconds(60));
            Assert.That(first.ExitCode, Is.EqualTo(143), first.Transcript);
            first.AssertCountsAddUp();
        }

        await using ShipRun again = await test.ShipToTheEndAsync();

        Assert.That(again.ExitCode, Is.EqualTo(0), again.Transcript);
        await test.AssertEveryLineOnceAsync();
    }

    /// <summary>
    /// A search over kill points: each seed kills the run three times, each after a random number of acknowledged lines
    /// (the signal lands wherever the run has got to by then: mid-round, mid-seal, mid-upload), with batches of random
    /// sizes sealing as it goes, then runs it to the end.
    /// </summary>
    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    public async Task Ship_KilledAtRandomPlacesThenRunToTheEnd_DeliversEveryLineOnce(int seed)
    {
        var random = new Random(seed);
        using var test = await OneFile.WriteAsync($"random-kills-{seed}", 60_000);
        string[] options = ["--progress", "--max-batch-bytes", random.Next(200_000, 3_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture)];
        int[] killedAt = [.. Enumerable.Range(0, 3).Select(_ => random.Next(1, 60) * 1000).Order()];
        foreach (int acknowledged in killedAt)
        {
            // Any 'acknowledged M' with M at or past the point: a run resumed past it acknowledges from where it starts.
            await using ShipRun killed = ShipRun.Start(test.Ship(RawdataPeers.S3Url, options));
            await killed.WaitForLineAsync(line => line.StartsWith("acknowledged ", StringComparison.Ordinal) && long.Parse(line["acknowledged ".Length..], System.Globalization.CultureInfo.InvariantCulture) >= acknowledged, TimeSpan.FromSeconds(60), $"{acknowledged} lines acknowledged");
            killed.Signal("KILL");
            await killed.WaitForExitAsync(TimeSpan.FromSeconds(60));
            Assert.That(killed.ExitCode, Is.EqualTo(128 + 9).Or.EqualTo(0), "killed, or ended before the signal came\n" + killed.Transcript);
        }

        await using ShipRun last = await test.ShipToTheEndAsync();

        Assert.That(last.ExitCode, Is.EqualTo(0), last.Transcript);
        await test.AssertEveryLineOnceAsync(how: $" (killed after {string.Join(", ", killedAt)} acknowledged, {options[^1]}-byte batches)");
    }

    /// <summary>
    /// Kills while deliveries fail: the customer's S3, behind a proxy, answers the PUTs in turn (one lands, one is refused
    /// with 503 SlowDown, one is never answered, one lands and its answer is lost), so sealed batches sit in the spool
    /// mid-attempt, parked for a retry or landed unknown to rawdata when the kill comes. Then the same command to the end
    /// against S3 without faults: a batch that landed is sent again under the same key, never resealed under another.
    /// </summary>
    [TestCase(5)]
    [TestCase(6)]
    public async Task Ship_KilledAtRandomPlacesWhileS3RefusesOrNeverAnswers_ThenRunWithoutFaults_DeliversEveryLineOnce(int seed)
    {
        var random = new Random(seed);
        using var test = await OneFile.WriteAsync($"faulty-kills-{seed}", 60_000);
        ProxyAction[] turns = [ProxyAction.Forward, ProxyAction.SlowDown, ProxyAction.Stall, ProxyAction.LandThenDropResponse];
        int puts = 0;
        await using var proxy = new FaultProxy(new Uri(RawdataPeers.S3Url), request => request.Method == "PUT" ? turns[Interlocked.Increment(ref puts) % turns.Length] : ProxyAction.Forward);
        string[] options = ["--progress", "--max-batch-bytes", random.Next(30_000, 150_000).ToString(CultureInfo.InvariantCulture)];
        int[] killedAt = [.. Enumerable.Range(0, 3).Select(_ => random.Next(1, 60) * 1000).Order()];
        foreach (int acknowledged in killedAt)
        {
            int putsBefore = Volatile.Read(ref puts);
            await using ShipRun killed = ShipRun.Start(test.Ship(proxy.ServiceUrl.ToString().TrimEnd('/'), options));
            // Or nothing left to read: a run killed while it delivered may have read the whole file already.
            await killed.WaitForLineAsync(line => line.Contains("nothing new to read", StringComparison.Ordinal) || (line.StartsWith("acknowledged ", StringComparison.Ordinal) && long.TryParse(line["acknowledged ".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out long count) && count >= acknowledged), TimeSpan.FromSeconds(60), $"{acknowledged} lines acknowledged");
            var waited = Stopwatch.StartNew();
            while (Volatile.Read(ref puts) < putsBefore + 2 && waited.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(20); // until this run met two turns of the proxy (bounded): the kill comes mid-delivery
            }

            killed.Signal("KILL");
            await killed.WaitForExitAsync(TimeSpan.FromSeconds(60));
            Assert.That(killed.ExitCode, Is.EqualTo(128 + 9), "killed\n" + killed.Transcript);
        }

        await using ShipRun last = await test.ShipToTheEndAsync();

        string how = $" (killed after {string.Join(", ", killedAt)} acknowledged, {options[^1]}-byte batches, {puts} PUTs through the proxy)";
        Assert.That(last.ExitCode, Is.EqualTo(0), last.Transcript);
        Assert.That(puts, Is.GreaterThan(turns.Length), "the faults were met" + how);
        await test.AssertEveryLineOnceAsync(how: how);
    }

    // With < FILE it said nothing: the README promises that stderr says why the file is read from line 1.
    [TestCase(false, TestName = "Ship_AFileRewrittenSinceTheEarlierRun_IsReadFromItsFirstLineSayingWhy(--input FILE)")]
    [TestCase(true, TestName = "Ship_AFileRewrittenSinceTheEarlierRun_IsReadFromItsFirstLineSayingWhy(< FILE)")]
    public async Task Ship_AFileRewrittenSinceTheEarlierRun_IsReadFromItsFirstLineSayingWhy(bool standardInput)
    {
        using var test = await OneFile.WriteAsync("before", 50);
        await using (ShipRun first = await test.RunToTheEndAsync(standardInput))
        {
            Assert.That(first.ExitCode, Is.EqualTo(0), first.Transcript);
        }

        // The same path, other events: a new export, not the rest of the old one.
        await File.WriteAllTextAsync(test.Input, ShipRun.Events(80, "after"));
        await using ShipRun again = await test.RunToTheEndAsync(standardInput);

        string shown = standardInput ? "standard input (a file)" : $"--input '{test.Input}'";
        Assert.That((again.ExitCode, again.Count("events read")), Is.EqualTo((0, (long?)80)), again.Transcript);
        Assert.That(again.Stderr, Does.Contain($"{shown} is not the file an earlier run").And.Contain("from line 1"), again.Transcript);
        Assert.That(await RawdataPeers.MessageIdsAsync(test.Source), Is.EquivalentTo(test.Ids().Concat(Ids(80, "after"))));
    }

    [Test]
    public async Task Ship_ALastLineReadBeforeItsEndWasWritten_IsReadAgainWholeWhenTheFileGrew()
    {
        // A run read the file while it was being written: it ended on half a line (no newline yet), and refused it.
        using var test = await OneFile.WriteAsync("half", 10);
        string whole = ShipRun.Events(1, "half-last").TrimEnd('\n');
        await File.AppendAllTextAsync(test.Input, whole[..30]);
        await using (ShipRun first = await test.ShipToTheEndAsync())
        {
            Assert.That((first.ExitCode, first.Count("events delivered"), first.Count("events rejected")), Is.EqualTo((0, (long?)10, (long?)1)), first.Transcript);
        }

        // The writer ends that line and writes more: line 11 is the whole event now.
        await File.AppendAllTextAsync(test.Input, whole[30..] + "\n" + ShipRun.Events(5, "half-more"));
        await using ShipRun again = await test.ShipToTheEndAsync();

        Assert.That((again.ExitCode, again.Count("events rejected")), Is.EqualTo((0, (long?)0)), again.Transcript);
        Assert.That(again.Stderr, Does.Contain("line 11"), "says it reads line 11 again\n" + again.Transcript);
        Assert.That(await RawdataPeers.MessageIdsAsync(test.Source), Is.EquivalentTo(test.Ids().Concat(Ids(1, "half-last")).Concat(Ids(5, "half-more"))));
    }

    /// <summary>
    /// A file that grew since the earlier run: only its new lines are sent, numbered as in the file. The earlier run may
    /// have ended on a last line with no newline (the growth then starts with one, and that line is still sent once), in
    /// LF or CRLF (as Windows tools write it).
    /// </summary>
    [TestCase("\n", true, TestName = "Ship_AFileThatGrewSinceTheEarlierRun_SendsOnlyItsNewLinesNumberedAsInTheFile(LF)")]
    [TestCase("\r\n", false, TestName = "Ship_AFileThatGrewSinceTheEarlierRun_SendsOnlyItsNewLinesNumberedAsInTheFile(CRLF, no final newline)")]
    public async Task Ship_AFileThatGrewSinceTheEarlierRun_SendsOnlyItsNewLinesNumberedAsInTheFile(string newline, bool finalNewline)
    {
        string name = finalNewline ? "grew" : "nonl";
        using var test = await OneFile.WriteAsync(name, 10);
        string Written(string lines) => lines.Replace("\n", newline, StringComparison.Ordinal);
        await File.WriteAllTextAsync(test.Input, Written(finalNewline ? ShipRun.Events(10, name) : ShipRun.Events(10, name).TrimEnd('\n')));
        await test.ShipAllAsync();

        // The new lines (after the newline the last line lacked, if it did): lines 11 and 12 events, line 13 not JSON.
        await File.AppendAllTextAsync(test.Input, Written((finalNewline ? string.Empty : "\n") + ShipRun.Events(2, name + "-added") + "not json\n"));
        await using ShipRun again = await test.ShipToTheEndAsync();

        Assert.That((again.ExitCode, again.Count("events read"), again.Count("events delivered")), Is.EqualTo((0, (long?)3, (long?)2)), again.Transcript);
        Assert.That(again.Stderr, Does.Contain("after line 10").And.Contain("line 13: rejected"), "numbered as in the file\n" + again.Transcript);
        Assert.That(await RawdataPeers.MessageIdsAsync(test.Source), Is.EquivalentTo(test.Ids().Concat(Ids(2, name + "-added"))), "the last line of the earlier run once, and the new lines");
    }

    [Test]
    public async Task Ship_AResumedRunStoppedBySigterm_NamesTheLineOfTheFileItStoppedAfterNotThisRunsCount()
    {
        // A run resumed after line 2500 and stopped said "Stopped by SIGTERM after 17,755 lines" (its own count) beside
        // "Running the same command again reads --input ... on after line 20255" (the file's).
        using var test = await OneFile.WriteAsync("resumed-term", 2_500);
        await test.ShipAllAsync();
        await File.AppendAllTextAsync(test.Input, ShipRun.Events(50_000, "resumed-term-added"));

        await using ShipRun stopped = await StoppedAsync(test.Start(false, Midway), 20_000, "TERM");

        string context = stopped.Transcript;
        Assert.That(stopped.ExitCode, Is.EqualTo(143), context);
        Match said = Regex.Match(stopped.Stderr, @"Stopped by SIGTERM after line (\d+) \((\d+) lines read by this run\)\..* on after line (\d+)\.");
        Assert.That(said.Success, Is.True, "the file's line, and this run's count apart\n" + context);
        long line = long.Parse(said.Groups[1].Value, CultureInfo.InvariantCulture), read = long.Parse(said.Groups[2].Value, CultureInfo.InvariantCulture), readOn = long.Parse(said.Groups[3].Value, CultureInfo.InvariantCulture);
        Assert.That((line - read, line >= 20_000, readOn <= line), Is.EqualTo((2_500L, true, true)), "numbered as in the file, as 'acknowledged N' and the place it reads on from are\n" + context);
    }

    [Test]
    public async Task ShipWithProgress_AResumedRunWhoseStandardOutputIsFull_SaysTheLineOfTheFileItStoppedReadingAfter()
    {
        // QA's repro: resumed after line 2500, '--progress > /dev/full' said "stopped reading after line 755. Running the
        // same command again reads --input ... on after line 3255."
        if (!File.Exists("/dev/full"))
        {
            Assert.Ignore("needs /dev/full, a device whose every write fails with ENOSPC");
        }

        using var test = await OneFile.WriteAsync("resumed-full", 2_500);
        await test.ShipAllAsync();
        await File.AppendAllTextAsync(test.Input, ShipRun.Events(2_500, "resumed-full-added"));

        await using ShipRun full = ShipRun.StartReading("/dev/null", test.Ship(RawdataPeers.S3Url, "--progress"), outputTo: "/dev/full");
        await full.WaitForExitAsync(TimeSpan.FromSeconds(90));

        string context = full.Transcript;
        Assert.That(full.ExitCode, Is.EqualTo(1), context);
        Match said = Regex.Match(full.Stderr, @"stopped reading after line (\d+)\. Running the same command again reads --input '.*' on after line (\d+)\.");
        Assert.That(said.Success, Is.True, context);
        long line = long.Parse(said.Groups[1].Value, CultureInfo.InvariantCulture), readOn = long.Parse(said.Groups[2].Value, CultureInfo.InvariantCulture);
        Assert.That((line >= 3_000, line < 5_000, readOn <= line), Is.EqualTo((true, true, true)), $"line {line} of the file (its first acknowledgement is line 3000's), reads on after line {readOn}\n" + context);
    }

    [Test]
    public async Task Ship_StoppedInRoundsBySignalsAndAnOutage_TheLastRunEndsWithEveryValidLineOnce()
    {
        // A file as exports come: a byte order mark, CRLF and LF lines, lines that are not JSON and lines over the limit.
        using var test = await OneFile.WriteAsync("rounds", 100_000);
        static bool NotJson(int i) => i % 997 == 5;
        static bool TooLong(int i) => i % 1499 == 7;
        string[] events = ShipRun.Events(test.Lines, test.Name).Split('\n');
        await File.WriteAllTextAsync(test.Input, "\uFEFF" + string.Concat(Enumerable.Range(0, test.Lines).Select(i =>
            (NotJson(i) ? "not json" : TooLong(i) ? $"{{\"x\":\"{new string('a', 3000)}\"}}" : events[i]) + (i % 2 == 0 ? "\r\n" : "\n"))));
        string[] options = ["--max-event-bytes", "2000"];

        long readOnAfter = 0;
        foreach (string signal in new[] { "TERM", "INT", "TERM" })
        {
            // Each run stopped 10,000 lines or so past where the run before it said the next reads on.
            int acknowledged = (int)((readOnAfter / 1000 + 10) * 1000);
            await using ShipRun stopped = await StoppedAsync(ShipRun.Start(test.Ship(RawdataPeers.S3Url, [.. Midway, .. options])), acknowledged, signal);
            stopped.AssertCountsAddUp();
            Match readOn = Regex.Match(stopped.Stderr.TrimEnd().Split('\n')[^1], @"Running the same command again reads --input '.*' on after line (\d+)\.");
            Assert.That(readOn.Success, Is.True, "says how to go on\n" + stopped.Transcript);
            readOnAfter = long.Parse(readOn.Groups[1].Value, CultureInfo.InvariantCulture);
        }

        // An outage: the retry budget is spent, what was read stays in the spool.
        string refusing = RealAnswers.Refusing().ToString().TrimEnd('/');
        await using (ShipRun outage = await test.ShipToTheEndAsync(refusing, [.. options, "--retry-time-limit", "1s", "--shutdown-timeout", "1s"]))
        {
            Assert.That(outage.ExitCode, Is.EqualTo(1), outage.Transcript);
            Assert.That(outage.Stderr, Does.Contain("Resuming --input"), outage.Transcript);
            outage.AssertCountsAddUp();
        }

        // The same command, the file named by a relative path this time (relative to the repository's root, where rawdata runs).
        string[] last = test.Ship(RawdataPeers.S3Url, options);
        last[Array.IndexOf(last, "--input") + 1] = Path.GetRelativePath(RepoPaths.Root, test.Input);
        await using (ShipRun again = ShipRun.Start(last))
        {
            await again.WriteAsync(string.Empty, close: true);
            await again.WaitForExitAsync(TimeSpan.FromSeconds(90));
            Assert.That((again.ExitCode, again.Count("events read")), Is.EqualTo((0, (long?)0)), again.Transcript);
            Assert.That(again.Stderr, Does.Contain("to its end"), again.Transcript);
        }

        List<string> ids = await RawdataPeers.MessageIdsAsync(test.Source);
        Assert.That(ids, Is.Unique, "nothing twice");
        Assert.That(ids, Is.EquivalentTo(Enumerable.Range(0, test.Lines).Where(i => !NotJson(i) && !TooLong(i)).Select(i => $"{test.Name}-{i}")), "every valid line");
    }

    [Test]
    public async Task Ship_APipeStoppedAndSentAgain_IsNeitherResumedNorSaidToBe()
    {
        using var test = await OneFile.WriteAsync("pipe", 100_000);
        string events = await File.ReadAllTextAsync(test.Input);
        await using (ShipRun first = ShipRun.Start(test.ShipStandardInput(RawdataPeers.S3Url, Midway)))
        {
            _ = first.WriteAsync(events);
            await StoppedAsync(first, 20_000, "TERM");
            Assert.That(first.ExitCode, Is.EqualTo(143), first.Transcript);
            Assert.That(first.Stderr, Does.Not.Contain("Running the same command again"), "a pipe can't be read on from a place\n" + first.Transcript);
        }

        await using ShipRun again = ShipRun.Start(test.ShipStandardInput(RawdataPeers.S3Url));
        await again.WriteAsync(events, close: true);
        await again.WaitForExitAsync(TimeSpan.FromSeconds(90));

        Assert.That((again.ExitCode, again.Count("events read")), Is.EqualTo((0, (long?)test.Lines)), "what the pipe sends is read, all of it\n" + again.Transcript);
        Assert.That(again.Stderr, Does.Not.Contain("Resuming").And.Not.Contain("earlier run over"), again.Transcript);
        Assert.That(await RawdataPeers.MessageIdsAsync(test.Source), Is.SupersetOf(test.Ids()));
    }

    [TestCase("a link to it", TestName = "Ship_TheSameFileAndBucketSpelledAnotherWay_ReadsNothingAgain(a link to the file)")]
    [TestCase("< FILE", TestName = "Ship_TheSameFileAndBucketSpelledAnotherWay_ReadsNothingAgain(< FILE after --input FILE)")]
    [TestCase("bucket/", TestName = "Ship_TheSameFileAndBucketSpelledAnotherWay_ReadsNothingAgain(--bucket with a trailing slash)")]
    public async Task Ship_TheSameFileAndBucketSpelledAnotherWay_ReadsNothingAgain(string spelling)
    {
        // The records were named by the path and bucket as typed: each of these read the whole file again, and its
        // lines were delivered twice.
        using var test = await OneFile.WriteAsync("spelled", 30);
        await test.ShipAllAsync();
        string link = test.Input + ".link";
        File.CreateSymbolicLink(link, test.Input);

        string[] command = spelling switch
        {
            "a link to it" => test.Ship(RawdataPeers.S3Url),
            "< FILE" => test.ShipStandardInput(RawdataPeers.S3Url),
            _ => test.Ship(RawdataPeers.S3Url),
        };
        command[Array.IndexOf(command, "--input") + 1] = spelling == "a link to it" ? link : command[Array.IndexOf(command, "--input") + 1];
        command[Array.IndexOf(command, "--bucket") + 1] += spelling == "bucket/" ? "/" : string.Empty;
        await using ShipRun again = spelling == "< FILE" ? ShipRun.StartReading(test.Input, command) : ShipRun.Start(command);
        if (spelling != "< FILE")
        {
            await again.WriteAsync(string.Empty, close: true);
        }

        await again.WaitForExitAsync(TimeSpan.FromSeconds(90));

        Assert.That((again.ExitCode, again.Count("events read")), Is.EqualTo((0, (long?)0)), again.Transcript);
        await test.AssertEveryLineOnceAsync(how: ", read again as " + spelling);
    }

    [Test]
    public async Task Ship_AHardLinkToTheFile_IsAnotherInputReadFromLineOneAsTheReadmeSays()
    {
        // An input is the file by the path the system opened: a symbolic link resolves to it, a hard link (the same
        // inode under another path) does not. The README said "a link to the file" is the same input; it now says which
        // link is. This pins what it says: if identity ever follows the inode, change the README with it.
        using var test = await OneFile.WriteAsync("hardlink", 30);
        await test.ShipAllAsync();
        string hardLink = test.Input + ".hard";
        using (Process ln = Process.Start("ln", [test.Input, hardLink]))
        {
            await ln.WaitForExitAsync();
            Assert.That(ln.ExitCode, Is.EqualTo(0), "ln FILE OTHER");
        }

        string[] command = test.Ship(RawdataPeers.S3Url);
        command[Array.IndexOf(command, "--input") + 1] = hardLink;
        await using ShipRun again = ShipRun.Start(command);
        await again.WriteAsync(string.Empty, close: true);
        await again.WaitForExitAsync(TimeSpan.FromSeconds(90));

        Assert.That((again.ExitCode, again.Count("events read")), Is.EqualTo((0, (long?)30)), "read from line 1, as another input\n" + again.Transcript);
        Assert.That(await RawdataPeers.MessageIdsAsync(test.Source), Has.Count.EqualTo(60), "each line twice: the README says so, and how to avoid it");
    }

    [Test]
    public async Task Ship_OverARecordAnEarlierVersionNamedByTheBucketAsTyped_ReadsOnFromIt()
    {
        // Before records were named by what the file and bucket are, `--bucket b/` named its record by "b/". The same
        // command after an upgrade must read on from that record, not send the file again.
        using var test = await OneFile.WriteAsync("upgraded", 20);
        await test.ShipAllAsync();
        string record = test.RecordFile();
        string typedBucket = RawdataPeers.Bucket + "/";
        string typedName = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{Path.GetFullPath(test.Input)}\n{test.Source}\n{typedBucket}")))[..32] + ".ndjson";
        // As that version wrote it: records without their sums, and no list of the record files.
        string content = string.Concat((await File.ReadAllLinesAsync(record)).Select(line => line.Split('\t')[0].TrimEnd() + "\n"));
        await File.WriteAllTextAsync(Path.Combine(Path.GetDirectoryName(record)!, typedName), content.Replace($"\"bucket\":\"{RawdataPeers.Bucket}\"", $"\"bucket\":\"{typedBucket}\"", StringComparison.Ordinal));
        File.Delete(record);
        File.Delete(Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(record)!)!, "rawdata-inputs.list"));

        // And that version's record of the spool's destination: the bucket alone (the place records of a spool whose
        // record names the whole destination are that destination's, and such a spool holds none named this way).
        await File.WriteAllTextAsync(Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(record)!)!, "rawdata-destination"), RawdataPeers.Bucket + "\n");

        string[] command = test.Ship(RawdataPeers.S3Url);
        command[Array.IndexOf(command, "--bucket") + 1] = typedBucket;
        await using ShipRun again = ShipRun.Start(command);
        await again.WriteAsync(string.Empty, close: true);
        await again.WaitForExitAsync(TimeSpan.FromSeconds(90));

        Assert.That((again.ExitCode, again.Count("events read")), Is.EqualTo((0, (long?)0)), again.Transcript);
        await test.AssertEveryLineOnceAsync();
    }

    [Test]
    public async Task Ship_WithFromStart_ReadsTheWholeFileAgain()
    {
        using var test = await OneFile.WriteAsync("again", 20);
        await test.ShipAllAsync();

        await using ShipRun again = await test.ShipToTheEndAsync(more: "--from-start");

        Assert.That((again.ExitCode, again.Count("events delivered")), Is.EqualTo((0, (long?)20)), "asked for: the file a second time\n" + again.Transcript);
        Assert.That(await RawdataPeers.MessageIdsAsync(test.Source), Has.Count.EqualTo(40));
    }

    [TestCase(0.0, 1, TestName = "Ship_AJournalEmptiedBetweenRuns_ReadsItsLinesAgainSayingWhichAndDeliversEveryLineOnce")]
    [TestCase(0.5, 1, TestName = "Ship_AJournalCutShortBetweenRuns_ReadsItsLostLinesAgainSayingWhichAndDeliversEveryLineOnce")]
    [TestCase(0.0, 2, TestName = "Ship_AJournalEmptiedBetweenRunsAfterItsRoundsOutgrewTheRecordFile_ReadsItsLinesAgainAndDeliversEveryLineOnce")]
    public async Task Ship_AJournalCutShortBetweenRuns_ReadsItsLostLinesAgainAndDeliversEveryLineOnce(double kept, int days)
    {
        // Killed while S3 refuses every batch: the spool keeps them all, the open one in its journal, and the place record
        // counts the journal's first lines as settled. Over two days, lines alternate between two journals: each round's
        // record lists every other line number, so the record file passes 64 KB and is started afresh while the journals
        // are open (it kept only the rounds past its place, and lost the rest of what the journals must hold).
        using var test = await OneFile.WriteAsync(kept == 0 ? $"emptied{days}" : "cut", 20_000, days);
        await test.KillWhileS3RefusesAsync(Midway, 5_000);

        string journal = test.CutTheLongestJournal(kept);
        await using ShipRun again = await test.ShipToTheEndAsync();

        Assert.That(again.ExitCode, Is.EqualTo(0), again.Transcript);
        await test.AssertEveryLineOnceAsync(how: ": the lines the journal lost are read again, and only those\n" + again.Transcript);
        Assert.That(again.Stderr, Does.Contain(journal).And.Contain("read again"), "names the journal and says what it does\n" + again.Transcript);
    }

    [Test]
    public async Task Ship_AJournalDeletedBetweenRuns_ReadsItsLinesAgainSayingWhichAndDeliversEveryLineOnce()
    {
        // Killed while S3 refuses every batch: the open batch is in its journal, and the place record counts its lines as
        // settled. The journal deleted outright (a hand, a clean-up) took them with it; it was taken for one sealed.
        using var test = await OneFile.WriteAsync("deleted", 20_000);
        await test.KillWhileS3RefusesAsync(Midway, 5_000);

        string journal = test.CutTheLongestJournal(kept: 0);
        File.Delete(journal);
        await using ShipRun again = await test.ShipToTheEndAsync();

        Assert.That(again.ExitCode, Is.EqualTo(0), again.Transcript);
        await test.AssertEveryLineOnceAsync(how: ": the deleted journal's lines are read again, and only those\n" + again.Transcript);
        Assert.That(again.Stderr, Does.Contain(journal).And.Contain("is gone").And.Contain("read again"), "names the journal and says what it does\n" + again.Transcript);
    }

    [TestCase("deleted", TestName = "Ship_AJournalWithALineDeletedBetweenRuns_SetsItAsideAndDeliversEveryLineOnce")]
    [TestCase("repeated", TestName = "Ship_AJournalWithALineRepeatedBetweenRuns_SetsItAsideAndDeliversEveryLineOnce")]
    [TestCase("changed", TestName = "Ship_AJournalWithALineChangedInPlaceBetweenRuns_SetsItAsideAndDeliversEveryLineOnce")]
    public async Task Ship_AJournalEditedBetweenRuns_SetsItAsideAndDeliversEveryLineOnce(string change)
    {
        // QA: a line deleted from the middle of a journal was lost without a word and the journal's last line delivered
        // twice (counting newlines, the last round looked cut short); a line repeated was delivered twice.
        using var test = await OneFile.WriteAsync($"edited-{change}", 20_000);
        await test.KillWhileS3RefusesAsync(Midway, 5_000);

        string journal = test.EditTheLongestJournal(change);
        await using ShipRun again = await test.ShipToTheEndAsync();

        Assert.That(again.ExitCode, Is.EqualTo(0), again.Transcript);
        await test.AssertEveryLineOnceAsync(how: ": the edited journal is set aside and its lines read again\n" + again.Transcript);
        Assert.That(again.Stderr, Does.Contain(journal).And.Contain("set aside").And.Contain("read again"), "names the journal and says what it does\n" + again.Transcript);
    }

    [TestCase(false, TestName = "Ship_ASealedFileDeletedBetweenRuns_ReadsItsLinesAgainSayingWhichAndDeliversEveryLineOnce")]
    [TestCase(true, TestName = "Ship_ASealedFileDeletedAfterARunThatCouldNotDeliverIt_ReadsItsLinesAgainAndDeliversEveryLineOnce")]
    public async Task Ship_ASealedFileDeletedBetweenRuns_ReadsItsLinesAgainAndDeliversEveryLineOnce(bool runBetween)
    {
        // Killed while S3 refuses every batch, with batches sealed as it went (its checksum file left, as a hand that
        // deletes the .gz leaves it); with a run between that read the file to its end and still could not deliver them.
        using var test = await OneFile.WriteAsync(runBetween ? "sealed-gone-later" : "sealed-gone", 6_000);
        await test.KillWhileS3RefusesAsync(Small, 4_000);

        if (runBetween)
        {
            string refusing = RealAnswers.Refusing().ToString().TrimEnd('/');
            await using ShipRun between = await test.ShipToTheEndAsync(refusing, "--max-batch-bytes", "100000", "--retry-time-limit", "2s", "--shutdown-timeout", "2s");
            Assert.That((between.ExitCode, between.Count("events delivered")), Is.EqualTo((1, (long?)0)), between.Transcript);
        }

        string sealedFile = test.DeleteASealedFile();
        await using ShipRun again = await test.ShipToTheEndAsync();

        Assert.That(again.ExitCode, Is.EqualTo(0), again.Transcript);
        await test.AssertEveryLineOnceAsync(how: ": the deleted batch's lines are read again, and only those\n" + again.Transcript);
        Assert.That(again.Stderr, Does.Contain(Path.GetFileName(sealedFile).Split('.')[1]).And.Contain("is gone").And.Contain("read again"), "names the batch's journal and says what it does\n" + again.Transcript);
    }

    [TestCase("flipped", TestName = "Ship_ASealedFileWithABitFlippedBetweenRuns_SetsItAsideReadsItsLinesAgainAndDeliversEveryLineOnce")]
    [TestCase("cut", TestName = "Ship_ASealedFileCutShortBetweenRuns_SetsItAsideReadsItsLinesAgainAndDeliversEveryLineOnce")]
    [TestCase("emptied", TestName = "Ship_ASealedFileEmptiedBetweenRuns_SetsItAsideReadsItsLinesAgainAndDeliversEveryLineOnce")]
    public async Task Ship_ASealedFileDamagedBetweenRuns_SetsItAsideReadsItsLinesAgainAndDeliversEveryLineOnce(string damage)
    {
        // QA: the recovery quarantined the damaged batch, saying to ship its events again from their source, without
        // saying which lines; the next run exited 0 and they were never delivered.
        using var test = await OneFile.WriteAsync($"sealed-{damage}", 6_000);
        await test.KillWhileS3RefusesAsync(Small, 4_000);

        string sealedFile = test.DamageASealedFile(damage);
        await using ShipRun again = await test.ShipToTheEndAsync();

        Assert.That(again.ExitCode, Is.EqualTo(0), again.Transcript);
        await test.AssertEveryLineOnceAsync(how: ": the damaged batch is set aside and its lines read again\n" + again.Transcript);
        Assert.That(again.Stderr, Does.Contain(sealedFile).And.Contain("set aside").And.Contain("read again"), "names the file and says what it does\n" + again.Transcript);
    }

    [TestCase(true, TestName = "Ship_AfterTheRecordFolderWasDeleted_RefusesToReadTheFileFromLine1AgainNamingTheRecordAndFromStart")]
    [TestCase(false, TestName = "Ship_AfterTheRecordFileWasDeleted_RefusesToReadTheFileFromLine1AgainNamingTheRecordAndFromStart")]
    public async Task Ship_AfterTheRecordWasDeleted_RefusesToReadTheFileFromLine1AgainNamingTheRecordAndFromStart(bool folder)
    {
        // It read the file from line 1 again without a word: every line in the bucket twice.
        using var test = await OneFile.WriteAsync(folder ? "records-gone" : "record-gone", 30);
        await test.ShipAllAsync();

        string record = test.RecordFile();
        if (folder)
        {
            Directory.Delete(Path.GetDirectoryName(record)!, recursive: true);
        }
        else
        {
            File.Delete(record);
        }

        await using (ShipRun again = await test.ShipToTheEndAsync())
        {
            Assert.That((again.ExitCode, again.Count("events read")), Is.EqualTo((2, (long?)null)), "refused before reading\n" + again.Transcript);
            Assert.That(again.Stderr, Does.Contain(record).And.Contain("deleted").And.Contain("delivered twice").And.Contain("--from-start").And.Contain("tail -n +"), "names the record, what reading on would cost and what to do\n" + again.Transcript);
        }

        await test.AssertEveryLineOnceAsync(how: ": nothing sent again");
        await using ShipRun asked = await test.ShipToTheEndAsync(null, "--from-start");
        Assert.That((asked.ExitCode, asked.Count("events read")), Is.EqualTo((0, (long?)30)), "asked for: the file a second time\n" + asked.Transcript);
    }

    [Test]
    public async Task Ship_ARecordWithABitFlippedOnDisk_IsRefusedNamingTheRecordInsteadOfReadingTheFileAgain()
    {
        // A bit flipped in the place record's offset: it said the file was not the one read, read it from line 1 again, and
        // every line came twice (a flip in a line number could as well have passed over lines never taken).
        using var test = await OneFile.WriteAsync("flipped", 30);
        await test.ShipAllAsync();

        string record = test.RecordFile();
        byte[] bytes = await File.ReadAllBytesAsync(record);
        int digit = bytes.AsSpan().LastIndexOf("\"offset\":"u8) + "\"offset\":".Length; // the last place record: the one that counts
        bytes[digit] ^= 1;
        await File.WriteAllBytesAsync(record, bytes);
        await using (ShipRun again = await test.ShipToTheEndAsync())
        {
            Assert.That((again.ExitCode, again.Count("events read")), Is.EqualTo((2, (long?)null)), "refused before reading\n" + again.Transcript);
            Assert.That(again.Stderr, Does.Contain(record).And.Contain("changed on disk").And.Contain("--from-start").And.Contain("tail -n +"), "names the record and what to do\n" + again.Transcript);
        }

        await test.AssertEveryLineOnceAsync(how: ": nothing sent again");
    }

    [Test]
    public async Task Ship_ARecordCutShortByACrash_ReadsOnFromTheLastWholeRecordWarningThatLinesMayComeTwice()
    {
        using var test = await OneFile.WriteAsync("torn", 30);
        await test.ShipAllAsync();

        await File.AppendAllTextAsync(test.RecordFile(), "{\"input\":\"" + test.Input[..5]); // the start of a record a crash cut
        await using ShipRun again = await test.ShipToTheEndAsync();

        Assert.That((again.ExitCode, again.Count("events read")), Is.EqualTo((0, (long?)0)), again.Transcript);
        Assert.That(again.Stderr, Does.Contain("to its end"), again.Transcript);
        Assert.That(again.Stderr, Does.Contain(test.RecordFile()).And.Contain("cut short").And.Contain("after line 30").And.Contain("delivered twice"), "records after the cut one may be lost: says what that may cost\n" + again.Transcript);
        await test.AssertEveryLineOnceAsync();
    }

    [Test]
    public async Task Ship_ARecordFileWithNoWholeRecord_SaysSoAndReadsTheFileFromLine1()
    {
        using var test = await OneFile.WriteAsync("damaged", 30);
        await test.ShipAllAsync();

        string record = test.RecordFile();
        await File.WriteAllTextAsync(record, "not a record\n");
        await using ShipRun again = await test.ShipToTheEndAsync();

        Assert.That((again.ExitCode, again.Count("events read")), Is.EqualTo((0, (long?)30)), "nothing lost: read again\n" + again.Transcript);
        Assert.That(again.Stderr, Does.Contain(record).And.Contain("from line 1").And.Contain("delivered twice"), "says what it did and what it costs\n" + again.Transcript);
    }

    /// <summary>
    /// Waits until <paramref name="run"/> has acknowledged <paramref name="acknowledged"/> lines (it was started with
    /// <see cref="Midway"/>), sends <paramref name="signal"/>, and waits (bounded) for it to end.
    /// </summary>
    /// <summary>
    /// Sends <paramref name="signal"/> once <paramref name="run"/> has acknowledged <paramref name="acknowledged"/> lines or
    /// more: a run that resumed past that line (an earlier one read on while its kill was on the way) is stopped at its
    /// first acknowledgement.
    /// </summary>
    private static async Task<ShipRun> StoppedAsync(ShipRun run, int acknowledged, string signal)
    {
        await run.WaitForLineAsync(line => line.StartsWith("acknowledged ", StringComparison.Ordinal) && long.TryParse(line["acknowledged ".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out long count) && count >= acknowledged, TimeSpan.FromSeconds(60), $"{acknowledged} lines acknowledged");
        run.Signal(signal);
        await run.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return run;
    }

    private static IEnumerable<string> Ids(int count, string prefix) => Enumerable.Range(0, count).Select(i => $"{prefix}-{i}");

    /// <summary>One test's file of events (message ids <c>{name}-0</c>, <c>{name}-1</c>, ...), its spool and its source, in a folder of its own.</summary>
    private sealed class OneFile : IDisposable
    {
        private readonly TempDirectory _folder;

        private OneFile(string name, int lines)
        {
            _folder = new TempDirectory($"rawdata-resume-{name}-");
            Name = name;
            Lines = lines;
            Source = $"resume-{name}-{Guid.NewGuid():N}";
            Input = Path.Combine(_folder.Path, "events.ndjson");
        }

        public string Name { get; }

        public int Lines { get; }

        public string Source { get; }

        public string Input { get; }

        public static async Task<OneFile> WriteAsync(string name, int lines, int days = 1)
        {
            var test = new OneFile(name, lines);
            await File.WriteAllTextAsync(test.Input, days == 1 ? ShipRun.Events(lines, name) : string.Concat(Enumerable.Range(0, lines).Select(i =>
                $"{{\"type\":\"track\",\"messageId\":\"{name}-{i}\",\"receivedAt\":\"{new DateTime(2023, 1, 1, 10, 0, 0, DateTimeKind.Utc).AddDays(i % days):yyyy-MM-ddTHH:mm:ss.fffZ}\"}}\n")));
            return test;
        }

        public IEnumerable<string> Ids() => ShipResumeTests.Ids(Lines, Name);

        /// <summary>The command: ship the file over the spool to <paramref name="s3Url"/>, with <paramref name="more"/> options.</summary>
        public string[] Ship(string s3Url, params string[] more) => Command(Input, s3Url, more);

        /// <summary>The command as <see cref="Ship"/>, reading standard input (for <c>&lt; FILE</c>).</summary>
        public string[] ShipStandardInput(string s3Url, params string[] more) => Command("-", s3Url, more);

        /// <summary>Runs the command to its end (bounded), to S3 or to <paramref name="s3Url"/>.</summary>
        public async Task<ShipRun> ShipToTheEndAsync(string? s3Url = null, params string[] more)
        {
            ShipRun run = ShipRun.Start(Ship(s3Url ?? RawdataPeers.S3Url, more));
            await run.WriteAsync(string.Empty, close: true);
            await run.WaitForExitAsync(TimeSpan.FromSeconds(90));
            return run;
        }

        /// <summary>A first run that ships the whole file.</summary>
        public async Task ShipAllAsync()
        {
            await using ShipRun first = await ShipToTheEndAsync();
            Assert.That(first.ExitCode, Is.EqualTo(0), first.Transcript);
        }

        /// <summary>Cuts the last line of the journal written last in half, as a kill in the middle of writing it leaves it.</summary>
        public void CutTheLastJournalLineInHalf()
        {
            FileInfo journal = new DirectoryInfo(Path.Combine(_folder.Path, "spool", "journal")).EnumerateFiles("*.ndjson", SearchOption.AllDirectories)
                .Where(file => file.Length > 0).OrderBy(file => file.LastWriteTimeUtc).Last();
            byte[] bytes = File.ReadAllBytes(journal.FullName);
            Assert.That(bytes[^1], Is.EqualTo((byte)'\n'), "the journal ends with a whole line");
            int lastLineStart = bytes.AsSpan(0, bytes.Length - 1).LastIndexOf((byte)'\n') + 1;
            using var file = new FileStream(journal.FullName, FileMode.Open, FileAccess.Write);
            file.SetLength(lastLineStart + ((bytes.Length - lastLineStart) / 2));
        }

        /// <summary>Cuts the journal holding the most bytes back to <paramref name="kept"/> of them, at a line's end, as a restore or a hand between runs may; returns its path.</summary>
        public string CutTheLongestJournal(double kept)
        {
            FileInfo journal = new DirectoryInfo(Path.Combine(_folder.Path, "spool", "journal")).EnumerateFiles("*.ndjson", SearchOption.AllDirectories)
                .OrderBy(file => file.Length).Last();
            byte[] bytes = File.ReadAllBytes(journal.FullName);
            Assert.That(bytes.Count((byte)'\n'), Is.GreaterThan(2), "a journal with lines to lose");
            int end = kept == 0 ? 0 : bytes.AsSpan(0, (int)(bytes.Length * kept)).LastIndexOf((byte)'\n') + 1;
            using var file = new FileStream(journal.FullName, FileMode.Open, FileAccess.Write);
            file.SetLength(end);
            return journal.FullName;
        }

        /// <summary>Ships the file while S3 refuses every batch, with <paramref name="more"/>, and kills the run (SIGKILL) <paramref name="afterMs"/> ms in: the spool keeps what it read.</summary>
        public async Task KillWhileS3RefusesAsync(string[] more, int afterMs)
        {
            await using ShipRun first = await StoppedAsync(ShipRun.Start(Ship(RealAnswers.Refusing().ToString().TrimEnd('/'), more)), afterMs, "KILL");
            Assert.That(first.ExitCode, Is.EqualTo(128 + 9), first.Transcript);
        }

        /// <summary>Deletes, repeats or changes in place (one digit) a line in the middle of the longest journal, as a hand may; returns its path.</summary>
        public string EditTheLongestJournal(string change)
        {
            FileInfo journal = new DirectoryInfo(Path.Combine(_folder.Path, "spool", "journal")).EnumerateFiles("*.ndjson", SearchOption.AllDirectories)
                .OrderBy(file => file.Length).Last();
            var lines = File.ReadAllLines(journal.FullName).ToList();
            Assert.That(lines, Has.Count.GreaterThan(4), "a journal with lines to edit");
            int middle = lines.Count / 2;
            JournalLineEdits.Apply(lines, middle, change, line =>
            {
                int digit = line.IndexOfAny("0123456789".ToCharArray(), line.IndexOf("messageId", StringComparison.Ordinal));
                return line[..digit] + (line[digit] == '9' ? '8' : '9') + line[(digit + 1)..];
            });

            File.WriteAllText(journal.FullName, string.Concat(lines.Select(line => line + "\n")));
            return journal.FullName;
        }

        /// <summary>Flips a bit in the middle of the sealed file sealed first, cuts it to half or empties it (its checksum file left as it was), as a disk or a hand may; returns its path.</summary>
        public string DamageASealedFile(string damage)
        {
            FileInfo sealedFile = new DirectoryInfo(Path.Combine(_folder.Path, "spool", "sealed")).EnumerateFiles("*.gz", SearchOption.AllDirectories)
                .OrderBy(file => file.Name, StringComparer.Ordinal).First();
            byte[] bytes = File.ReadAllBytes(sealedFile.FullName);
            switch (damage)
            {
                case "flipped":
                    bytes[bytes.Length / 2] ^= 0x10;
                    break;
                case "cut":
                    bytes = bytes[..(bytes.Length / 2)];
                    break;
                default:
                    bytes = [];
                    break;
            }

            File.WriteAllBytes(sealedFile.FullName, bytes);
            return sealedFile.FullName;
        }

        /// <summary>Deletes the sealed file sealed first (leaving its checksum file), as a hand or a clean-up may; returns its path.</summary>
        public string DeleteASealedFile()
        {
            FileInfo sealedFile = new DirectoryInfo(Path.Combine(_folder.Path, "spool", "sealed")).EnumerateFiles("*.gz", SearchOption.AllDirectories)
                .OrderBy(file => file.Name, StringComparer.Ordinal).First();
            sealedFile.Delete();
            return sealedFile.FullName;
        }

        /// <summary>The one record file rawdata keeps in the spool.</summary>
        public string RecordFile() => Directory.EnumerateFiles(Path.Combine(_folder.Path, "spool", "rawdata-inputs")).Single();

        /// <summary>Asserts that the bucket holds every line of the file (and <paramref name="alsoSent"/>) once; <paramref name="how"/> says how the runs went, for the messages.</summary>
        public async Task AssertEveryLineOnceAsync(IEnumerable<string>? alsoSent = null, string? how = null)
        {
            List<string> ids = await RawdataPeers.MessageIdsAsync(Source);
            Assert.That(ids, Is.Unique, "nothing twice" + how);
            Assert.That(ids, Is.EquivalentTo(Ids().Concat(alsoSent ?? [])), "every line of the file" + how);
        }

        /// <summary>Starts the command with <paramref name="more"/> options, reading the file by <c>--input</c>, or as standard input redirected from it (<c>&lt; FILE</c>).</summary>
        public ShipRun Start(bool standardInput, params string[] more) => standardInput
            ? ShipRun.StartReading(Input, ShipStandardInput(RawdataPeers.S3Url, more))
            : ShipRun.Start(Ship(RawdataPeers.S3Url, more));

        /// <summary>Runs the command as <see cref="Start"/> does, to its end (bounded).</summary>
        public async Task<ShipRun> RunToTheEndAsync(bool standardInput, params string[] more)
        {
            ShipRun run = Start(standardInput, more);
            if (!standardInput)
            {
                await run.WriteAsync(string.Empty, close: true);
            }

            await run.WaitForExitAsync(TimeSpan.FromSeconds(90));
            return run;
        }

        public void Dispose() => _folder.Dispose();

        private string[] Command(string input, string s3Url, string[] more) =>
            RawdataPeers.Command("ship", s3Url, more: ["--source-id", Source, "--input", input, "--spool-dir", Path.Combine(_folder.Path, "spool"), .. more]);
    }
}
