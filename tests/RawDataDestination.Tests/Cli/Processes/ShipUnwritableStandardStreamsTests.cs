namespace RawDataDestination.Tests.Cli.Processes;

/// <summary>
/// <c>rawdata ship</c> with a standard error or output that refuses writes (<c>/dev/full</c>: "No space left on device"):
/// a message that can't be shown never stops a delivery nor changes its exit code; a summary that can't be printed is said
/// on stderr, naming standard output; and <c>--progress</c>, whose acknowledgements a script relies on, stops reading
/// with a line that names standard output, delivering what it read. A standard output whose reader went away
/// (<c>| head -1</c>: EPIPE) is the same: .NET's console stream took it for success, and the summary and the
/// acknowledgements went nowhere without a word.
/// </summary>
[CancelAfter(120_000)]
public class ShipUnwritableStandardStreamsTests
{
    private const string Full = "/dev/full";

    [Test]
    public async Task Ship_WithStandardErrorRefusingWrites_DeliversEveryEventAndExitsZero()
    {
        // "rawdata ship ... 2>/dev/full": the first rejected line's message aborted the process (exit 134), none delivered.
        NeedsAFullDevice();
        using var directory = new TempDirectory("rawdata-stderr-full-");
        string source = $"stderr-full-{Guid.NewGuid():N}";
        string events = Path.Combine(directory.Path, "events.ndjson");
        await File.WriteAllTextAsync(events, ShipRun.Events(10, "before") + "not json\n{\"type\":\"track\"\n" + ShipRun.Events(5, "after") + "[]\n");

        await using ShipRun run = ShipRun.StartReading("/dev/null", RawdataPeers.Ship(source, "--input", events), errorTo: Full);
        await run.WaitForExitAsync(TimeSpan.FromSeconds(90));

        string context = run.Transcript;
        Assert.That(run.ExitCode, Is.EqualTo(0), context);
        Assert.That((run.Count("events read"), run.Count("events delivered"), run.Count("events rejected")), Is.EqualTo(((long?)18, (long?)15, (long?)3)), context);
        Assert.That(await RawdataPeers.MessageIdsAsync(source), Is.EquivalentTo(Enumerable.Range(0, 10).Select(i => $"before-{i}").Concat(Enumerable.Range(0, 5).Select(i => $"after-{i}"))), context);
    }

    [TestCase(StandardOutputFault.FullDisk, "No space left on device")]
    [TestCase(StandardOutputFault.ReaderGone, "its reader is gone: broken pipe")]
    public async Task Ship_WithStandardOutputRefusingTheSummary_DeliversExitsZeroAndSaysSoInOneLine(StandardOutputFault fault, string why)
    {
        // "rawdata ship ... >/dev/full": every event delivered, then "rawdata: unexpected error (IOException): No space
        // left on device" and exit 1, so a script retrying on 1 without a spool shipped them all again. "| head -1" once
        // head had gone: exit 0 and not a word, the summary lost.
        var (run, source) = await ShipAsync(fault, 50);
        await using ShipRun _ = run;

        string context = run.Transcript;
        Assert.That(run.ExitCode, Is.EqualTo(0), context);
        Assert.That(run.Stderr, Is.EqualTo(
            $"Standard output can't be written ({why}), so the summary is missing or cut short: events read 50, delivered 50, rejected 0, not delivered 0. "
            + "The exit code says how the delivery went." + Environment.NewLine), "one line on stderr, naming standard output and why\n" + context);
        Assert.That(await RawdataPeers.MessageIdsAsync(source), Is.EquivalentTo(Enumerable.Range(0, 50).Select(i => $"e-{i}")), context);
    }

    [TestCase(StandardOutputFault.FullDisk, "No space left on device")]
    [TestCase(StandardOutputFault.ReaderGone, "its reader is gone: broken pipe")]
    public async Task ShipWithProgress_WithStandardOutputRefusingAcknowledgements_StopsReadingNamingStandardOutputAndDeliversWhatItRead(StandardOutputFault fault, string why)
    {
        // "rawdata ship --progress ... >/dev/full" said "Stopped reading after line 1000: No space left on device",
        // never that it was standard output, where the script's acknowledgements go; "| script" once the script had gone
        // acknowledged every line to nobody and exited 0.
        var (run, source) = await ShipAsync(fault, 1200, "--progress");
        await using ShipRun _ = run;

        string context = run.Transcript;
        Assert.That(run.ExitCode, Is.EqualTo(1), "not every line of the input was read\n" + context);
        Assert.That(run.Stderr, Does.Contain($"Standard output can't be written ({why}): the acknowledgements (--progress) can't reach their reader; stopped reading after line 1000."), context);
        Assert.That(run.Stderr, Does.Contain("events read 1000, delivered 1000, rejected 0, not delivered 0."), "what was read is delivered and counted\n" + context);
        Assert.That(await RawdataPeers.MessageIdsAsync(source), Is.EquivalentTo(Enumerable.Range(0, 1000).Select(i => $"e-{i}")), context);
    }

    private static void NeedsAFullDevice()
    {
        if (!File.Exists(Full))
        {
            Assert.Ignore($"needs {Full}, a device whose every write fails with ENOSPC");
        }
    }

    /// <summary>Ships <paramref name="count"/> events (<c>e-0</c>, ...) with standard output refusing writes as <paramref name="fault"/> says, to its end (bounded): the run and its source.</summary>
    private static Task<(ShipRun Run, string Source)> ShipAsync(StandardOutputFault fault, int count, params string[] more) =>
        fault == StandardOutputFault.FullDisk ? ShipToFullOutputAsync(count, more) : ShipWithTheOutputsReaderGoneAsync(count, more);

    /// <summary>
    /// Ships <paramref name="count"/> events through a pipe, the reader of its standard output gone before it starts, to
    /// its end (bounded): the run and its source.
    /// </summary>
    private static async Task<(ShipRun Run, string Source)> ShipWithTheOutputsReaderGoneAsync(int count, params string[] more)
    {
        string source = $"stdout-gone-{Guid.NewGuid():N}";
        ShipRun run = ShipRun.StartWithItsOutputsReaderGone(RawdataPeers.Ship(source, more));
        try
        {
            await run.WriteAsync(ShipRun.Events(count, "e"), close: true);
        }
        catch (IOException)
        {
            // With --progress it stops reading at line 1000 and may end before taking the rest: what it read is what counts.
        }

        await run.WaitForExitAsync(TimeSpan.FromSeconds(90));
        return (run, source);
    }

    /// <summary>Ships a file of <paramref name="count"/> events (<c>e-0</c>, ...) with standard output on a full disk, to its end (bounded): the run and its source.</summary>
    private static async Task<(ShipRun Run, string Source)> ShipToFullOutputAsync(int count, params string[] more)
    {
        NeedsAFullDevice();
        using var directory = new TempDirectory("rawdata-stdout-full-");
        string source = $"stdout-full-{Guid.NewGuid():N}";
        string events = Path.Combine(directory.Path, "events.ndjson");
        await File.WriteAllTextAsync(events, ShipRun.Events(count, "e"));

        ShipRun run = ShipRun.StartReading("/dev/null", RawdataPeers.Ship(source, ["--input", events, .. more]), outputTo: Full);
        await run.WaitForExitAsync(TimeSpan.FromSeconds(90));
        return (run, source);
    }
}
