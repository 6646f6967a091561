namespace RawDataDestination.Tests.Cli.Processes;

/// <summary>
/// <c>rawdata ship</c>'s sentences say a count of 1 in the singular ("1 event", "1 line", "1 batch"), never "1 events" or
/// "event(s)", while the summary's labels (<c>objects written:</c>) stay as scripts read them.
/// </summary>
[CancelAfter(120_000)]
public class ShipCountWordsTests
{
    [Test]
    public async Task Ship_OneEventDelivered_NamesItsObjectWithOneEventAndKeepsTheSummaryLabels()
    {
        string source = $"one-event-{Guid.NewGuid():N}";
        await using ShipRun run = ShipRun.Start(RawdataPeers.Ship(source));
        await run.WriteAsync(ShipRun.Events(1, "one"), close: true);
        await run.WaitForExitAsync(TimeSpan.FromSeconds(90));

        string context = run.Transcript;
        Assert.That(run.ExitCode, Is.EqualTo(0), context);
        Assert.That((run.Count("events read"), run.Count("events delivered"), run.Count("objects written")), Is.EqualTo(((long?)1, (long?)1, (long?)1)), "the labels as scripts read them\n" + context);
        Assert.That(run.Stdout, Does.Match(@"\n  s3://\S+ \(1 event, \d+ bytes\)\n"), "the object's line, 1 event in the singular\n" + context);
        Assert.That(run.Stdout + run.Stderr, Does.Not.Contain("1 events").And.Not.Contain("(s)").And.Not.Contain("(es)"), context);
    }

    [TestCaseSource(typeof(StopSignals), nameof(StopSignals.Names))]
    public async Task Ship_StoppedWithOneEventInTheSpool_SaysOneLineAndOneEventInTheSingular(string signal)
    {
        // "Stopped by SIGTERM after 1 line(s). 1 event(s) stay in the spool", and "1 event(s) not delivered yet; ... 0 object(s) written".
        using var spool = new TempDirectory("rawdata-one-event-spool-");
        string refusing = RealAnswers.Refusing().ToString().TrimEnd('/');
        await using ShipRun run = ShipRun.Start(RawdataPeers.Command(
            "ship", refusing, RawdataPeers.StsUrl, ["--source-id", $"one-stopped-{Guid.NewGuid():N}", "--spool-dir", spool.Path, "--shutdown-timeout", "2s"]));
        await run.WriteAsync(ShipRun.Events(1, "one"), close: true);
        await run.WaitForLineAsync(line => line.StartsWith("status: no delivery has succeeded", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "a status line: the upload fails");

        run.Signal(signal);
        await run.WaitForExitAsync(TimeSpan.FromSeconds(60));

        string context = run.Transcript;
        Assert.That(run.ExitCode, Is.EqualTo(StopSignals.ExitCode(signal)), context);
        Assert.That(run.Count("events spooled"), Is.EqualTo(1), context);
        Assert.That(run.Stderr, Does.Match(@"status: no delivery has succeeded for .*; \d+ uploading, \d+ failing, \d+ refused, 0 objects written(, 1 batch in the spool)?; "), context);
        Assert.That(run.Stderr, Does.Contain($"status: stopping (SIG{signal}): 1 event not delivered yet; "), context);
        Assert.That(run.Stderr, Does.Contain($"Stopped by SIG{signal} after 1 line. 1 event stays in the spool '{spool.Path}': run ship again with --spool-dir '{spool.Path}' to deliver it."), context);
        Assert.That(run.Stdout + run.Stderr, Does.Not.Contain("(s)").And.Not.Contain("(es)"), context);
    }
}
