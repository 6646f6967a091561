namespace RawDataDestination.Tests.Integration;

/// <summary>The <c>rawdata ship</c> contract, run as a process against the local peers.</summary>
public partial class RawdataCliTests
{
    private static string[] ShipArguments(string source, string bucket = SharedPeers.Bucket, string externalId = SharedPeers.ExternalId, params string[] more) =>
    [
        "ship", "--region", "us-east-1", "--bucket", bucket, "--role-arn", SharedPeers.RoleArn, "--external-id", externalId,
        "--source-id", source, "--endpoint-url", SharedPeers.S3.ServiceUrl, "--sts-endpoint-url", SharedPeers.Sts.ServiceUrl, .. more,
    ];

    private static string Event(int i) => $"{{\"type\":\"track\",\"messageId\":\"cli-{i}\",\"receivedAt\":\"2023-11-24T10:00:00.000Z\"}}";

    [Test]
    public async Task Ship_FromStdin_DeliversValidLinesReportsRejectedOnesPassesOverBlankOnesAndExitsZero()
    {
        string source = Objects.UniqueSource("cli");
        string input = string.Join("\n", Event(1), "not json", Event(2), "", "[1,2]", Event(3), "{\"receivedAt\":\"soon\"}") + "\n";

        var (exitCode, stdout, stderr) = await RawdataProgram.RunAsync(ShipArguments(source), input);

        Assert.That(exitCode, Is.EqualTo(0), stderr);
        Assert.That(stderr, Does.Contain("line 2: rejected (InvalidJson)"));
        Assert.That(stderr, Does.Not.Contain("line 4"), "a blank line is not an event, nor a rejection");
        Assert.That(stderr, Does.Contain("line 5: rejected (NotAnObject)"));
        Assert.That(stderr, Does.Contain("line 7: rejected (InvalidReceivedAt)"));
        Assert.That(stdout, Does.Contain("events read:      6"));
        Assert.That(stdout, Does.Contain("events delivered: 3"));
        Assert.That(stdout, Does.Contain("events rejected:  3"));
        Assert.That(stdout, Does.Contain("blank lines:      1"));
        Assert.That(stdout, Does.Match(@"bytes in:\s+\d+"));
        Assert.That(stdout, Does.Match(@"bytes out:\s+\d+"));
        Dictionary<string, string[]> objects = await Objects.ReadAllAsync($"segment-logs/{source}/");
        Assert.That(stdout, Does.Contain($"s3://{SharedPeers.Bucket}/{objects.Keys.Single()}"), "the summary lists the key");
        Assert.That(Objects.MessageIds(objects.Values.Single()), Is.EqualTo(new[] { "cli-1", "cli-2", "cli-3" }));
    }

