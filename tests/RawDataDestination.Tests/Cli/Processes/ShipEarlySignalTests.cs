namespace RawDataDestination.Tests.Cli.Processes;

/// <summary>
/// <c>rawdata ship</c> signalled in its first second or two, while it builds the destination (the AWS SDK's clients read
/// the AWS config file then): it ended with exit 130 and not one line, no summary and no stop line, as the signals were
/// taken only once the destination was built (QA-J J5a). The test holds it there deterministically: the config file it
/// names (AWS_CONFIG_FILE) is a FIFO, whose open waits in the kernel until the test opens it for writing.
/// </summary>
[CancelAfter(90_000)]
public class ShipEarlySignalTests
{
    [TestCaseSource(typeof(StopSignals), nameof(StopSignals.WithExitCodes))]
    public async Task Ship_SignalledWhileItBuildsTheDestination_PrintsTheSummaryAndTheStopLineAndExitsWithTheSignalsCode(string signal, int exitCode)
    {
        Assume.That(OperatingSystem.IsLinux(), "the kernel's wait channel names a FIFO open on Linux");
        string folder = Directory.CreateTempSubdirectory("rawdata-early-").FullName;
        try
        {
            string config = Path.Combine(folder, "aws-config");
            await FifoWaits.MakeAsync(config);

            string input = Path.Combine(folder, "events.ndjson");
            await File.WriteAllTextAsync(input, ShipRun.Events(3, "early"));
            string spool = Path.Combine(folder, "spool");
            string errors = Path.Combine(folder, "stderr");
            var environment = new Dictionary<string, string>(RawdataPeers.ServiceCredentials) { ["AWS_CONFIG_FILE"] = config };
            using Process run = RawdataProgram.StartReading("/dev/null", RawdataPeers.Ship($"early-{Guid.NewGuid():N}", "--input", input, "--spool-dir", spool), environment, errorTo: errors);
            Task<(int ExitCode, string Stdout, string Stderr)> ended = ChildProcess.WaitToEndAsync(run, TimeSpan.FromMinutes(1));
            await FifoWaits.WaitUntilOpeningAsync(run, "rawdata ended before it read the AWS config file");

            Signals.Send(run, signal);
            await LetTheConfigBeReadAsync(config, run, errors, $"SIG{signal} received");
            var (code, stdout, _) = await ended;
            string stderr = await File.ReadAllTextAsync(errors);

            Assert.That(code, Is.EqualTo(exitCode), $"stdout:\n{stdout}\nstderr:\n{stderr}");
            Assert.That(stdout, Does.Contain("events read:      0"), stderr);
            Assert.That(stdout, Does.Contain("events spooled:   0"), stderr);
            Assert.That(stderr, Does.Contain($"Stopped by SIG{signal} after 0 lines."), stdout);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// Once the signal is taken (its notice on stderr) or the process has died of it, ends the wait on the FIFO: opens it
    /// for writing (the waiting open then returns), puts an empty regular file at its name for every later read, and
    /// closes it, so the SDK reads an empty config file.
    /// </summary>
    private static async Task LetTheConfigBeReadAsync(string config, Process run, string errors, string notice)
    {
        while (!run.HasExited && !(await File.ReadAllTextAsync(errors)).Contains(notice, StringComparison.Ordinal))
        {
            await Task.Delay(20, TestContext.CurrentContext.CancellationToken);
        }

        if (run.HasExited)
        {
            return; // died of the signal: nothing waits on the FIFO any more
        }

        string empty = config + ".empty";
        await File.WriteAllTextAsync(empty, string.Empty);
        await using var writer = new FileStream(config, FileMode.Open, FileAccess.Write);
        File.Move(empty, config, overwrite: true);
    }
}
