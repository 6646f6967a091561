namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>Runs the built KafkaToS3 program as a child process against a topic's mock cluster and the local peers, with a tenants file.</summary>
internal static class KafkaToS3Program
{
    public static string DllPath => BuiltPrograms.Find(Path.Combine("samples", "KafkaToS3"), "KafkaToS3.dll");

    /// <summary>Writes <paramref name="json"/> to a fresh file in the test's work directory and returns its path.</summary>
    public static string WriteTenantsFile(string json)
    {
        string path = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"tenants-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }

    /// <summary>
    /// Writes a <c>--kafka-config</c> file with a short session to a fresh file in the test's work directory and returns
    /// its path: a member that sends no heartbeat for 3 s is out of the group.
    /// </summary>
    public static string WriteShortSessionConfig()
    {
        string path = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"kafka-{Guid.NewGuid():N}.properties");
        File.WriteAllText(path, "session.timeout.ms=3000\nheartbeat.interval.ms=100\n");
        return path;
    }

    /// <summary>Writes a tenants file of one valid tenant (source <c>web</c>, bucket <c>acme</c>), for runs refused before any call.</summary>
    public static string WriteOneTenantFile() => WriteTenantsFile("""
        {"tenants":[{"sources":["web"],"region":"us-east-1","bucket":"acme","roleArn":"arn:aws:iam::123456789012:role/SegmentS3Upload","externalId":"acme-id"}]}
        """);

    /// <summary>The command line for <paramref name="topic"/>: its brokers, topic, group, the tenants file, the local peers' endpoints and the tests' window.</summary>
    public static List<string> Arguments(KafkaTopic topic, string group, string tenantsFile, string? endpointUrl = null, bool untilCaughtUp = true) =>
    [
        "--bootstrap-servers", topic.Cluster.BootstrapServers, "--topic", topic.Name, "--group-id", group, "--tenants", tenantsFile,
        "--endpoint-url", endpointUrl ?? SharedPeers.S3.ServiceUrl, "--sts-endpoint-url", SharedPeers.Sts.ServiceUrl,
        "--max-batch-records", KafkaTopic.Window.ToString(CultureInfo.InvariantCulture),
        .. untilCaughtUp ? new[] { "--until-caught-up" } : [],
    ];

    /// <summary>The flags of staging bucket <paramref name="stage"/>, in us-east-1, reached at <paramref name="endpointUrl"/>.</summary>
    public static string[] StageArguments(string stage, string endpointUrl) =>
        ["--stage-bucket", stage, "--stage-region", "us-east-1", "--stage-endpoint-url", endpointUrl];

    public static Process Start(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null) =>
        RawdataProgram.StartDll(DllPath, arguments, environment);

    /// <summary>
    /// Stops a started program with SIGTERM once its output says it has got far enough: waits (at most
    /// <paramref name="readyBound"/>) until <paramref name="ready"/> accepts the stdout lines so far, lets
    /// <paramref name="settle"/> pass (real time), sends SIGTERM and waits for its end (at most 60 s). Past either bound,
    /// or if it ends before it is ready, the test fails with its output, and the program's whole tree is killed.
    /// </summary>
    /// <returns>Its stdout and stderr, and the time from SIGTERM to its end.</returns>
    public static async Task<(string Stdout, string Stderr, TimeSpan Stopping)> TerminateWhenAsync(
        Process process, Func<IReadOnlyCollection<string>, bool> ready, TimeSpan readyBound, TimeSpan settle = default)
    {
        using var program = KafkaToS3QaProcess.Watch(process);
        await program.WaitForAsync(ready, readyBound, "ready to be stopped");
        await Task.Delay(settle);
        TimeSpan stopping = await program.SignalAsync("TERM", TimeSpan.FromSeconds(60));
        return (program.Stdout, program.Errors, stopping);
    }

    /// <summary>Runs the program until caught up (bounded by <see cref="RawdataProgram.RunToEndAsync"/>).</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(
        KafkaTopic topic, string group, TenantDestinationsOptions tenants, IEnumerable<string>? extra = null, string? endpointUrl = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        string file = WriteTenantsFile(KafkaTopic.TenantsJson(tenants));
        try
        {
            using Process process = Start([.. Arguments(topic, group, file, endpointUrl), .. extra ?? []], environment);
            return await RawdataProgram.RunToEndAsync(process, stdin: "");
        }
        finally
        {
            File.Delete(file);
        }
    }
}
