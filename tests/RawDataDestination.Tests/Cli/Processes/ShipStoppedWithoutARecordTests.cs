namespace RawDataDestination.Tests.Cli.Processes;

/// <summary>
/// <c>rawdata ship</c> stopped where no record file reads its input on by itself (a pipe, or a file without
/// <c>--spool-dir</c>): its last line gives the line to go on from, exactly, and doing as it says delivers every line once;
/// or, without a spool once events it had taken were lost, it says that running it again sends the delivered ones twice,
/// how many, and that <c>--spool-dir</c> resumes exactly once: as it then does.
/// </summary>
[CancelAfter(240_000)]
public class ShipStoppedWithoutARecordTests
{
    /// <summary>The last line's way of naming where to go on from: <c>... send the input again from line K[, leaving out lines a, b (taken already)], ...</c>.</summary>
    private static readonly Regex GoOn = new(@"send the input again from line (\d+)(?:, leaving out lines? ([\d, ]+) \(taken already\))?, into the same command: ");

    [Test]
    public async Task ShipFromAPipe_StoppedWhileAnAppendWaitsForRoom_NamesTheLineReadButNotTakenAndSendingOnFromItDeliversEveryLineOnce()
    {
        // "Stopped by SIGTERM after 360 lines. 1 event read was not delivered.": resumed after line 360 as it read, line 360 was lost.
        const int Lines = 1000;
        string source = $"pipe-stop-{Guid.NewGuid():N}";
        string[] events = EventLines(Lines, source);
        var opened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var s3 = new FaultProxy(new Uri(RawdataPeers.S3Url), request => request.Method == "PUT" ? new ProxyDecision(ProxyAction.Forward) { Gate = opened.Task } : ProxyAction.Forward);
        string[] command = RawdataPeers.Command("ship", s3.ServiceUrl.ToString().TrimEnd('/'), more: ["--source-id", source, "--input", "-", "--max-batch-bytes", "4096", "--max-event-bytes", "1024", "--shutdown-timeout", "60s"]);

        long from;
        await using (ShipRun first = ShipRun.Start(command))
        {
            // Uploads wait: once the buffer holds as many batches as it may, an append waits for room, and the signal stops it.
            _ = first.WriteAsync(string.Concat(events.Select(line => line + "\n"))); // more than ship reads before it waits: left pending
            await first.WaitForLineAsync(line => line.StartsWith("status: no delivery has succeeded", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "deliveries are stuck");
            first.Signal("TERM");
            await first.WaitForLineAsync(line => line.StartsWith("status: stopping (SIGTERM", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the shutdown began");
            opened.SetResult(); // the shutdown delivers every batch the buffer took
            await first.WaitForExitAsync(TimeSpan.FromSeconds(90));

            string last = first.Stderr.TrimEnd().Split('\n')[^1];
            Assert.That((first.ExitCode, first.Count("not delivered")), Is.EqualTo((143, (long?)1)), "the append stopped is the one event not delivered\n" + first.Transcript);
            Match stoppedAfter = Regex.Match(last, @"^Stopped by SIGTERM after (\d+) lines\.");
            Match goOn = GoOn.Match(last);
            Assert.That((stoppedAfter.Success, goOn.Success), Is.EqualTo((true, true)), first.Transcript);
            from = long.Parse(goOn.Groups[1].Value, CultureInfo.InvariantCulture);
            Assert.That(last, Does.Contain($"Line {from} was read but not taken").And.Contain($"... | tail -n +{from} | rawdata ship ... --input -"), first.Transcript);
            Assert.That(from, Is.EqualTo(long.Parse(stoppedAfter.Groups[1].Value, CultureInfo.InvariantCulture)), "the last line read is the one not taken");
        }

        await SendOnAsync(command, events, from, []);
        await AssertEveryLineOnceAsync(source, Lines);
    }

    [Test]
    public async Task ShipFromAPipeWithASpool_StoppedBySigterm_NamesTheLineToGoOnFromAndSendingOnFromItDeliversEveryLineOnce()
    {
        const int Lines = 100_000;
        string source = $"pipe-spool-stop-{Guid.NewGuid():N}";
        string[] events = EventLines(Lines, source);
        using var spool = new TempDirectory("rawdata-pipe-spool-");
        string[] command = RawdataPeers.Command("ship", more: ["--source-id", source, "--input", "-", "--spool-dir", spool.Path, "--progress", "--max-batch-bytes", "1000000"]);

        long from;
        long[] leftOut;
        await using (ShipRun first = ShipRun.Start(command))
        {
            _ = first.WriteAsync(string.Concat(events.Select(line => line + "\n")));
            await first.WaitForLineAsync(line => line.StartsWith("acknowledged 20000", StringComparison.Ordinal), TimeSpan.FromSeconds(60), "20000 lines acknowledged");
            first.Signal("TERM");
            await first.WaitForExitAsync(TimeSpan.FromSeconds(60));

            string last = first.Stderr.TrimEnd().Split('\n')[^1];
            Match goOn = GoOn.Match(last);
            Assert.That((first.ExitCode, goOn.Success), Is.EqualTo((143, true)), "the last line gives the line to go on from\n" + first.Transcript);
            from = long.Parse(goOn.Groups[1].Value, CultureInfo.InvariantCulture);
            leftOut = goOn.Groups[2].Success ? [.. goOn.Groups[2].Value.Split(", ").Select(line => long.Parse(line, CultureInfo.InvariantCulture))] : [];
            Assert.That(from, Is.InRange(20_001, Lines), first.Transcript);
        }

        await SendOnAsync(command, events, from, leftOut);
        await AssertEveryLineOnceAsync(source, Lines);
    }

    [Test]
    public async Task ShipAFileWithoutASpool_StoppedAfterEventsItTookWereLost_SaysRunningItAgainSendsTheDeliveredOnesTwiceAndHowMany()
    {
        // It said only how many were not delivered: the same command, the only way to finish, then silently put every
        // event delivered in the bucket twice.
        const int Lines = 1000;
        using var test = new OwnInputFile("file-stop");
        var (source, _, input) = test;
        await File.WriteAllLinesAsync(input, EventLines(Lines, source));
        var never = new TaskCompletionSource(); // the uploads after the first two are never answered, nor forwarded
        int puts = 0;
        bool passing = false;
        await using var s3 = new FaultProxy(new Uri(RawdataPeers.S3Url), request =>
            request.Method != "PUT" || Volatile.Read(ref passing) || Interlocked.Increment(ref puts) <= 2 ? ProxyAction.Forward : new ProxyDecision(ProxyAction.Forward) { Gate = never.Task });
        string[] command = RawdataPeers.Command("ship", s3.ServiceUrl.ToString().TrimEnd('/'), more: ["--source-id", source, "--input", input, "--max-batch-bytes", "4096", "--max-event-bytes", "1024", "--shutdown-timeout", "3s"]);

        long twice;
        await using (ShipRun first = ShipRun.Start(command))
        {
            await first.WriteAsync(string.Empty, close: true);
            await first.WaitForLineAsync(line => line.StartsWith("status: no delivery has succeeded", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "deliveries are stuck");
            first.Signal("TERM");
            await first.WaitForExitAsync(TimeSpan.FromSeconds(60));

            string last = first.Stderr.TrimEnd().Split('\n')[^1];
            Match said = Regex.Match(last, $@"Without --spool-dir no line can be resumed from: .* Running the same command again sends every line of --input '{Regex.Escape(input)}' again, from line 1: the (\d+) events? delivered would then be in the bucket twice.*\. To be able to resume exactly once, ship with --spool-dir DIR\.$");
            Assert.That((first.ExitCode, said.Success), Is.EqualTo((143, true)), first.Transcript);
            twice = long.Parse(said.Groups[1].Value, CultureInfo.InvariantCulture);
            Assert.That(twice, Is.EqualTo(first.Count("events delivered")).And.GreaterThan(0), first.Transcript);
        }

        Volatile.Write(ref passing, true);
        await using (ShipRun again = ShipRun.Start(command))
        {
            await again.WriteAsync(string.Empty, close: true);
            await again.WaitForExitAsync(TimeSpan.FromSeconds(90));
            Assert.That(again.ExitCode, Is.EqualTo(0), again.Transcript);
        }

        List<string> ids = await RawdataPeers.MessageIdsAsync(source);
        Assert.That(ids.Distinct(), Is.EquivalentTo(Enumerable.Range(0, Lines).Select(i => $"{source}-{i}")), "every line");
        Assert.That(ids.Count - ids.Distinct().Count(), Is.EqualTo(twice), "as many in the bucket twice as the last line said");
    }

    [Test]
    public async Task ShipAFileWithoutASpool_GivingUpWithNothingDelivered_SaysToRunItAgainWithoutCountingZeroEventsTwice()
    {
        // QA: "the 0 events delivered would then be in the bucket twice": with none delivered, running it again is right.
        using var test = new OwnInputFile("file-none");
        var (source, _, input) = test;
        await File.WriteAllLinesAsync(input, EventLines(300, source));
        string refusing = RealAnswers.Refusing().ToString().TrimEnd('/');
        await using ShipRun run = ShipRun.Start(RawdataPeers.Command("ship", refusing, more: ["--source-id", source, "--input", input, "--max-batch-bytes", "4096", "--max-event-bytes", "1024", "--retry-time-limit", "2s", "--shutdown-timeout", "2s"]));
        await run.WriteAsync(string.Empty, close: true);
        await run.WaitForExitAsync(TimeSpan.FromSeconds(90));

        string last = run.Stderr.TrimEnd().Split('\n')[^1];
        Assert.That((run.ExitCode, run.Count("events delivered")), Is.EqualTo((1, (long?)0)), run.Transcript);
        Assert.That(last, Does.Contain($"Running the same command again sends every line of --input '{input}' again, from line 1. To be able to resume exactly once, ship with --spool-dir DIR.").And.Not.Contain("twice"), run.Transcript);
    }

    /// <summary>Lines of events with message ids <c>{prefix}-0</c>, <c>{prefix}-1</c>, ...: line n holds id n - 1.</summary>
    private static string[] EventLines(int count, string prefix) => ShipRun.Events(count, prefix).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Sends <paramref name="events"/> from line <paramref name="from"/> on, but <paramref name="leftOut"/>, into the command, as the last line says; it must deliver them.</summary>
    private static async Task SendOnAsync(string[] command, string[] events, long from, long[] leftOut)
    {
        await using ShipRun again = ShipRun.Start(command);
        await again.WriteAsync(string.Concat(events.Select((line, i) => (Line: line, Number: i + 1L)).Where(line => line.Number >= from && !leftOut.Contains(line.Number)).Select(line => line.Line + "\n")), close: true);
        await again.WaitForExitAsync(TimeSpan.FromSeconds(90));
        Assert.That(again.ExitCode, Is.EqualTo(0), again.Transcript);
    }

    private static async Task AssertEveryLineOnceAsync(string source, int lines)
    {
        List<string> ids = await RawdataPeers.MessageIdsAsync(source);
        Assert.That(ids, Is.Unique, "nothing twice");
        Assert.That(ids, Is.EquivalentTo(Enumerable.Range(0, lines).Select(i => $"{source}-{i}")), "every line, none lost");
    }
}
