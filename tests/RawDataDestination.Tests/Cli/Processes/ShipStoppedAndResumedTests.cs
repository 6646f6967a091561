namespace RawDataDestination.Tests.Cli.Processes;

/// <summary>
/// <c>rawdata ship</c> stopped (Ctrl+Z, <c>kill -STOP</c>) for longer than its <c>--retry-time-limit</c> while an upload
/// was under way, then resumed (<c>fg</c>, <c>kill -CONT</c>): the time it was stopped is not S3 failing, so it goes on
/// delivering instead of giving up at once.
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
}
