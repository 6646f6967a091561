namespace RawDataDestination.Tests.Integration;

/// <summary><c>rawdata ship</c> when deliveries hang, and when it is interrupted: status lines, the retry budget, SIGINT and SIGTERM.</summary>
public class RawdataCliSignalsAndStatusTests
{
    private static string Event(int i) => $"{{\"type\":\"track\",\"messageId\":\"sig-{i}\",\"receivedAt\":\"2023-11-24T10:00:00.000Z\"}}";

    private static string[] ShipTo(string s3Url, string source, params string[] more) =>
    [
        "ship", "--region", "us-east-1", "--bucket", SharedPeers.Bucket, "--role-arn", SharedPeers.RoleArn, "--external-id", SharedPeers.ExternalId,
        "--source-id", source, "--endpoint-url", s3Url, "--sts-endpoint-url", SharedPeers.Sts.ServiceUrl, .. more,
    ];

    [Test]
    [CancelAfter(90_000)]
    public async Task Ship_AgainstAnS3ThatNeverAnswers_WritesAStatusLineWithinTenSecondsAndExitsOneWithinItsBudget()
    {
        await using var silent = new SilentEndpoint();
        var started = Stopwatch.StartNew();
        using Process process = RawdataProgram.Start(ShipTo(silent.Url, Objects.UniqueSource("cli-silent"), "--retry-time-limit", "15s", "--shutdown-timeout", "3s"));
        var statusAt = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        var stderr = new StringBuilder();
        Task readErrors = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync() is { } line)
            {
                lock (stderr)
                {
                    stderr.AppendLine(line);
                }

                if (line.StartsWith("status: no delivery has succeeded", StringComparison.Ordinal))
                {
                    statusAt.TrySetResult(started.Elapsed);
                }
            }
        });
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        await process.StandardInput.WriteAsync(string.Join("\n", Enumerable.Range(0, 10).Select(Event)) + "\n");
        process.StandardInput.Close();

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        TimeSpan ended = started.Elapsed;
        await readErrors;
        string errors = stderr.ToString();
        Assert.That(statusAt.Task.IsCompleted, Is.True, "a status line was written: " + errors);
        Assert.That(await statusAt.Task, Is.LessThan(TimeSpan.FromSeconds(10)), errors);
        Assert.That(process.ExitCode, Is.EqualTo(1), errors);
        Assert.That(ended, Is.LessThan(TimeSpan.FromSeconds(15 + 3 + 10)), "the budget (15 s) and the shutdown timeout (3 s), plus start-up");
        Assert.That(errors, Does.Contain("giving up").And.Contain("--retry-time-limit"));
        Assert.That(errors, Does.Contain($"Delivery failed: S3 did not answer for the customer's bucket '{SharedPeers.Bucket}' (S3 at {silent.Url}/)."));
        Assert.That(await stdout, Does.Contain("events read:      10").And.Contain("events delivered: 0"));
    }

    [TestCaseSource(typeof(StopSignals), nameof(StopSignals.WithExitCodes))]
    [CancelAfter(90_000)]
    public async Task Ship_Signalled_StopsReadingDeliversWithinTheShutdownTimeoutLeavesTheRestInTheSpoolAndExitsNonZero(string signal, int exitCode)
    {
        await using var silent = new SilentEndpoint();
        using var spool = new TempDirectory("rawdata-signal-");
        using Process process = RawdataProgram.Start(ShipTo(silent.Url, Objects.UniqueSource("cli-signal"), "--spool-dir", spool.Path, "--progress", "--shutdown-timeout", "3s"));
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        var stdout = new StringBuilder();

        // Stdin stays open: ship is still reading when the signal comes.
        await process.StandardInput.WriteAsync(string.Join("\n", Enumerable.Range(0, 1000).Select(Event)) + "\n");
        await process.StandardInput.FlushAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await process.StandardOutput.ReadLineAsync(deadline.Token) is { } line)
        {
            stdout.AppendLine(line);
            if (line == "acknowledged 1000")
            {
                break;
            }
        }

        Assert.That(Directory.EnumerateFiles(spool.Path, "*", SearchOption.AllDirectories).Count(path => Path.GetFileName(path) is not ("spool.lock" or "rawdata-destination")), Is.GreaterThan(0), "the spool holds the acknowledged events");
        var signalled = Stopwatch.StartNew();
        Signals.Send(process, signal);

        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        stdout.Append(await process.StandardOutput.ReadToEndAsync());
        string errors = await stderr;
        Assert.That(signalled.Elapsed, Is.LessThan(TimeSpan.FromSeconds(3 + 5)), "within the shutdown timeout (3 s), plus slack");
        Assert.That(process.ExitCode, Is.EqualTo(exitCode), errors);
        Assert.That(errors, Does.Contain($"SIG{signal} received"));
        Assert.That(errors, Does.Contain("stay in the spool"));
        Assert.That(stdout.ToString(), Does.Contain("events read:      1000").And.Contain("events delivered: 0"));
        Assert.That(Directory.EnumerateFiles(spool.Path, "*.gz", SearchOption.AllDirectories), Is.Not.Empty, "the sealed batches stay in the spool");
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task Ship_WithProgressStoppedBetweenThousands_AcknowledgesTheLinesItTookBeforeItsSummary()
    {
        // Only every 1000th line and the last of an input read to its end were acknowledged: stopped at line 500, a
        // script that sends the rest itself from the last acknowledgement (none) sent all 500 again.
        await using var silent = new SilentEndpoint();
        using var spool = new TempDirectory("rawdata-ack-");
        using Process process = RawdataProgram.Start(ShipTo(silent.Url, Objects.UniqueSource("cli-ack"), "--spool-dir", spool.Path, "--progress", "--shutdown-timeout", "1s"));
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.StandardInput.WriteAsync(string.Join("\n", Enumerable.Range(0, 500).Select(Event)) + "\n");
            await process.StandardInput.FlushAsync(); // stdin stays open: ship is still reading when the signal comes
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (JournaledEvents(spool.Path) < 500)
            {
                await Task.Delay(50, deadline.Token); // bounded: the 500 lines on disk, as the acknowledgement will say
            }

            Signals.Send(process, "TERM");
            await process.WaitForExitAsync(deadline.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        string[] lines = (await stdout).Split('\n');
        Assert.That(process.ExitCode, Is.EqualTo(143), await stderr);
        Assert.That(lines.Where(line => line.StartsWith("acknowledged ", StringComparison.Ordinal)), Is.EqualTo(new[] { "acknowledged 500" }), await stdout);
        Assert.That(Array.IndexOf(lines, "acknowledged 500"), Is.LessThan(Array.FindIndex(lines, line => line.StartsWith("events read:", StringComparison.Ordinal))), "before the summary");
    }

    /// <summary>The events of this class's <see cref="Event"/> in <paramref name="spool"/>'s files.</summary>
    private static int JournaledEvents(string spool) =>
        Directory.EnumerateFiles(spool, "*.ndjson", SearchOption.AllDirectories)
            .Sum(path =>
            {
                using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var reader = new StreamReader(file);
                return System.Text.RegularExpressions.Regex.Count(reader.ReadToEnd(), "\"messageId\":\"sig-");
            });

    [Test]
    [CancelAfter(90_000)]
    public async Task Ship_WithASpoolAnotherRunHolds_SaysItIsInUseAndExitsTwo()
    {
        using var spool = new TempDirectory("rawdata-inuse-");
        using Process first = RawdataProgram.Start(ShipTo(SharedPeers.S3.ServiceUrl, Objects.UniqueSource("cli-inuse"), "--spool-dir", spool.Path, "--progress"));
        Task<string> firstErrors = first.StandardError.ReadToEndAsync();
        await first.StandardInput.WriteLineAsync(Event(1));
        await first.StandardInput.FlushAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        // The first run holds the spool.Path's lock from its start; wait (bounded) until it has taken it.
        string lockFile = Path.Combine(spool.Path, "spool.lock");
        while (!File.Exists(lockFile))
        {
            Assert.That(first.HasExited, Is.False, "the first run is still running");
            await Task.Delay(50, deadline.Token);
        }

        var (exitCode, _, stderr) = await RawdataProgram.RunAsync(ShipTo(SharedPeers.S3.ServiceUrl, Objects.UniqueSource("cli-inuse2"), "--spool-dir", spool.Path), Event(2) + "\n");

        first.StandardInput.Close();
        await first.WaitForExitAsync(deadline.Token);
        Assert.That(exitCode, Is.EqualTo(2), stderr);
        Assert.That(stderr, Does.Contain($"--spool-dir '{spool.Path}' is in use"));
        Assert.That(stderr, Does.Not.Contain("   at "), "no stack trace");
        Assert.That(first.ExitCode, Is.EqualTo(0), await firstErrors);
    }
}
