namespace RawDataDestination.Tests.Cli.Processes;

/// <summary>
/// <c>rawdata ship</c> stopped (Ctrl+Z, <c>kill -STOP</c>) for longer than its <c>--retry-time-limit</c> while an upload
/// was under way, then resumed (<c>fg</c>, <c>kill -CONT</c>): the time it was stopped is not S3 failing, so it goes on
/// delivering instead of giving up at once; and stopped so while it stops (after a Ctrl+C), for longer than its
/// <c>--shutdown-timeout</c>: the time stopped is not time waited for deliveries, so it goes on waiting once resumed.
/// </summary>
[CancelAfter(90_000)]
public class ShipStoppedAndResumedTests
{
    [Test]
    public async Task Ship_StoppedLongerThanItsRetryTimeLimitMidUpload_DeliversOnceResumedWithoutGivingUp()
    {
        // The first PUT is never answered; the process is stopped while it waits, for 8 s (the limit is 5 s), then
        // resumed: the attempt has timed out meanwhile, and its retry is answered. It said "status: giving up: no delivery
        // has succeeded for 8 s" and exited 1, the event not delivered. (The stop counts as 1 s: the retry after it has
        // the rest of the limit, room for a loaded machine; with a 2 s limit it once took longer than 1 s under load.)
        var firstPut = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var s3 = new FaultProxy(new Uri(RawdataPeers.S3Url), request =>
            request.Method == "PUT" && firstPut.TrySetResult() ? ProxyAction.Stall : ProxyAction.Forward);
        string sourceId = $"resumed-{Guid.NewGuid():N}";
        string[] arguments = RawdataPeers.Command("ship", s3.ServiceUrl.ToString(), RawdataPeers.StsUrl, ["--source-id", sourceId, "--retry-time-limit", "5s"]);
        using System.Diagnostics.Process process = RawdataProgram.Start(arguments, RawdataPeers.ServiceCredentials);
        Task<(int ExitCode, string Stdout, string Stderr)> run = RawdataProgram.RunToEndAsync(process, "{\"type\":\"track\",\"messageId\":\"resumed-1\"}\n");

        await firstPut.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(Signals.Send(process, "STOP"), Is.True, "stopped while its first upload waits for an answer");
        await Task.Delay(TimeSpan.FromSeconds(8)); // real time: the stop has to outlast the limit on the system's clock
        Signals.Send(process, "CONT");
        var (exitCode, stdout, stderr) = await run.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.That(stderr, Does.Not.Contain("giving up"), stderr);
        Assert.That(exitCode, Is.EqualTo(0), stdout + stderr);
        Assert.That(await RawdataPeers.MessageIdsAsync(sourceId), Is.EqualTo(new[] { "resumed-1" }), stdout + stderr);
        Assert.That(stdout, Does.Contain("events delivered: 1"), stdout);
    }

    [Test]
    public async Task Ship_StoppedLongerThanWhatIsLeftOfItsShutdownTimeoutWhileStopping_GoesOnWaitingForDeliveriesOnceResumed()
    {
        // SIGINT while the only upload never answers: the stop waits up to --shutdown-timeout 15 s for it. At its second
        // status line (10 s in: the countdown surely started), stopped for 10 s, longer than the 5 s left and the 3 s ship
        // gives the buffer past them, then resumed: it said "The buffer did not stop within --shutdown-timeout 15 s (and
        // 3 s more)" at once and quit, the deadlines being timers that fired as it resumed. The stop counts as 1 s: about
        // 4 s of waiting are left.
        const int ShutdownSeconds = 15;
        await using var silent = new SilentEndpoint();
        await using ShipRun run = ShipRun.Start(RawdataPeers.Command("ship", silent.Url, RawdataPeers.StsUrl, ["--source-id", $"stopping-{Guid.NewGuid():N}", "--shutdown-timeout", $"{ShutdownSeconds}s", "--progress"]));
        await run.WriteAsync(ShipRun.Events(10, "stopping"), close: true);
        await run.WaitForLineAsync(line => line == "acknowledged 10", TimeSpan.FromSeconds(30), "every line read");

        run.Signal("INT");
        await run.WaitForLineAsync(line => line.StartsWith("status: stopping: ", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the stop's second status line, 10 s into its countdown");
        run.Signal("STOP");
        await Task.Delay(TimeSpan.FromSeconds(10)); // real time: the stop has to outlast what is left of the timeout and its grace on the system's clock
        var resumed = Stopwatch.StartNew();
        run.Signal("CONT");
        await run.WaitForExitAsync(TimeSpan.FromSeconds(60));
        TimeSpan waitedOnceResumed = resumed.Elapsed;

        Assert.That(run.Stderr, Does.Not.Contain("did not stop within"), run.Transcript);
        Assert.That(waitedOnceResumed, Is.GreaterThan(TimeSpan.FromSeconds(2)), "it goes on waiting for the upload, for what is left of --shutdown-timeout\n" + run.Transcript);
        Assert.That(run.ExitCode, Is.EqualTo(130), run.Transcript);
        Assert.That(run.AssertCountsAddUp(), Is.EqualTo(10));
    }
}
