namespace RawDataDestination.Tests.Cli.Processes;

/// <summary>
/// <c>rawdata ship --spool-dir</c> whose spool's disk fills (a small disk of its own) while the customer's S3 fails
/// (503 SlowDown to every PUT, or no answer at all): no batch is delivered, so nothing frees room, and the appends wait.
/// QA: the run hung without a word until a signal; <c>--retry-time-limit</c> did not bound it and no status line was
/// printed while the appends waited.
/// </summary>
[CancelAfter(240_000)]
public class ShipSpoolFullWhileS3FailsTests
{
    private const int Padding = 2_000;

    [TestCase(false, @"S3 answered SlowDown \(HTTP 503\)")]
    [TestCase(true, "S3 did not answer|the upload is still waiting for an answer")]
    public async Task Ship_WhenTheSpoolsDiskIsFullWhileS3Fails_SaysWhyAppendsWaitGivesUpAfterTheRetryTimeLimitAndTheSameCommandDeliversEveryEventOnce(bool silent, string cause)
    {
        using var folder = new TempDirectory("rawdata-spool-full-s3-fails-");
        string spool = Path.Combine(folder.Path, "disk", "spool");
        await using SmallDisk? disk = await SmallDisk.TryMountAsync(Path.Combine(folder.Path, "disk"), 1024 * 1024);
        if (disk is null)
        {
            Assert.Ignore("needs Linux and root, to mount a small disk (tmpfs) for the spool");
        }

        string source = $"spool-full-{Guid.NewGuid():N}";
        var random = new Random(20261207);
        await using var s3 = new FaultProxy(new Uri(RawdataPeers.S3Url), request => request.Method == "PUT" ? (silent ? ProxyAction.Stall : ProxyAction.SlowDown) : ProxyAction.Forward);
        string[] ship = RawdataPeers.Command("ship", s3.ServiceUrl.ToString().TrimEnd('/'), more: ["--source-id", source, "--spool-dir", spool, "--retry-time-limit", "5s", "--shutdown-timeout", "2s"]);

        // The first run fills the disk (about 3 MB of input for 1 MB) while every upload fails: the appends wait for room.
        long spooled;
        await using (ShipRun first = await ShipUntilItEndsAsync(ship, Events("first", 1_500, random)))
        {
            string context = first.Transcript;
            Assert.That(first.ExitCode, Is.EqualTo(1), context);
            Assert.That(first.Stderr, Does.Contain("status: giving up"), context);
            AssertSaysTheSpoolIsFull(first, spool);
            Assert.That(SpoolLines(first)[0], Does.Match(cause), "and the customer's failure, which is why no delivery frees room\n" + context);
            long read = first.AssertCountsAddUp();
            Assert.That(read, Is.LessThan(1_500), "the disk filled before the input's end\n" + context);
            spooled = first.Count("events spooled")!.Value;
            Assert.That(spooled, Is.GreaterThan(0), context);
        }

        // The same command again, the disk still full and S3 still failing: no journal can be sealed, so nothing is even
        // tried, and nothing frees room. It waited without a word until a signal.
        await using (ShipRun again = await ShipUntilItEndsAsync(ship, Events("again", 20, random)))
        {
            string context = again.Transcript;
            Assert.That(again.ExitCode, Is.EqualTo(1), context);
            AssertSaysTheSpoolIsFull(again, spool);
            Assert.That(again.Stderr, Does.Contain("status: giving up").And.Contain("--retry-time-limit 5 s"), context);
            Assert.That(again.Stderr.TrimEnd().Split('\n')[^1], Does.Contain($"--spool-dir '{spool}'"), "the last line names the spool to run again with\n" + context);
            // The summary counts what this run read (the disk took none of it: not delivered) and what an earlier run left.
            long earlier = again.Count("earlier runs") ?? 0;
            Assert.That((again.Count("events read"), again.Count("events delivered"), again.Count("events spooled") - earlier), Is.EqualTo(((long?)again.Count("not delivered"), (long?)0, (long?)0)), context);
            Assert.That(again.Count("not delivered"), Is.GreaterThan(0), context);
        }

        // Room again, and the customer's S3 answers: the same command delivers what the spool holds, each event once.
        await disk!.ResizeAsync(64 * 1024 * 1024);
        await using (ShipRun fixedRun = await ShipUntilItEndsAsync(RawdataPeers.Command("ship", more: ["--source-id", source, "--spool-dir", spool]), string.Empty))
        {
            Assert.That((fixedRun.ExitCode, fixedRun.Count("events delivered")), Is.EqualTo((0, (long?)spooled)), fixedRun.Transcript);
        }

        List<string> delivered = await RawdataPeers.MessageIdsAsync(source);
        Assert.That(delivered, Is.Unique, "nothing twice");
        Assert.That(delivered, Has.Count.EqualTo(spooled).And.All.StartsWith("first-"));
    }

    /// <summary>Runs <paramref name="command"/> with <paramref name="input"/> on its standard input until it ends by itself (at most 90 s).</summary>
    private static async Task<ShipRun> ShipUntilItEndsAsync(string[] command, string input)
    {
        ShipRun run = ShipRun.Start(command);

        // Written while ship reads it; once ship stops reading, the pipe fills and the write waits, then fails.
        Task writing = run.WriteAsync(input, close: true);
        await run.WaitForExitAsync(TimeSpan.FromSeconds(90));
        await writing.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return run;
    }

    /// <summary>The status lines that say appends wait for room in the spool.</summary>
    private static List<string> SpoolLines(ShipRun run) =>
        [.. run.Stderr.Split('\n').Where(line => line.StartsWith("status: waiting for room in the spool", StringComparison.Ordinal))];

    private static void AssertSaysTheSpoolIsFull(ShipRun run, string spool)
    {
        // A customer whose uploads fail stops at its share of the spool, below the disk's room; one whose uploads never
        // answer is not failing until one ends, and fills the disk.
        List<string> lines = SpoolLines(run);
        Assert.That(lines, Is.Not.Empty, "a status line says why the appends wait\n" + run.Transcript);
        Assert.That(lines[0], Does.Contain($"its disk at '{spool}' is full").Or.Contain($"'{spool}' holds as much as it may"), run.Transcript);
    }

    /// <summary><paramref name="count"/> events of about 2 KB each, whose padding gzip hardly shrinks (the sealed batches take room too).</summary>
    private static string Events(string prefix, int count, Random random) =>
        string.Concat(Enumerable.Range(0, count).Select(i =>
            $"{{\"type\":\"track\",\"messageId\":\"{prefix}-{i}\",\"receivedAt\":\"2023-11-24T10:00:00.000Z\",\"properties\":{{\"pad\":\"{Pad(random)}\"}}}}\n"));

    private static string Pad(Random random)
    {
        Span<byte> bytes = stackalloc byte[Padding * 3 / 4];
        random.NextBytes(bytes);
        return Convert.ToBase64String(bytes);
    }
}
