namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// How the KafkaToS3 program words a tenants file's problem (QA-K K5): a field present but empty is said empty, a field
/// written in other letters once, and the program prints the problems and where to look, not its whole usage text.
/// </summary>
public class KafkaTenantsFileWordingTests
{
    private const string Role = "arn:aws:iam::123456789012:role/SegmentS3Upload";

    private static readonly S3RoleDestinationOptions Defaults = new() { ServiceUrl = new Uri("http://127.0.0.1:9000"), StsServiceUrl = new Uri("http://127.0.0.1:9001") };

    /// <summary>The problems the file's refusal lists, one a line, after its first line naming the file.</summary>
    private static string Problems(string json)
    {
        string[] lines = Assert.Throws<UsageException>(() => TenantsFile.Parse(json, "tenants.json", Defaults))!.Message.Split('\n');
        Assert.That(lines[0], Is.EqualTo("--tenants 'tenants.json' is invalid:"));
        return string.Join('\n', lines[1..]);
    }

    [Test]
    public void Parse_AnEmptyExternalId_IsSaidEmptyNotMissing()
    {
        // The operator saw "externalId":"" in the file and was told it was missing.
        string message = Problems($$"""
            {"tenants":[{"name":"acme","sources":["web"],"region":"us-east-1","bucket":"acme-logs","roleArn":"{{Role}}","externalId":""}]}
            """);

        Assert.That(message, Is.EqualTo("tenant 'acme' (tenants[0]): \"externalId\" is empty (\"\"); write the external id the role's trust policy requires."));
    }

    [Test]
    public void Parse_AnExternalIdWrittenInOtherLetters_IsOneLineNamingTheFieldToWrite()
    {
        // Two lines for one typo: the unknown "externalID", then "externalId" is missing, its consequence.
        string message = Problems($$"""
            {"tenants":[{"name":"acme","sources":["web"],"region":"us-east-1","bucket":"acme-logs","roleArn":"{{Role}}","externalID":"acme-id"}]}
            """);

        Assert.That(message, Is.EqualTo("tenant 'acme' (tenants[0]): unknown field \"externalID\"; write \"externalId\"."));
    }

    [Test]
    public void Parse_AMissingExternalId_IsStillSaidMissing()
    {
        string message = Problems($$"""
            {"tenants":[{"name":"acme","sources":["web"],"region":"us-east-1","bucket":"acme-logs","roleArn":"{{Role}}"}]}
            """);

        Assert.That(message, Is.EqualTo("tenant 'acme' (tenants[0]): \"externalId\" is missing; add the external id the role's trust policy requires."));
    }

    [Test]
    public async Task KafkaToS3Program_WithABadTenantsFile_PrintsTheProblemAndWhereToLookNotTheUsage()
    {
        // Every tenants-file error was followed by the 20-line usage text, which scrolled the one line that matters away.
        string file = KafkaToS3Program.WriteTenantsFile($$"""
            {"tenants":[{"name":"acme","sources":["web"],"region":"us-east-1","bucket":"acme-logs","roleArn":"{{Role}}","externalId":""}]}
            """);
        try
        {
            using Process process = KafkaToS3Program.Start(["--bootstrap-servers", "127.0.0.1:9", "--topic", "t", "--group-id", "g", "--tenants", file]);
            var (exitCode, stdout, stderr) = await RawdataProgram.RunToEndAsync(process, stdin: "");

            Assert.That(exitCode, Is.EqualTo(2), stderr);
            Assert.That(stdout, Is.Empty);
            Assert.That(stderr.TrimEnd().Split('\n'), Is.EqualTo(new[]
            {
                $"--tenants '{file}' is invalid:",
                "tenant 'acme' (tenants[0]): \"externalId\" is empty (\"\"); write the external id the role's trust policy requires.",
                "Fix the --tenants file as said above; KafkaToS3 --help shows its format and the options.",
            }));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public async Task KafkaToS3Program_WithABadOption_StillPrintsTheUsageWhoseLastLineIsWhole()
    {
        string file = KafkaToS3Program.WriteOneTenantFile();
        try
        {
            using Process process = KafkaToS3Program.Start(["--bootstrap-servers", "127.0.0.1:9", "--topic", "t", "--group-id", "g", "--tenants", file, "--max-batch-records", "many"]);
            var (exitCode, _, stderr) = await RawdataProgram.RunToEndAsync(process, stdin: "");

            Assert.That(exitCode, Is.EqualTo(2), stderr);
            Assert.That(stderr, Does.StartWith("--max-batch-records is 'many'").And.Contain("Usage: KafkaToS3 --bootstrap-servers HOSTS"));
            Assert.That(stderr.TrimEnd().Split('\n')[^1], Is.EqualTo("130 or 143 a second SIGINT or SIGTERM quit at once."), "the usage's last line broke mid-phrase");
        }
        finally
        {
            File.Delete(file);
        }
    }
}
