namespace RawDataDestination.Tests.Cli.Processes;

/// <summary>
/// <c>rawdata</c>'s <c>--conditional-writes</c>, as a process against moto (which honours <c>If-None-Match</c>) through the
/// fault proxy: with <c>--endpoint-url</c> the library's <c>auto</c> leaves conditional writes off, so a retry after a lost
/// answer writes each key again and a versioned bucket keeps two versions of it; <c>on</c> turns them on, and the retry
/// is answered 412 and counted delivered, one version each. QA found 29,237 event lines in a versioned bucket for 20,000
/// events, with no way in the CLI to turn them on.
/// </summary>
[CancelAfter(120_000)]
public class ConditionalWritesFlagTests
{
    [TestCase("on", 1)]
    [TestCase("off", 2)]
    [TestCase(null, 2)] // auto, with --endpoint-url: off
    public async Task Ship_WhenTheFirstPutOfEachKeyLandsButItsAnswerIsLost_LeavesAsManyVersionsOfEachKeyAsConditionalWritesSay(string? conditionalWrites, int versionsOfEachKey)
    {
        (string bucket, string roleArn) = await RawdataPeers.NewVersionedCustomerAsync();
        var answered = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        await using var s3 = new FaultProxy(new Uri(RawdataPeers.S3Url), request =>
            request.Method == "PUT" && answered.TryAdd(request.Path.Split('?')[0], true) ? ProxyAction.LandThenDropResponse : ProxyAction.Forward);
        string source = $"conditional-{Guid.NewGuid():N}";
        string[] arguments = RawdataPeers.Command("ship", s3.ServiceUrl.ToString(), more: ["--source-id", source, "--max-batch-bytes", "4096", "--max-event-bytes", "1024", .. conditionalWrites is null ? Array.Empty<string>() : ["--conditional-writes", conditionalWrites]]);
        arguments[Array.IndexOf(arguments, "--bucket") + 1] = bucket;
        arguments[Array.IndexOf(arguments, "--role-arn") + 1] = roleArn;

        await using ShipRun run = ShipRun.Start(arguments);
        await run.WriteAsync(ShipRun.Events(200, "cw"), close: true);
        await run.WaitForExitAsync(TimeSpan.FromSeconds(90));

        string context = run.Transcript;
        Assert.That((run.ExitCode, run.Count("events delivered")), Is.EqualTo((0, (long?)200)), context);
        Dictionary<string, int> versions = await RawdataPeers.VersionsAsync(bucket, $"segment-logs/{source}/");
        Assert.That(versions, Has.Count.GreaterThan(1), "several batches\n" + context);
        Assert.That(versions.Values, Has.All.EqualTo(versionsOfEachKey), "each key was written, its answer lost, and written again\n" + context);
    }

    [Test]
    public async Task Ship_WithAConditionalWritesValueNotOfTheChoices_ExitsTwoNamingTheChoices()
    {
        await using ShipRun run = ShipRun.Start(RawdataPeers.Ship($"cw-bad-{Guid.NewGuid():N}", "--conditional-writes", "yes"));
        await run.WriteAsync(string.Empty, close: true);
        await run.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.That(run.ExitCode, Is.EqualTo(2), run.Transcript);
        Assert.That(run.Stderr, Does.Contain("--conditional-writes is 'yes'; use auto (the default), on or off."), run.Transcript);
    }
}
