namespace RawDataDestination.Tests.Cli.Processes;

/// <summary>
/// The last line of <c>rawdata ship</c> says what happened in this run and what the next one does: it never promises an
/// attempt this process will not make (QA-J J5d).
/// </summary>
[CancelAfter(120_000)]
public class ShipLastLineTests
{
    [Test]
    public async Task Ship_WhenS3RefusesTheSessionTokenUntilTheRetryTimeLimitIsSpent_SaysWhatTheNextRunDoesNotThatTheNextAttemptAssumesTheRole()
    {
        await using var s3 = new FaultProxy(new Uri(RawdataPeers.S3Url), request => request.Method == "PUT"
            ? ProxyDecision.Response(400, "ExpiredToken", "The provided token has expired.")
            : ProxyAction.Forward);
        string spool = Directory.CreateTempSubdirectory("rawdata-lastline-").FullName;
        try
        {
            string[] arguments = RawdataPeers.Command("ship", s3.ServiceUrl.ToString(), RawdataPeers.StsUrl, ["--source-id", $"last-{Guid.NewGuid():N}", "--retry-time-limit", "2s", "--shutdown-timeout", "2s", "--spool-dir", spool]);
            var (exitCode, _, stderr) = await Run(arguments, ShipRun.Events(3, "token"));
            string last = stderr.TrimEnd().Split('\n')[^1];

            Assert.That(exitCode, Is.EqualTo(1), stderr);
            Assert.That(last, Does.StartWith("Delivery failed: S3 refused the session token"), stderr);
            Assert.That(last, Does.Not.Contain("next attempt"), "no attempt comes after the last line in this process");
            Assert.That(last, Does.Contain("The next run assumes the role afresh, and is refused the same way until the clock or the STS endpoint is put right."));
            Assert.That(last, Does.Contain($"3 events stay in the spool '{spool}'"));
        }
        finally
        {
            Directory.Delete(spool, recursive: true);
        }
    }

    /// <summary>Runs <c>rawdata</c> with this service's credentials to its end (bounded), <paramref name="stdin"/> as its input.</summary>
    private static async Task<(int ExitCode, string Stdout, string Stderr)> Run(string[] arguments, string stdin = "")
    {
        using Process process = RawdataProgram.Start(arguments, RawdataPeers.ServiceCredentials);
        return await RawdataProgram.RunToEndAsync(process, stdin);
    }
}
