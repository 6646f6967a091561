namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>The KafkaToS3 sample's <c>--kafka-config</c> file: librdkafka settings for its consumer, or every bad line named.</summary>
public class KafkaConfigFileTests
{
    [Test]
    public void Parse_PropertiesWithCommentsAndBlankLines_GivesEachSetting()
    {
        Dictionary<string, string> settings = KafkaConfigFile.Parse(
            "# the cluster's security\r\nsecurity.protocol=SASL_SSL\n\n! another comment\n  sasl.password = p=w:d \nsession.timeout.ms=6000\n",
            "kafka.properties");

        Assert.That(settings, Is.EquivalentTo(new Dictionary<string, string>
        {
            ["security.protocol"] = "SASL_SSL",
            ["sasl.password"] = "p=w:d",
            ["session.timeout.ms"] = "6000",
        }));
    }

    [Test]
    public void Parse_LinesThatAreBadOrSetWhatTheWorkerOwns_AreRefusedNamingEachLine()
    {
        var error = Assert.Throws<UsageException>(() => KafkaConfigFile.Parse(
            "session.timeout.ms=6000\nenable.auto.commit=true\njust-a-word\n=value\nsession.timeout.ms=7000\ngroup.id=other\n",
            "kafka.properties"));

        Assert.That(error!.Message, Says.All(
            "--kafka-config 'kafka.properties' line 2 sets enable.auto.commit, which the worker sets itself: the worker commits a window only once its objects are in S3. Remove the line.",
            "--kafka-config 'kafka.properties' line 3 is 'just-a-word'; write name=value, such as session.timeout.ms=10000.",
            "--kafka-config 'kafka.properties' line 4 is '=value'; write name=value",
            "--kafka-config 'kafka.properties' line 5 sets session.timeout.ms again; keep one line for it.",
            "--kafka-config 'kafka.properties' line 6 sets group.id, which the worker sets itself: give it with --group-id."));
    }

    // librdkafka takes a topic property with a "topic." prefix, and other names for some: topic.auto.offset.reset=latest
    // was taken, and skipped for good every record produced before the group's first commit.
    [TestCase("topic.auto.offset.reset=latest", "topic.auto.offset.reset (librdkafka's other name for auto.offset.reset), which the worker sets itself: the worker reads a partition without a commit from its start")]
    [TestCase("metadata.broker.list=127.0.0.1:9092", "metadata.broker.list (librdkafka's other name for bootstrap.servers), which the worker sets itself: give it with --bootstrap-servers")]
    [TestCase("auto.commit.enable=true", "auto.commit.enable (librdkafka's other name for enable.auto.commit), which the worker sets itself")]
    [TestCase("topic.auto.commit.enable=true", "topic.auto.commit.enable (librdkafka's other name for enable.auto.commit), which the worker sets itself")]
    public void Parse_ASettingTheWorkerOwnsUnderAnotherNameOfLibrdkafkas_IsRefusedAsTheSetting(string line, string message)
    {
        var error = Assert.Throws<UsageException>(() => KafkaConfigFile.Parse($"session.timeout.ms=6000\n{line}\n", "kafka.properties"));

        Assert.That(error!.Message, Does.StartWith($"--kafka-config 'kafka.properties' line 2 sets {message}"));
    }

    [Test]
    public async Task KafkaToS3Program_WithASettingLibrdkafkaDoesNotKnow_ExitsTwoNamingIt()
    {
        string tenants = KafkaToS3Program.WriteOneTenantFile();
        string properties = Path.GetTempFileName();
        try
        {
            File.WriteAllText(properties, "sesion.timeout.ms=6000\n");
            using Process process = KafkaToS3Program.Start(["--bootstrap-servers", "127.0.0.1:9", "--topic", "t", "--group-id", "g", "--tenants", tenants, "--kafka-config", properties]);

            var (exitCode, _, stderr) = await RawdataProgram.RunToEndAsync(process, stdin: "");

            Assert.That(exitCode, Is.EqualTo(2), stderr);
            Assert.That(stderr, Does.Contain("The Kafka consumer refused its settings: No such configuration property: \"sesion.timeout.ms\". Check --kafka-config"));
            Assert.That(stderr, Does.Not.Contain("Unhandled exception"));
        }
        finally
        {
            File.Delete(tenants);
            File.Delete(properties);
        }
    }

    [Test]
    public void CommandLine_WithAKafkaConfigFile_GivesItsSettingsToTheConsumer()
    {
        string tenants = KafkaToS3Program.WriteOneTenantFile();
        string properties = Path.GetTempFileName();
        try
        {
            File.WriteAllText(properties, "security.protocol=SASL_SSL\nsession.timeout.ms=6000\n");

            var line = CommandLine.Parse(["--bootstrap-servers", "kafka:9092", "--topic", "t", "--group-id", "g", "--tenants", tenants, "--kafka-config", properties]);

            Assert.That(line.Worker.ConsumerSettings, Is.EquivalentTo(new Dictionary<string, string> { ["security.protocol"] = "SASL_SSL", ["session.timeout.ms"] = "6000" }));
        }
        finally
        {
            File.Delete(tenants);
            File.Delete(properties);
        }
    }
}
