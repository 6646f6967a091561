namespace RawDataDestination.Tests.Cli.Processes;

/// <summary>
/// <c>rawdata ship --input FIFO</c> before any writer has opened the FIFO: the open waits in the kernel, and a stop
/// signal must still end the run in its own words. It died of the signal without a word, as the signals were taken
/// only after the input was open.
/// </summary>
[CancelAfter(60_000)]
public class ShipFifoInputTests
{
    [TestCaseSource(typeof(StopSignals), nameof(StopSignals.WithExitCodes))]
    public async Task Ship_SignalledWhileAFifoInputHasNoWriterYet_SaysSoAndExitsWithTheSignalsCode(string signal, int exitCode)
    {
        Assume.That(OperatingSystem.IsLinux(), "the kernel's wait channel names a FIFO open on Linux");
        string folder = Directory.CreateTempSubdirectory("rawdata-fifo-").FullName;
        try
        {
            string fifo = Path.Combine(folder, "events");
            await FifoWaits.MakeAsync(fifo);

            using Process run = RawdataProgram.Start(RawdataPeers.Ship($"fifo-{Guid.NewGuid():N}", "--input", fifo));
            Task<(int ExitCode, string Stdout, string Stderr)> ended = RawdataProgram.RunToEndAsync(run, stdin: "");
            await FifoWaits.WaitUntilOpeningAsync(run, "rawdata ended before it opened its input");

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
}
