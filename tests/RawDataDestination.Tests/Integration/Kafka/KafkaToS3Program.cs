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

    /// <summary>The command line for <paramref name="topic"/>: its brokers, topic, group, the tenants file, the local peers' endpoints and the tests' window.</summary>
    public static List<string> Arguments(KafkaTopic topic, string group, string tenantsFile, string? endpointUrl = null, bool untilCaughtUp = true) =>
    [
        "--bootstrap-servers", topic.Cluster.BootstrapServers, "--topic", topic.Name, "--group-id", group, "--tenants", tenantsFile,
        "--endpoint-url", endpointUrl ?? SharedPeers.S3.ServiceUrl, "--sts-endpoint-url", SharedPeers.Sts.ServiceUrl,
        "--max-batch-records", KafkaTopic.Window.ToString(CultureInfo.InvariantCulture),
        .. untilCaughtUp ? new[] { "--until-caught-up" } : [],
    ];

    public static Process Start(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null) =>
        RawdataProgram.StartDll(DllPath, arguments, environment);

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
