namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// The KafkaToS3 program when Kafka cannot be reached, run as a child process: brokers that refuse connections and a
/// broker that accepts them and never answers. A run meant to end (<c>--until-caught-up</c>) ends, and Kafka's errors
/// do not flood the log.
/// </summary>
[CancelAfter(120_000)]
public class KafkaToS3UnreachableTests
{
    private const string Tenants = """{"tenants":[{"sources":["web"],"region":"us-east-1","bucket":"acme-logs","roleArn":"arn:aws:iam::123456789012:role/segment","externalId":"acme-id"}]}""";

    [Test]
    public async Task KafkaToS3Program_UntilCaughtUpWithBrokersThatRefuse_ExitsOneAtTheAssignTimeoutNamingKafkasErrorOnce()
    {
        string refusing = $"127.0.0.1:{FreePort.Next()}";

        var (exitCode, stdout, stderr) = await RunUntilCaughtUpAsync(refusing);

        Assert.That(exitCode, Is.EqualTo(1), stdout + stderr);
        Assert.That(stderr, Does.Contain("Stopping: no partition of topic t was assigned to this member of group g within 00:00:03 (--assign-timeout).")
            .And.Contain("Kafka's last error was Local_").And.Contain($"check --bootstrap-servers ({refusing})"));
        Assert.That(Lines(stdout, "Kafka error Local_Transport"), Is.EqualTo(1), "librdkafka reports about 20 refused connections a second; one line says so\n" + stdout);
    }

    [Test]
    public async Task KafkaToS3Program_UntilCaughtUpWithAStageAndNoAwsCredentials_ExitsOneSayingOnItsLastLineWhyTheStageWasNotListed()
    {
        // No credentials anywhere: the count of what is left in the stage, at the end of the run, must not abort it (exit 134).
        using var home = new TempDirectory("kafkatos3-home-");
        Dictionary<string, string> environment = NoCredentialsEnvironment.Under(home.Path);

        var (exitCode, stdout, stderr) = await RunUntilCaughtUpAsync(
            $"127.0.0.1:{FreePort.Next()}", KafkaToS3Program.StageArguments("ops-stage", RealAnswers.Refusing().ToString()), environment);

        Assert.That(exitCode, Is.EqualTo(1), "the assign timeout's exit code\n" + stdout + stderr);
        Assert.That(stderr, Does.Contain("Stopping: no partition of topic t was assigned"));
        Assert.That(stderr + stdout, Does.Not.Contain("Unhandled exception"));
        Assert.That(stdout.TrimEnd().Split('\n')[^1], Does.StartWith("KafkaToS3 stopped: 0 records read")
            .And.Contain("0 copied from the stage (what is left there could not be listed: this service has no AWS credentials)"), stdout);
    }

    [Test]
    public async Task KafkaToS3Program_UntilCaughtUpWithABrokerThatNeverAnswers_ExitsOneAtTheAssignTimeout()
    {
        await using var silent = new SilentEndpoint();

        var (exitCode, stdout, stderr) = await RunUntilCaughtUpAsync(new Uri(silent.Url).Authority);

        Assert.That(exitCode, Is.EqualTo(1), stdout + stderr);
        Assert.That(stderr, Does.Contain("Stopping: no partition of topic t was assigned"), "why it ends with exit 1, on stderr");
        Assert.That(stdout, Does.Contain("KafkaToS3 stopped: 0 records read"));
        Assert.That(silent.BytesReceived, Is.GreaterThan(0), "the worker did reach the broker");
    }

    [Test]
    public async Task KafkaToS3Program_RunningUntilStoppedWithBrokersThatRefuse_LogsEachKindOfErrorOnceAndStopsOnSigterm()
    {
        string tenants = KafkaToS3Program.WriteTenantsFile(Tenants);
        try
        {
            using Process process = KafkaToS3Program.Start(["--bootstrap-servers", $"127.0.0.1:{FreePort.Next()}", "--topic", "t", "--group-id", "g", "--tenants", tenants]);
            var (stdout, _, _) = await KafkaToS3Program.TerminateWhenAsync(
                process, lines => lines.Any(line => line.Contains("Local_AllBrokersDown", StringComparison.Ordinal)), TimeSpan.FromSeconds(30), settle: TimeSpan.FromSeconds(3));

            Assert.That(process.ExitCode, Is.EqualTo(0), stdout);
            Assert.That((Lines(stdout, "Kafka error Local_Transport"), Lines(stdout, "Kafka error Local_AllBrokersDown")), Is.EqualTo((1, 1)), stdout);
            Assert.That(stdout, Does.Contain("KafkaToS3 stopped: 0 records read"));
        }
        finally
        {
            File.Delete(tenants);
        }
    }

    [Test]
    public async Task KafkaToS3Program_WithAssignTimeoutButNotUntilCaughtUp_ExitsTwoSayingWhereItApplies()
    {
        string tenants = KafkaToS3Program.WriteTenantsFile(Tenants);
        try
        {
            using Process process = KafkaToS3Program.Start(["--bootstrap-servers", "127.0.0.1:9", "--topic", "t", "--group-id", "g", "--tenants", tenants, "--assign-timeout", "3"]);
            var (exitCode, _, stderr) = await RawdataProgram.RunToEndAsync(process, stdin: "");

            Assert.That(exitCode, Is.EqualTo(2), stderr);
            Assert.That(stderr, Does.Contain("--assign-timeout applies only with --until-caught-up"));
        }
        finally
        {
            File.Delete(tenants);
        }
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunUntilCaughtUpAsync(
        string bootstrapServers, IEnumerable<string>? extra = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        string tenants = KafkaToS3Program.WriteTenantsFile(Tenants);
        try
        {
            using Process process = KafkaToS3Program.Start(
                ["--bootstrap-servers", bootstrapServers, "--topic", "t", "--group-id", "g", "--tenants", tenants, "--until-caught-up", "--assign-timeout", "3", .. extra ?? []], environment);
            return await RawdataProgram.RunToEndAsync(process, stdin: "");
        }
        finally
        {
            File.Delete(tenants);
        }
    }

    private static int Lines(string output, string part) => output.Split('\n').Count(line => line.Contains(part, StringComparison.Ordinal));
}
