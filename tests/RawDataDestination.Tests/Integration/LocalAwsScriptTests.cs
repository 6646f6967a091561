using System.Net.Sockets;

namespace RawDataDestination.Tests.Integration;

/// <summary>
/// samples/local-aws.sh runs until asked to stop, prints the quick start's settings, and stops what it started: on
/// SIGTERM or Ctrl+C it stops moto (checked by PID) and deletes its files. When its port is taken, it says so and uses
/// a free one. (QuickStartTests run the quick start on it.)
/// </summary>
public class LocalAwsScriptTests
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);

    [Test]
    public async Task LocalAws_Started_PrintsTheSettingsTheKeysAndHowToStop()
    {
        await using LocalAwsScript script = await LocalAwsScript.StartAsync("--port", "0");

        Assert.That(script.Output, Does.Contain("Region us-west-2, Bucket mybucket/path/prefix, RoleArn arn:aws:iam::123456789012:role/SegmentS3Upload,"));
        Assert.That(script.Output, Does.Contain("ExternalId a-long-random-string"));
        Assert.That(script.Output, Does.Contain("\"sts:ExternalId\": \"a-long-random-string\"").And.Contain("\"Resource\": \"arn:aws:s3:::mybucket/path/prefix/segment-logs/*\""), "the policies it set up");
        Assert.That(script.PastedLines[0], Does.Match($"^export AWS_ACCESS_KEY_ID='AKIA[A-Z0-9]+' AWS_SECRET_ACCESS_KEY='[^']+' RAWDATA_ENDPOINT_URL='{script.Endpoint.ToString().TrimEnd('/')}'$"));
        Assert.That(script.Output, Does.Contain($"kill -TERM {script.Pid}."));
        Assert.That(await File.ReadAllLinesAsync(script.EnvFile), Is.EqualTo(script.PastedLines.Take(2)), "the file it names holds the same lines");
        Assert.That(LocalAwsScript.IsRunning(script.MotoPid), Is.True);
    }

    [Test]
    public async Task LocalAws_OnSigterm_StopsMotoDeletesItsFilesAndExits143()
    {
        await using LocalAwsScript script = await LocalAwsScript.StartAsync("--port", "0");
        Assert.That(LocalAwsScript.IsRunning(script.MotoPid), Is.True);

        var signalled = Stopwatch.StartNew();
        script.Signal("TERM");

        Assert.That(await script.WaitForExitAsync(StopTimeout), Is.True, $"it stops within {StopTimeout}:{Environment.NewLine}{script.Output}");
        Assert.That(signalled.Elapsed, Is.LessThan(StopTimeout));
        Assert.That(script.ExitCode, Is.EqualTo(143), script.Output);
        Assert.That(script.Output, Does.Contain($"Stopped moto (PID {script.MotoPid}); the local account is gone."));
        Assert.That(LocalAwsScript.IsRunning(script.MotoPid), Is.False, "moto is stopped with it");
        Assert.That(Directory.Exists(Path.GetDirectoryName(script.EnvFile)), Is.False, "its files (the keys) are deleted");
    }

    [Test]
    public async Task LocalAws_PortTaken_SaysSoAndServesOnAFreePort()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;

        await using LocalAwsScript script = await LocalAwsScript.StartAsync("--port", port.ToString(CultureInfo.InvariantCulture));

        Assert.That(script.Output, Does.Contain($"Port {port} is taken (another local-aws.sh, or another program); using a free port instead."));
        Assert.That(script.Endpoint.Port, Is.Not.EqualTo(port));
        Assert.That(script.PastedLines[0], Does.EndWith($"RAWDATA_ENDPOINT_URL='http://127.0.0.1:{script.Endpoint.Port}'"));
        Assert.That(await FreePort.WaitUntilAcceptingAsync(script.Endpoint.Port, TimeSpan.FromSeconds(5), () => false), Is.True, "moto serves there");
    }

    [Test]
    public async Task LocalAws_OnCtrlC_StopsMotoAndExits130()
    {
        await using LocalAwsScript script = await LocalAwsScript.StartAsync("--port", "0");
        Assume.That(IgnoresSigint(script.Pid), Is.False, "this test process was started with SIGINT ignored (in the background by a script), and so is the script: Ctrl+C cannot reach it there (SIGTERM is the way; the test above)");

        script.Signal("INT");

        Assert.That(await script.WaitForExitAsync(StopTimeout), Is.True, $"it stops within {StopTimeout}:{Environment.NewLine}{script.Output}");
        Assert.That(script.ExitCode, Is.EqualTo(130), script.Output);
        Assert.That(LocalAwsScript.IsRunning(script.MotoPid), Is.False, "moto is stopped with it");
    }

    /// <summary>Whether <paramref name="pid"/> ignores SIGINT (bit 2 of SigIgn in /proc/PID/status).</summary>
    private static bool IgnoresSigint(int pid)
    {
        string line = File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        ulong ignored = ulong.Parse(line["SigIgn:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return (ignored & 0x2) != 0;
    }
}
