namespace RawDataDestination.Tests.Cli.Processes;

/// <summary>
/// <c>rawdata verify</c> and <c>rawdata deliver-staged</c> with a standard output that refuses writes: a full disk
/// (<c>&gt; /dev/full</c>) or a pipe whose reader went away (<c>| head -1</c>). Both ended in "rawdata: unexpected error
/// (IOException)" and exit 1 at their first line, before the check or the copies ran. As ship does, the work goes on, its
/// exit code is the work's, and one stderr line says that standard output could not be written.
/// </summary>
[CancelAfter(180_000)]
public class ReportsToUnwritableStandardOutputTests
{
    private const string Full = "/dev/full";

    /// <summary>How long a run may take before the test kills it and fails.</summary>
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    [TestCase(StandardOutputFault.FullDisk, "No space left on device")]
    [TestCase(StandardOutputFault.ReaderGone, "its reader is gone: broken pipe")]
    public async Task Verify_WithStandardOutputRefusingWrites_ChecksExitsZeroAndSaysSoInOneLine(StandardOutputFault output, string why)
    {
        await using ShipRun run = await RunAsync(output, RawdataPeers.Command("verify"));

        string context = run.Transcript;
        Assert.That(run.ExitCode, Is.EqualTo(0), "the check passed: its exit code, not the report's\n" + context);
        Assert.That(run.Stderr, Is.EqualTo(
            $"Standard output can't be written ({why}), so the report of verify is missing or cut short: the destination will work. "
            + "The exit code says how the check went." + Environment.NewLine), "one line on stderr, naming standard output\n" + context);
    }

    [TestCase(StandardOutputFault.FullDisk, "No space left on device")]
    [TestCase(StandardOutputFault.ReaderGone, "its reader is gone: broken pipe")]
    public async Task DeliverStaged_WithStandardOutputRefusingWrites_DeliversExitsZeroAndSaysSoInOneLine(StandardOutputFault output, string why)
    {
        string stage = await RawdataPeers.NewBucketAsync("stage");
        string source = $"report-{output}-{Guid.NewGuid():N}".ToLowerInvariant();
        string[] staging = ["--stage-bucket", stage, "--stage-endpoint-url", RawdataPeers.S3Url];
        await using (var refusing = new FaultProxy(new Uri(RawdataPeers.S3Url), _ => ProxyAction.AccessDenied))
        {
            // Staged while the customer's bucket refuses every write: the batches stay staged for deliver-staged.
            await using ShipRun ship = ShipRun.Start(RawdataPeers.Command("ship", refusing.ServiceUrl.ToString(), more: ["--source-id", source, "--retry-time-limit", "3s", .. staging]));
            await ship.WriteAsync(ShipRun.Events(30, "s"), close: true);
            await ship.WaitForExitAsync(Limit);
            Assert.That((ship.ExitCode, ship.Count("events staged")), Is.EqualTo((0, (long?)30)), ship.Transcript);
        }

        await using ShipRun run = await RunAsync(output, RawdataPeers.Command("deliver-staged", more: staging));

        string context = run.Transcript;
        Assert.That(run.ExitCode, Is.EqualTo(0), "every staged batch delivered: the delivery's exit code, not the report's\n" + context);
        Assert.That(run.Stderr, Does.Match(
            $"^Standard output can't be written \\({Regex.Escape(why)}\\), so the report of deliver-staged is missing or cut short: events delivered 30, objects written [1-9][0-9]*, "
            + "batches parked 0, failing 0, expired 0\\. The exit code says how the delivery went\\.\\r?\\n$"), "one line on stderr, naming standard output, with the counts\n" + context);
        Assert.That(await RawdataPeers.MessageIdsAsync(source), Is.EquivalentTo(Enumerable.Range(0, 30).Select(i => $"s-{i}")), context);
    }

    /// <summary>Runs rawdata to its end (bounded), its standard output on a full disk or a pipe nobody reads.</summary>
    private static async Task<ShipRun> RunAsync(StandardOutputFault output, string[] arguments)
    {
        if (output == StandardOutputFault.FullDisk && !File.Exists(Full))
        {
            Assert.Ignore($"needs {Full}, a device whose every write fails with ENOSPC");
        }

        ShipRun run = output == StandardOutputFault.FullDisk
            ? ShipRun.StartReading("/dev/null", arguments, outputTo: Full)
            : ShipRun.StartWithItsOutputsReaderGone(arguments);
        await run.WaitForExitAsync(Limit);
        return run;
    }
}
