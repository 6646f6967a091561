namespace RawDataDestination.Tests.Integration;

/// <summary>
/// <c>rawdata</c> as users get it: packed as a .NET tool, installed with <c>dotnet tool install --tool-path</c> from a
/// local folder of packages, then run by its name.
/// </summary>
public class RawdataToolPackageTests
{
    [Test]
    [CancelAfter(300_000)]
    public async Task PackedTool_InstalledFromALocalFolder_RunsHelpAndShipsToTheLocalPeers()
    {
        string work = Directory.CreateTempSubdirectory("rawdata-tool-").FullName;
        try
        {
            string packages = Path.Combine(work, "packages");
            string tools = Path.Combine(work, "tools");
            string project = Path.Combine(RepoPaths.Root, "samples", "rawdata", "rawdata.csproj");
            // A version of its own, so that no package cached by an earlier run stands in for this build.
            string version = $"0.0.0-test.{TimeProvider.System.GetUtcNow():yyyyMMddHHmmssfff}";
            await RunAsync(LocalPeersProgram.DotnetHost, ["pack", project, "-c", "Release", "--no-build", "-o", packages, "-nologo", $"-p:PackageVersion={version}"]);
            Assert.That(Directory.GetFiles(packages, "RawDataDestination.Cli.*.nupkg"), Has.Length.EqualTo(1));
            await RunAsync(LocalPeersProgram.DotnetHost, ["tool", "install", "RawDataDestination.Cli", "--version", version, "--tool-path", tools, "--add-source", packages]);
            string rawdata = Path.Combine(tools, "rawdata");

            string help = await RunAsync(rawdata, ["--help"]);
            Assert.That(help, Does.Contain("Usage:").And.Contain("ship"));

            string source = Objects.UniqueSource("cli-tool");
            string input = Path.Combine(work, "events.ndjson");
            await File.WriteAllTextAsync(input, "{\"type\":\"track\",\"messageId\":\"tool-1\",\"receivedAt\":\"2023-11-24T10:00:00.000Z\"}\n");
            string summary = await RunAsync(rawdata,
            [
                "ship", "--region", "us-east-1", "--bucket", SharedPeers.Bucket, "--role-arn", SharedPeers.RoleArn, "--external-id", SharedPeers.ExternalId,
                "--source-id", source, "--input", input, "--endpoint-url", SharedPeers.S3.ServiceUrl, "--sts-endpoint-url", SharedPeers.Sts.ServiceUrl,
            ]);
            Assert.That(summary, Does.Contain("events delivered: 1"));
            Dictionary<string, string[]> objects = await Objects.ReadAllAsync($"segment-logs/{source}/");
            Assert.That(Objects.MessageIds(objects.Values.Single()), Is.EqualTo(new[] { "tool-1" }));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Runs a program to its end (bounded); fails the test with its output when it exits non-zero.</summary>
    private static async Task<string> RunAsync(string program, string[] arguments)
    {
        var start = new ProcessStartInfo(program, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = RepoPaths.Root,
        };
        start.Environment["AWS_ACCESS_KEY_ID"] = RawdataProgram.BaseCredentialsEnvironment["AWS_ACCESS_KEY_ID"];
        start.Environment["AWS_SECRET_ACCESS_KEY"] = RawdataProgram.BaseCredentialsEnvironment["AWS_SECRET_ACCESS_KEY"];
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment.Remove("AWS_SESSION_TOKEN");
        start.Environment.Remove("AWS_PROFILE");
        using Process process = Process.Start(start)!;
        var (exitCode, stdout, stderr) = await RawdataProgram.RunToEndAsync(process, "");
        Assert.That(exitCode, Is.EqualTo(0), $"{program} {string.Join(' ', arguments)}\n{stdout}\n{stderr}");
        return stdout;
    }
}
