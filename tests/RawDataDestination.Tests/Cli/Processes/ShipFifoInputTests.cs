namespace RawDataDestination.Tests.Cli.Processes;

/// <summary>
/// <c>rawdata ship --input FIFO</c> before any writer has opened the FIFO: the open waits in the kernel, and a stop
/// signal must still end the run in its own words. It died of the signal without a word, as the signals were taken
/// only after the input was open.
/// </summary>
[CancelAfter(60_000)]
public class ShipFifoInputTests
{
    /// <summary>What Linux shows as the wait of a thread blocked opening a FIFO no writer has opened (<c>/proc/PID/task/TID/wchan</c>).</summary>
    private const string FifoOpenWait = "wait_for_partner";

    /// <summary>The runtime's own thread that waits so, on the debugger's FIFO, in every .NET process (<c>/proc/PID/task/TID/comm</c>).</summary>
    private const string RuntimeDebuggerThread = ".NET DebugPipe";

    [TestCaseSource(typeof(StopSignals), nameof(StopSignals.WithExitCodes))]
    public async Task Ship_SignalledWhileAFifoInputHasNoWriterYet_SaysSoAndExitsWithTheSignalsCode(string signal, int exitCode)
    {
        Assume.That(OperatingSystem.IsLinux(), "the kernel's wait channel names a FIFO open on Linux");
        string folder = Directory.CreateTempSubdirectory("rawdata-fifo-").FullName;
        try
        {
            string fifo = Path.Combine(folder, "events");
            using (Process mkfifo = Process.Start("mkfifo", [fifo]))
            {
                await mkfifo.WaitForExitAsync();
                Assert.That(mkfifo.ExitCode, Is.Zero, "mkfifo");
            }

            using Process run = RawdataProgram.Start(RawdataPeers.Ship($"fifo-{Guid.NewGuid():N}", "--input", fifo));
            Task<(int ExitCode, string Stdout, string Stderr)> ended = RawdataProgram.RunToEndAsync(run, stdin: "");
            await WaitUntilOpeningAsync(run);

            Signals.Send(run, signal);
            var (code, stdout, stderr) = await ended;

            Assert.That(stderr, Does.Contain($"Stopped by SIG{signal} while waiting for --input '{fifo}' to open (a FIFO opens once a writer opens it): nothing was read or sent."), stderr);
            Assert.That(code, Is.EqualTo(exitCode), stderr);
            Assert.That(stdout, Is.Empty);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Waits until a thread of <paramref name="process"/>, other than the runtime's debugger thread, waits in the kernel for a FIFO's writer.</summary>
    private static async Task WaitUntilOpeningAsync(Process process)
    {
        while (!Directory.EnumerateDirectories($"/proc/{process.Id}/task").Any(task => Read(task, "wchan") == FifoOpenWait && Read(task, "comm")?.TrimEnd('\n') != RuntimeDebuggerThread))
        {
            Assert.That(process.HasExited, Is.False, "rawdata ended before it opened its input");
            await Task.Delay(20);
        }
    }

    private static string? Read(string task, string file)
    {
        try
        {
            return File.ReadAllText(Path.Combine(task, file));
        }
        catch (IOException)
        {
            return null; // the thread ended
        }
    }
}
