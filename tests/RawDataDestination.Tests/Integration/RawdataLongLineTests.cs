namespace RawDataDestination.Tests.Integration;

/// <summary>
/// Issue 20: a line with no newline grew <c>rawdata ship</c>'s memory and time without bound (256 MiB took 59 s and
/// 608 MB). The reader refuses a line as soon as it is longer than MaxEventBytes and passes over the rest of it.
/// </summary>
[CancelAfter(600_000)]
public class RawdataLongLineTests
{
    private const long Gibibyte = 1L << 30;

    private static string Event(int i) => $"{{\"type\":\"track\",\"messageId\":\"long-{i}\",\"receivedAt\":\"2023-11-24T10:00:00.000Z\"}}";

    /// <summary>The process's peak resident set so far (VmHWM), in bytes; 0 once it has ended.</summary>
    private static long PeakResidentBytes(int pid)
    {
        try
        {
            string? line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    [Test]
    public async Task Ship_AGibibyteWithoutANewlineOnStdin_IsRefusedInLinearTimeWithBoundedMemoryAndTheRestGoesOn()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Ignore("reads the peak resident set from /proc");
        }

        // Large enough that the bound says something of the reader, not of the runtime: rawdata's resident set is about
        // 72 MiB before any long line (the runtime, the AWS SDK, a first batch).
        const int MaxEventBytes = 32 * 1024 * 1024;
        string source = Objects.UniqueSource("long-line");
        string[] arguments =
        [
            "ship", "--region", "us-east-1", "--bucket", SharedPeers.Bucket, "--role-arn", SharedPeers.RoleArn, "--external-id", SharedPeers.ExternalId,
            "--source-id", source, "--endpoint-url", SharedPeers.S3.ServiceUrl, "--sts-endpoint-url", SharedPeers.Sts.ServiceUrl,
            "--max-event-bytes", MaxEventBytes.ToString(CultureInfo.InvariantCulture),
        ];
        using Process process = RawdataProgram.Start(arguments);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        Stream stdin = process.StandardInput.BaseStream;
        var clock = Stopwatch.StartNew();
        long peak = 0;

        await stdin.WriteAsync(Encoding.UTF8.GetBytes(Event(1) + "\n"));
        byte[] chunk = new byte[1 << 20];
        Array.Fill(chunk, (byte)'x');
        for (long written = 0; written < Gibibyte; written += chunk.Length)
        {
            await stdin.WriteAsync(chunk);
            if (written % (64 << 20) == 0)
            {
                peak = Math.Max(peak, PeakResidentBytes(process.Id));
            }
        }

        await stdin.WriteAsync(Encoding.UTF8.GetBytes("\n" + Event(2) + "\n"));
        await stdin.FlushAsync();
        TimeSpan read = clock.Elapsed;
        peak = Math.Max(peak, PeakResidentBytes(process.Id)); // the high-water mark, with the gibibyte passed through
        process.StandardInput.Close();
        using (var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3)))
        {
            try
            {
                await process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }
        }

        TestContext.Out.WriteLine($"1 GiB through in {read.TotalSeconds:F1} s; peak resident set {peak / (1 << 20)} MiB");
        string errors = await stderr;
        string summary = await stdout;
        Assert.That(process.ExitCode, Is.EqualTo(0), errors);
        Assert.That(errors, Does.Contain("line 2: rejected (TooLarge)"));
        Assert.That(summary, Does.Contain("events read:      3"));
        Assert.That(summary, Does.Contain("events rejected:  1"));
        Assert.That(summary, Does.Contain("events delivered: 2"), "the lines after it go on");
        Assert.That(peak, Is.GreaterThan(0).And.LessThan((2L * MaxEventBytes) + (64L << 20)), "memory under 2 x MaxEventBytes + 64 MB");
        Assert.That(read, Is.LessThan(TimeSpan.FromSeconds(120)), "linear: at 0.5 MiB/s, as before, a gibibyte took over half an hour");
    }
}
