namespace RawDataDestination.Tests.Cli.Processes;

/// <summary>
/// <c>rawdata ship</c> stops when asked, in every state: SIGINT and SIGTERM while STS or S3 never answers or refuses
/// connections, and during the staging copier pass. Each run ends within --shutdown-timeout plus 10 s, with exit 130 or
/// 143, and prints counts that add up: read = delivered + staged + rejected + spooled + not delivered.
/// </summary>
[Parallelizable(ParallelScope.None)]
public class ShipStopsWhenAskedTests
{
    private const int ShutdownSeconds = 3;
    /// <summary>Good events per run; with one bad line, 1000 lines: ship prints "acknowledged 1000" once all are read.</summary>
    private const int Events = 999;

    /// <summary>
    /// What stops ship as SIGINT does: SIGTERM, and SIGHUP (the terminal closed, the SSH session ended), which killed the
    /// run at once, with no counts and, without a spool, what it held in memory.
    /// </summary>
    private static readonly string[] ShipStopSignals = [.. StopSignals.Names, "HUP"];

    /// <summary>The acceptance bound: --shutdown-timeout plus 10 s.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(ShutdownSeconds + 10);

    public enum Fault
    {
        StsSilent,
        StsRefusing,
        S3Silent,
        S3Refusing,
    }

    private static string[] Ship(string s3Url, string stsUrl, string source, params string[] more) =>
        RawdataPeers.Command("ship", s3Url, stsUrl, ["--source-id", source, "--max-batch-bytes", "4096", "--max-event-bytes", "1024", "--shutdown-timeout", $"{ShutdownSeconds}s", .. more]);