    [Test]
    public async Task Ship_FromAFileWithSizeLimit_WritesSeveralObjects()
    {
        string source = Objects.UniqueSource("cli-file");
        string file = Path.GetTempFileName();
        try
        {
            await File.WriteAllLinesAsync(file, Enumerable.Range(0, 500).Select(Event));
            var (exitCode, stdout, stderr) = await RawdataProgram.RunAsync(ShipArguments(source, more: ["--input", file, "--max-batch-bytes", "8192", "--max-event-bytes", "1024"]));

            Assert.That(exitCode, Is.EqualTo(0), stderr);
            Dictionary<string, string[]> objects = await Objects.ReadAllAsync($"segment-logs/{source}/");
            Assert.That(objects.Count, Is.GreaterThan(3));
            Assert.That(stdout, Does.Contain($"objects written:  {objects.Count}"));
            Assert.That(Objects.MessageIds(objects.OrderBy(o => o.Key, StringComparer.Ordinal).SelectMany(o => o.Value)), Is.EqualTo(Enumerable.Range(0, 500).Select(i => $"cli-{i}")));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public async Task Ship_WithAnUnknownRegionAndAllowUnknownRegion_AcceptsIt()
    {
        string source = Objects.UniqueSource("cli-newregion");
        var arguments = ShipArguments(source, more: ["--allow-unknown-region"]).ToList();
        arguments[arguments.IndexOf("--region") + 1] = "xx-newregion-1";

        var (exitCode, stdout, stderr) = await RawdataProgram.RunAsync(arguments, Event(1) + "\n");

        Assert.That(exitCode, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("events delivered: 1"));
    }

    [Test]
    public async Task Ship_InAPipe_WritesNothingButTheSummary()
    {
        var (exitCode, stdout, stderr) = await RawdataProgram.RunAsync(ShipArguments(Objects.UniqueSource("cli-pipe")), string.Join("\n", Enumerable.Range(0, 3000).Select(Event)) + "\n");

        Assert.That(exitCode, Is.EqualTo(0), stderr);
        Assert.That(stderr, Is.Empty);
        Assert.That(stdout, Does.StartWith("events read:      3000"));
        Assert.That(stdout, Does.Not.Contain("acknowledged"));
    }

    [Test]
    public async Task Ship_WithProgress_WritesAnAcknowledgedLinePerThousandAndTheLast()
    {
        var (exitCode, stdout, stderr) = await RawdataProgram.RunAsync(ShipArguments(Objects.UniqueSource("cli-progress"), more: ["--progress"]), string.Join("\n", Enumerable.Range(0, 2500).Select(Event)) + "\n");

        Assert.That(exitCode, Is.EqualTo(0), stderr);
        Assert.That(AcknowledgedLine().Matches(string.Join("\n", stdout.Split('\n').Where(l => l.StartsWith("acknowledged", StringComparison.Ordinal)))).Select(m => m.Value),
            Is.EqualTo(new[] { "acknowledged 1000", "acknowledged 2000", "acknowledged 2500" }));
    }

    [Test]
    public async Task Ship_OnATerminal_ShowsALiveProgressBar()
    {
        Assume.That(File.Exists("/usr/bin/script"), "util-linux script gives the program a terminal");
        string input = Path.GetTempFileName();
        try
        {
            await File.WriteAllLinesAsync(input, Enumerable.Range(0, 20_000).Select(Event));
            string command = string.Join(' ', new[] { LocalPeersProgram.DotnetHost, RawdataProgram.DllPath }.Concat(ShipArguments(Objects.UniqueSource("cli-tty"), more: ["--input", input])).Select(Quote));
            var start = new ProcessStartInfo("/usr/bin/script", ["-qec", command, "/dev/null"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
            };
            start.Environment["AWS_ACCESS_KEY_ID"] = RawdataProgram.BaseCredentialsEnvironment["AWS_ACCESS_KEY_ID"];
            start.Environment["AWS_SECRET_ACCESS_KEY"] = RawdataProgram.BaseCredentialsEnvironment["AWS_SECRET_ACCESS_KEY"];
            start.Environment.Remove("AWS_SESSION_TOKEN");
            start.Environment.Remove("AWS_PROFILE");
            using Process process = Process.Start(start)!;
            var (exitCode, terminal, _) = await RawdataProgram.RunToEndAsync(process, "");

            Assert.That(exitCode, Is.EqualTo(0), terminal);
            Assert.That(terminal, Does.Match(@"\[[#.]{24}\]\s+100%"), "the bar, full at the end");
            Assert.That(terminal, Does.Contain("ev/s").And.Contain("MB/s").And.Match(@"\d+ objects?\b").And.Contain("ETA"));
            Assert.That(terminal, Does.Contain("events delivered: 20000"));
        }
        finally
        {
            File.Delete(input);
        }

        static string Quote(string argument) => "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    [Test]
    public async Task Ship_WithTheWrongExternalId_ExitsOneSayingWhatToCheck()
    {
        var (exitCode, _, stderr) = await RawdataProgram.RunAsync(ShipArguments(Objects.UniqueSource("cli-denied"), externalId: "not-the-right-one"), Event(1) + "\n");

        Assert.That(exitCode, Is.EqualTo(1));
        Assert.That(stderr, Does.Contain("trust relationship"));
    }

    [Test]
    public async Task Ship_KilledMidway_ASecondRunOverTheSpoolDeliversEveryAcknowledgedEventExactlyOnce()
    {
        string source = Objects.UniqueSource("cli-kill");
        string spool = Directory.CreateTempSubdirectory("rawdata-kill-").FullName;
        string input = Path.GetTempFileName();
        const int Events = 200_000;
        try
        {
            await File.WriteAllLinesAsync(input, Enumerable.Range(0, Events).Select(Event));
            long acknowledged = 0;
            using (Process first = RawdataProgram.Start(ShipArguments(source, more: ["--input", input, "--spool-dir", spool, "--progress", "--max-batch-bytes", "1000000"])))
            {
                using var killOnFailure = new KillIfRunning(first);
                first.StandardInput.Close();
                Task<string> errors = first.StandardError.ReadToEndAsync();
                using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
                while (await first.StandardOutput.ReadLineAsync(deadline.Token) is { } line)
                {
                    Match match = AcknowledgedLine().Match(line);
                    if (match.Success)
                    {
                        acknowledged = long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                    }

                    if (acknowledged >= 60_000)
                    {
                        first.Kill(); // SIGKILL: no shutdown, no flush
                        break;
                    }
                }

                await first.WaitForExitAsync(deadline.Token);
                Assert.That(acknowledged, Is.GreaterThanOrEqualTo(60_000), await errors);
                Assert.That(acknowledged, Is.LessThan(Events), "killed before the end");
                Assert.That(first.ExitCode, Is.EqualTo(128 + 9), "the first run died by SIGKILL, not by finishing");
            }

            string[] left = [.. SpoolEvents(spool)];
            Assert.That(left, Is.Not.Empty, "the killed run left its acknowledged events in the spool");
            Assert.That(left.Sum(path => new FileInfo(path).Length), Is.GreaterThan(0));

            var (exitCode, stdout, stderr) = await RawdataProgram.RunAsync(ShipArguments(source, more: ["--spool-dir", spool]), stdin: "");
            Assert.That(exitCode, Is.EqualTo(0), stderr);
            Assert.That(stdout, Does.Contain("events read:      0"));

            Dictionary<string, string[]> objects = await Objects.ReadAllAsync($"segment-logs/{source}/");
            var ids = Objects.MessageIds(objects.Values.SelectMany(lines => lines)).ToList();
            Assert.That(ids, Is.Unique, "nothing twice");
            var delivered = ids.ToHashSet();
            Assert.That(Enumerable.Range(0, (int)acknowledged).Select(i => $"cli-{i}").Where(id => !delivered.Contains(id)), Is.Empty, "every acknowledged event is in the bucket");
            Assert.That(SpoolEvents(spool), Is.Empty, "the spool holds no event once everything is delivered");
        }
        finally
        {
            Directory.Delete(spool, recursive: true);
            File.Delete(input);
        }
    }

    [Test]
    public async Task Ship_DuringAnOutageWithASpool_AcknowledgesEveryLineThenAfterKill9ARestartDeliversEachExactlyOnce()
    {
        // Every PUT fails while the first run reads: with a spool the disk is the buffer, so intake goes on.
        await using FaultProxy outage = MotoFaults.Proxy(request =>
            request.Method == "PUT" ? ProxyAction.InternalError : ProxyAction.Forward);
        string source = Objects.UniqueSource("cli-outage-kill");
        string spool = Directory.CreateTempSubdirectory("rawdata-outage-kill-").FullName;
        string input = Path.GetTempFileName();
        const int Events = 20_000;
        string[] Arguments(string s3Url, params string[] more) =>
        [
            "ship", "--region", "us-east-1", "--bucket", SharedPeers.Bucket, "--role-arn", SharedPeers.RoleArn,
            "--external-id", SharedPeers.ExternalId, "--source-id", source, "--endpoint-url", s3Url,
            "--sts-endpoint-url", SharedPeers.Sts.ServiceUrl, "--spool-dir", spool, .. more,
        ];
        try
        {
            await File.WriteAllLinesAsync(input, Enumerable.Range(0, Events).Select(Event));
            long acknowledged = 0;
            // About 1.7 MB in batches of 50 KB: some 30 sealed batches, far more than the 8 (MaxPendingBatches) memory
            // may hold, so intake goes on only if they wait on disk.
            using (Process first = RawdataProgram.Start(Arguments(outage.ServiceUrl.ToString(), "--input", input, "--progress", "--max-batch-bytes", "50000")))
            {
                using var killOnFailure = new KillIfRunning(first); // a failed assertion must not leave it retrying for ever
                first.StandardInput.Close();
                Task<string> errors = first.StandardError.ReadToEndAsync();
                using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
                using var intake = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
                intake.CancelAfter(TimeSpan.FromSeconds(60)); // a stalled intake fails here, not at the 3-minute deadline
                while (acknowledged < Events && await first.StandardOutput.ReadLineAsync(intake.Token) is { } line)
                {
                    Match match = AcknowledgedLine().Match(line);
                    if (match.Success)
                    {
                        acknowledged = long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                    }
                }

                Assert.That(acknowledged, Is.EqualTo(Events), "every line is acknowledged during the outage");

                // Let the outage be seen: the first run tries (and fails) at least one PUT before it is killed.
                while (PutsSeen(outage) == 0)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(50), deadline.Token);
                }

                Assert.That(first.HasExited, Is.False, "the first run is still trying to deliver");
                first.Kill(); // SIGKILL, mid-outage: no shutdown, no flush
                await first.WaitForExitAsync(deadline.Token);
                Assert.That(first.ExitCode, Is.EqualTo(128 + 9), await errors);
            }

            Assert.That(PutsSeen(outage), Is.GreaterThan(0), "the first run did try, and every PUT failed");
            Assert.That(
                Directory.EnumerateFiles(Path.Combine(spool, "sealed"), "*.gz", SearchOption.AllDirectories).Count(),
                Is.GreaterThan(8),
                "the sealed batches waited on disk, more of them than MaxPendingBatches lets memory hold");
            Assert.That(await Objects.ReadAllAsync($"segment-logs/{source}/"), Is.Empty, "nothing landed during the outage");

            // S3 is back: a second run over the spool, with no new input, delivers what the first acknowledged.
            var (exitCode, stdout, stderr) = await RawdataProgram.RunAsync(Arguments(SharedPeers.S3.ServiceUrl), stdin: "");
            Assert.That(exitCode, Is.EqualTo(0), stderr);

            Dictionary<string, string[]> objects = await Objects.ReadAllAsync($"segment-logs/{source}/");
            var ids = Objects.MessageIds(objects.Values.SelectMany(lines => lines)).ToList();
            Assert.That(ids, Is.Unique, "nothing twice");
            Assert.That(ids, Has.Count.EqualTo(Events), "every acknowledged event, once");
            Assert.That(SpoolEvents(spool), Is.Empty, "the spool holds no event once everything is delivered");
        }
        finally
        {
            Directory.Delete(spool, recursive: true);
            File.Delete(input);
        }
    }

    /// <summary>
    /// The files of a spool that hold events: not its lock, nor rawdata's records of how far each input was read, nor its
    /// record of the bucket its batches are for (<c>rawdata-destination</c>, samples/rawdata/SpoolDestination.cs).
    /// </summary>
    private static IEnumerable<string> SpoolEvents(string spool) =>
        Directory.EnumerateFiles(spool, "*", SearchOption.AllDirectories)
            .Where(path => Path.GetFileName(path) is not ("spool.lock" or "rawdata-destination" or "rawdata-inputs.list") && Path.GetFileName(Path.GetDirectoryName(path)) != "rawdata-inputs");

    private static int PutsSeen(FaultProxy proxy)
    {
        lock (proxy.Log)
        {
            return proxy.Log.Count(l => l.Request.Method == "PUT");
        }
    }

    [GeneratedRegex("^acknowledged (\\d+)$", RegexOptions.Multiline)]
    private static partial Regex AcknowledgedLine();
}