    /// <summary>Starts ship against the fault, with its input open, and waits until it has read everything and its deliveries are stuck.</summary>
    private static async Task<(ShipRun Run, IAsyncDisposable Endpoint, string? Spool)> StartStuckAsync(Fault fault, string prefix)
    {
        var silent = new SilentEndpoint();
        string refusing = RealAnswers.Refusing().ToString().TrimEnd('/');
        (string s3, string sts) = fault switch
        {
            Fault.StsSilent => (RawdataPeers.S3Url, silent.Url),
            Fault.StsRefusing => (RawdataPeers.S3Url, refusing),
            Fault.S3Silent => (silent.Url, RawdataPeers.StsUrl),
            _ => (refusing, RawdataPeers.StsUrl),
        };

        // With a spool where connections are refused, to show the spooled count; without one where they hang.
        string? spool = fault is Fault.StsRefusing or Fault.S3Refusing ? Directory.CreateTempSubdirectory("rawdata-stop-").FullName : null;
        string[] more = spool is null ? ["--progress"] : ["--progress", "--spool-dir", spool];
        ShipRun run = ShipRun.Start(Ship(s3, sts, $"{prefix}-{Guid.NewGuid():N}", more));
        await run.WriteAsync(ShipRun.Events(Events, prefix) + "not json\n");

        // Stuck: uploads hang or fail, and once the buffer holds as many batches as it may, appends wait for room too.
        await run.WaitForLineAsync(line => line.StartsWith("status: no delivery has succeeded", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "a status line: deliveries are stuck");
        return (run, silent, spool);
    }

    private static void DeleteSpool(string? spool)
    {
        if (spool is not null)
        {
            Directory.Delete(spool, recursive: true);
        }
    }

    [Test]
    [CancelAfter(120_000)]
    [Combinatorial]
    public async Task Ship_SignalledWhileDeliveriesAreStuck_EndsWithinTheShutdownTimeoutWithItsExitCodeAndCountsThatAddUp(
        [ValueSource(nameof(ShipStopSignals))] string signal,
        [Values] Fault fault)
    {
        (ShipRun run, IAsyncDisposable endpoint, string? spool) = await StartStuckAsync(fault, "stuck");
        await using (run)
        await using (endpoint)
        {
            try
            {
                run.Signal(signal);
                TimeSpan took = await run.WaitForExitAsync(Bound + TimeSpan.FromSeconds(30));

                Assert.That(took, Is.LessThan(Bound), "within --shutdown-timeout + 10 s\n" + run.Stderr);
                Assert.That(run.ExitCode, Is.EqualTo(128 + Signals.Number(signal)), run.Stderr);
                Assert.That(run.Stderr, Does.Contain($"SIG{signal} received"));
                Assert.That(run.Stderr, Does.Contain("status: stopping (SIG").And.Contain($"(--shutdown-timeout {ShutdownSeconds} s)"), "after a signal, the status says the shutdown deadline");
                long read = run.AssertCountsAddUp();
                Assert.That(read, Is.InRange(1, Events + 1));
                Assert.That(run.Count("events delivered"), Is.Zero);
                if (spool is not null)
                {
                    Assert.That(run.Count("events spooled"), Is.GreaterThan(0), "the accepted events stay in the spool");
                }
            }
            finally
            {
                DeleteSpool(spool);
            }
        }
    }

    [TestCaseSource(typeof(StopSignals), nameof(StopSignals.WithExitCodes))]
    [TestCase("TERM", 143, "HUP")] // kill -TERM, then the terminal closes: it said "SIGHUP received again", a signal never received before
    [CancelAfter(120_000)]
    public async Task Ship_SignalledTwice_QuitsAtOnceAndStillPrintsCountsThatAddUp(string signal, int exitCode, string? second = null)
    {
        (ShipRun run, IAsyncDisposable endpoint, string? spool) = await StartStuckAsync(Fault.StsSilent, "twice");
        await using (run)
        await using (endpoint)
        {
            run.Signal(signal);
            await run.WaitForLineAsync(line => line.Contains($"SIG{signal} received:", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "the first signal's notice");
            run.Signal(second ?? signal);
            TimeSpan took = await run.WaitForExitAsync(Bound + TimeSpan.FromSeconds(30));

            Assert.That(took, Is.LessThan(TimeSpan.FromSeconds(ShutdownSeconds)), "the second signal does not wait for the shutdown timeout\n" + run.Stderr);
            Assert.That(run.ExitCode, Is.EqualTo(exitCode), "the first signal's code\n" + run.Stderr);
            Assert.That(run.Stderr, Does.Contain(second is null
                ? $"SIG{signal} received again: quitting now"
                : $"SIG{second} received while the stop asked for by SIG{signal} is under way: quitting now, with the counts.").And.Not.Contain($"SIG{second} received again"), run.Stderr);
            run.AssertCountsAddUp();
            Assert.That(run.Stdout, Does.Match(@"(?m)^uploading: +\d+ batch(es)? of the events not delivered (was|were) being uploaded when ship stopped waiting: (it|they) may be in the bucket all the same$"),
                "the uploads it stopped waiting for are counted as not delivered, and may land before the process ends: the summary says so\n" + run.Stdout);
            DeleteSpool(spool);
        }
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Ship_WithoutASpoolSignalledTwiceWhileAnUploadIsUnderWay_SaysWhichEventsMayBeInTheBucketAndWhichSurelyAreNot()
    {
        // Six days of 10 events: six batches, the first one's PUT held by S3 (it would land once S3 answers), the other
        // five waiting for their turn. Quit by a second Ctrl+C: the summary counted all 60 "not delivered", with no word
        // that the 10 under way may land (QA: 9,440 of those did); only a line of batches said so, and the advice counted
        // batches. Now 10 may be in the bucket, the other 50 surely are not, and sending the input again says up to 10 more.
        const int Days = 6;
        const int PerDay = 10;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var s3 = new FaultProxy(new Uri(RawdataPeers.S3Url), request =>
        {
            if (request.Method != "PUT")
            {
                return ProxyAction.Forward;
            }

            held.TrySetResult();
            return new ProxyDecision(ProxyAction.Forward) { Gate = release.Task };
        });
        await using ShipRun run = ShipRun.Start(Ship(s3.ServiceUrl.ToString(), RawdataPeers.StsUrl, $"underway-{Guid.NewGuid():N}"));
        await run.WriteAsync(string.Concat(Enumerable.Range(0, Days * PerDay).Select(i =>
            $"{{\"type\":\"track\",\"messageId\":\"underway-{i}\",\"receivedAt\":\"2023-11-{10 + (i / PerDay)}T10:00:00.000Z\"}}\n")), close: true);
        await held.Task.WaitAsync(TimeSpan.FromSeconds(60));

        run.Signal("INT");
        await run.WaitForLineAsync(line => line.StartsWith("SIGINT received:", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "the first signal's notice");
        run.Signal("INT");
        await run.WaitForExitAsync(TimeSpan.FromSeconds(60));
        release.TrySetResult();

        string context = run.Transcript;
        Assert.That(s3.Log.Count(entry => entry.Request.Method == "PUT"), Is.EqualTo(1), "one PUT, under way\n" + context);
        Assert.That(run.ExitCode, Is.EqualTo(130), context);
        Assert.That(run.AssertCountsAddUp(), Is.EqualTo(Days * PerDay));
        Assert.That(run.Stdout, Does.Contain("not delivered:    60 (read, but not delivered when ship stopped; without --spool-dir nothing keeps them. 10 of them may be in the bucket all the same: their upload was under way when ship stopped waiting, so shipping them again may store them twice; the other 50 surely are not)"), context);
        Assert.That(run.Stdout, Does.Contain("uploading:        1 batch of the events not delivered was being uploaded when ship stopped waiting: it may be in the bucket all the same"), context);
        Assert.That(run.Stderr, Does.Contain("60 events read were not delivered (no --spool-dir to keep them). Of those, 10 events may be in the bucket all the same: their upload was under way when ship stopped waiting; the other 50 surely are not."), context);
        Assert.That(run.Stderr, Does.Contain("read again: up to 10 events, those that may be in the bucket, would then be in it twice.").And.Not.Contain("the 0 events"), "the advice counts the same 10\n" + context);
    }

    [TestCaseSource(typeof(StopSignals), nameof(StopSignals.WithExitCodes))]
    [CancelAfter(120_000)]
    public async Task ShipWithAStage_SignalledDuringTheCopierPass_EndsWithinTheShutdownTimeoutLeavingTheEventsStaged(string signal, int exitCode)
    {
        // The staging bucket takes every batch; the customer's S3 never answers, so the copier pass hangs on its first PUT.
        string stage = await RawdataPeers.NewBucketAsync("stage");
        await using var silent = new SilentEndpoint();
        await using ShipRun run = ShipRun.Start(
        [
            .. Ship(silent.Url, RawdataPeers.StsUrl, $"pass-{Guid.NewGuid():N}"),
            "--stage-bucket", stage, "--stage-endpoint-url", RawdataPeers.S3Url,
        ]);
        await run.WriteAsync(ShipRun.Events(Events, "pass"), close: true);
        await run.WaitForLineAsync(line => line.StartsWith($"Staged {Events} events; copying them", StringComparison.Ordinal), TimeSpan.FromSeconds(60), "the copier pass started");

        run.Signal(signal);
        TimeSpan took = await run.WaitForExitAsync(Bound + TimeSpan.FromSeconds(30));

        Assert.That(took, Is.LessThan(Bound), "within --shutdown-timeout + 10 s\n" + run.Stderr);
        Assert.That(run.ExitCode, Is.EqualTo(exitCode), run.Stderr);
        Assert.That(run.AssertCountsAddUp(), Is.EqualTo(Events));
        Assert.That(run.Count("events staged"), Is.EqualTo(Events), "nothing reached the customer: everything stays staged");
        Assert.That(run.Stderr, Does.Match(StaysStagedUntil("The copier pass was stopped; what it did not deliver stays staged")), run.Stderr);
        Assert.That(await RawdataPeers.KeysAsync(stage), Is.Not.Empty, "the staged batches are still there");
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task ShipWithAStageFromAPipe_SignalledBeforeItsInputEnded_SaysEveryLineReadWasStagedNotDelivered()
    {
        // QA: "Every line read was taken (and delivered)" after a stop that delivered nothing: the events were only staged
        // (a signal skips the copier pass), and "events delivered: 0" said so two lines above.
        string stage = await RawdataPeers.NewBucketAsync("stage");
        await using ShipRun run = ShipRun.Start(
        [
            .. Ship(RawdataPeers.S3Url, RawdataPeers.StsUrl, $"staged-stop-{Guid.NewGuid():N}", "--progress"),
            "--stage-bucket", stage, "--stage-endpoint-url", RawdataPeers.S3Url,
        ]);
        await run.WriteAsync(ShipRun.Events(1000, "stagedstop")); // the pipe stays open: ship waits for more
        await run.WaitForLineAsync(line => line == "acknowledged 1000", TimeSpan.FromSeconds(60), "every line taken");

        run.Signal("TERM");
        await run.WaitForExitAsync(Bound + TimeSpan.FromSeconds(30));

        string last = run.Stderr.TrimEnd().Split('\n')[^1];
        Assert.That((run.ExitCode, run.Count("events delivered"), run.Count("events staged")), Is.EqualTo((143, (long?)0, (long?)1000)), run.Transcript);
        Assert.That(last, Does.Contain("Every line read was taken (and staged): to go on, send the input again from line 1001").And.Not.Contain("delivered)"), run.Transcript);
        Assert.That(last, Does.Match(StaysStagedUntil("1000 events stay in the staging bucket")), "the last line says by when to run deliver-staged, as the copier pass's lines do\n" + run.Transcript);
    }

    /// <summary>
    /// What ship says of events left staged, and by when, in one wording wherever it says it: <paramref name="what"/>,
    /// then for deliver-staged to run within the stage's retention, its end, and what happens past it.
    /// </summary>
    private static string StaysStagedUntil(string what) =>
        Regex.Escape(what) + @" for 'rawdata deliver-staged', to run within 7 days of staging, by \d{4}-\d\d-\d\d \d\d:\d\d UTC for the batches this run staged; "
        + Regex.Escape("past that, it tries each batch once more and deletes those the customer's bucket still refuses.");

    [TestCaseSource(typeof(StopSignals), nameof(StopSignals.WithExitCodes))]
    [CancelAfter(120_000)]
    public async Task DeliverStaged_SignalledWhileTheCustomerNeverAnswers_EndsAtOnceWithWhatItDeliveredAndEverythingStillStaged(string signal, int exitCode)
    {
        // Stage a few batches: ship's copier pass meets a customer that never answers, and a signal stops it.
        string stage = await RawdataPeers.NewBucketAsync("stage");
        await using var silent = new SilentEndpoint();
        string[] stageOptions = ["--stage-bucket", stage, "--stage-endpoint-url", RawdataPeers.S3Url];
        await using (ShipRun ship = ShipRun.Start([.. Ship(silent.Url, RawdataPeers.StsUrl, $"drain-{Guid.NewGuid():N}"), .. stageOptions]))
        {
            await ship.WriteAsync(ShipRun.Events(200, "drain"), close: true);
            await ship.WaitForLineAsync(line => line.StartsWith("Staged 200 events", StringComparison.Ordinal), TimeSpan.FromSeconds(60), "staged");
            ship.Signal("INT");
            await ship.WaitForExitAsync(Bound + TimeSpan.FromSeconds(30));
        }

        IReadOnlyList<string> staged = await RawdataPeers.KeysAsync(stage);
        await using ShipRun run = ShipRun.Start(RawdataPeers.Command("deliver-staged", silent.Url, more: stageOptions));
        await run.WaitForLineAsync(line => line.StartsWith("staging prefix:", StringComparison.Ordinal), TimeSpan.FromSeconds(60), "the copier started");
        run.Signal(signal);
        TimeSpan took = await run.WaitForExitAsync(Bound + TimeSpan.FromSeconds(30));

        Assert.That(took, Is.LessThan(Bound), run.Stderr);
        Assert.That(run.ExitCode, Is.EqualTo(exitCode), run.Stderr);
        Assert.That(run.Count("events delivered"), Is.Zero, run.Stdout);
        Assert.That(run.Stderr, Does.Contain($"SIG{signal} received: stopping the copies; what is not delivered stays staged").And.Not.Contain("sealing"), "deliver-staged reads nothing and seals nothing: the notice says what it does");
        Assert.That(run.Stderr, Does.Contain($"Stopped by SIG{signal}: what was not delivered stays staged"));
        Assert.That(await RawdataPeers.KeysAsync(stage), Is.EquivalentTo(staged), "nothing staged was lost");
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Ship_SignalledWhileStsNeverAnswers_TheBufferItselfStopsWithinTheShutdownTimeout()
    {
        // ship ends in time either way (it stops waiting for a buffer that overruns its shutdown timeout); this asks
        // that the buffer itself, with AssumeRole cancellable, stops in time.
        (ShipRun run, IAsyncDisposable endpoint, string? spool) = await StartStuckAsync(Fault.StsSilent, "bounded");
        await using (run)
        await using (endpoint)
        {
            run.Signal("TERM");
            await run.WaitForExitAsync(Bound + TimeSpan.FromSeconds(30));

            Assert.That(run.Stderr, Does.Not.Contain("The buffer did not stop within"));
            run.AssertCountsAddUp();
            DeleteSpool(spool);
        }
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Ship_WhileAnUploadHasNoAnswer_TheStatusLineSaysWhetherItWaitsForStsOrForS3(
        [Values(Fault.StsSilent, Fault.S3Silent)] Fault fault)
    {
        // No error is recorded while the upload waits: the line says what it waits for, so that an operator checks STS
        // when AssumeRole is what hangs (it said "the upload is still waiting for an answer" either way).
        (ShipRun run, IAsyncDisposable endpoint, string? spool) = await StartStuckAsync(fault, "waits");
        await using (run)
        await using (endpoint)
        {
            string line = run.Stderr.Split('\n').First(line => line.StartsWith("status: no delivery has succeeded", StringComparison.Ordinal));
            run.Signal("TERM");
            await run.WaitForExitAsync(Bound + TimeSpan.FromSeconds(30));

            Assert.That(line, fault == Fault.StsSilent
                ? Does.Contain("the customer's role is not assumed yet, so the upload is waiting for STS AssumeRole to answer").And.Contain("--sts-endpoint-url")
                : Does.Contain("the upload is still waiting for an answer").And.Not.Contain("STS"));
            DeleteSpool(spool);
        }
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Ship_WhenStsNeverAnswers_GivesUpAfterTheRetryTimeLimitAndExitsOne()
    {
        await using var silent = new SilentEndpoint();
        await using ShipRun run = ShipRun.Start(Ship(RawdataPeers.S3Url, silent.Url, $"budget-{Guid.NewGuid():N}", "--retry-time-limit", "5s"));
        await run.WriteAsync(ShipRun.Events(20, "budget"), close: true);

        TimeSpan took = await run.WaitForExitAsync(TimeSpan.FromSeconds(5 + ShutdownSeconds + 40));

        Assert.That(took, Is.LessThan(TimeSpan.FromSeconds(5 + ShutdownSeconds + 10)), run.Stderr);
        Assert.That(run.ExitCode, Is.EqualTo(1), run.Stderr);
        string givingUp = run.Stderr.Split('\n').Single(line => line.StartsWith("status: giving up", StringComparison.Ordinal));
        Assert.That(givingUp, Does.Contain("the customer's role was never assumed: STS AssumeRole never answered"), "the line that gives up already names STS");
        string failed = run.Stderr.Split('\n').Single(line => line.StartsWith("Delivery failed: ", StringComparison.Ordinal));
        Assert.That(failed, Does.Contain("STS"), "the cause is STS, which never answered, not S3");
        Assert.That(run.AssertCountsAddUp(), Is.EqualTo(20));
    }
}
