namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>The KafkaToS3 sample's command line: the library's rules for the staging settings, named by the flags that set them.</summary>
public class KafkaCommandLineTests
{
    /// <summary>What to enter instead of a bad --max-batch-records, and of a bad --max-event-bytes.</summary>
    private const string RecordsFix = "give a whole number from 1 to 2147483647, such as 100000.";
    private const string EventBytesFix = "give the largest record value taken as an event, in bytes, a whole number from 2 to 2147483647, such as 32768.";

    [Test]
    public void Parse_AStagingBucketOrRegionTheLibraryRefuses_NamesItsFlag()
    {
        // They were named "--stage-bucket/--stage-region: Staging Bucket 's3://stage'...", the library's property names.
        string message = Assert.Throws<UsageException>(() => CommandLine.Parse(
            ["--bootstrap-servers", "127.0.0.1:9", "--topic", "t", "--group-id", "g", "--stage-bucket", "s3://stage", "--stage-region", "US-EAST-1"]))!.Message;

        Assert.That(message, Does.Contain("--stage-bucket 's3://stage'").And.Contain("--stage-region 'US-EAST-1'"), message);
        Assert.That(message, Does.Not.Contain("Staging "), message);
    }

    [Test]
    public void Parse_AStagingRegionTheSdkDoesNotKnow_IsRefusedNamingTheClosestAndTheFlagThatTakesIt()
    {
        // It was taken, and every batch then failed to stage, at s3.us-wst-2.amazonaws.com.
        string[] arguments = ["--bootstrap-servers", "127.0.0.1:9", "--topic", "t", "--group-id", "g", "--stage-bucket", "stage", "--stage-region", "us-wst-2"];

        string message = Assert.Throws<UsageException>(() => CommandLine.Parse(arguments))!.Message;

        Assert.That(message, Does.Contain("--stage-region 'us-wst-2' is not an AWS region this version of the AWS SDK knows; did you mean 'us-west-2'? If 'us-wst-2' is a region newer than the SDK, add --allow-unknown-region to accept it."), message);
        string withFlag = Assert.Throws<UsageException>(() => CommandLine.Parse([.. arguments, "--allow-unknown-region"]))!.Message;
        Assert.That(withFlag, Does.Contain("--tenants").And.Not.Contain("us-wst-2"), "taken with the flag: only the missing --tenants is said");
    }

    // Past the largest, --max-batch-records said "give a whole number greater than 0" for a number greater than 0.
    [TestCase("--max-batch-records", "0", RecordsFix)]
    [TestCase("--max-batch-records", "99999999999", RecordsFix)]
    [TestCase("--max-batch-records", "1e5", RecordsFix)]
    [TestCase("--max-event-bytes", "1", EventBytesFix)]
    [TestCase("--max-event-bytes", "99999999999", EventBytesFix)]
    [TestCase("--max-event-bytes", "32k", EventBytesFix)]
    public void Parse_ASizeOutOfItsRange_SaysTheRangeAndTheDefault(string option, string value, string fix)
    {
        string message = Assert.Throws<UsageException>(() => CommandLine.Parse(
            ["--bootstrap-servers", "127.0.0.1:9", "--topic", "t", "--group-id", "g", option, value]))!.Message;

        Assert.That(message, Does.Contain($"{option} is '{value}'; {fix}"), message);
    }

    [Test]
    public void Parse_ATenantRegionTheSdkDoesNotKnow_NamesTheFlagThatTakesItAndIsTakenWithIt()
    {
        // It said "set AllowUnknownRegion to true", a setting neither the tenants file nor the command line had.
        string file = Path.GetTempFileName();
        File.WriteAllText(file, """{"tenants":[{"sources":["web"],"region":"xx-new-1","bucket":"acme","roleArn":"arn:aws:iam::123456789012:role/x","externalId":"acme-id"}]}""");
        try
        {
            string[] arguments = ["--bootstrap-servers", "127.0.0.1:9", "--topic", "t", "--group-id", "g", "--tenants", file];
            string message = Assert.Throws<UsageException>(() => CommandLine.Parse(arguments))!.Message;

            Assert.That(message, Does.Contain("If 'xx-new-1' is a region newer than the SDK, add --allow-unknown-region to accept it.").And.Not.Contain("AllowUnknownRegion"), message);
            Assert.That(CommandLine.Parse([.. arguments, "--allow-unknown-region"]).Tenants.Tenants.Single().Region, Is.EqualTo("xx-new-1"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public void Parse_AStagingBucketThatIsACustomersBucket_IsRefusedNamingTheTenant()
    {
        // QA: taken, and another customer's batches were staged into customer 0's bucket.
        string file = Path.GetTempFileName();
        File.WriteAllText(file, """{"tenants":[{"name":"acme","sources":["web"],"region":"us-east-1","bucket":"acme-logs/raw","roleArn":"arn:aws:iam::123456789012:role/x","externalId":"acme-id"}]}""");
        try
        {
            string message = Assert.Throws<UsageException>(() => CommandLine.Parse(
                ["--bootstrap-servers", "127.0.0.1:9", "--topic", "t", "--group-id", "g", "--tenants", file, "--stage-bucket", "acme-logs/stage", "--stage-region", "us-east-1"]))!.Message;

            Assert.That(message, Does.Contain("--stage-bucket 'acme-logs/stage' is the bucket of tenant 'acme' (tenants[0] in --tenants)"), message);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public void Parse_AnOptionWithItsValueAfterAnEqualsSign_SaysToWriteASpace()
    {
        // It said "Unknown argument '--topic=orders'." and then "Missing required option --topic.".
        string message = Assert.Throws<UsageException>(() => CommandLine.Parse(
            ["--bootstrap-servers", "127.0.0.1:9", "--topic=orders", "--group-id", "g"]))!.Message;

        Assert.That(message, Does.Contain("Option --topic takes its value after a space, not '='; write --topic orders.").And.Not.Contain("--topic."), message);
    }

    [Test]
    public void Parse_RetryTimeLimit_SetsTheHeldWindowsBoundOfARunUntilCaughtUp()
    {
        string file = KafkaToS3Program.WriteOneTenantFile();
        try
        {
            string[] line = ["--bootstrap-servers", "127.0.0.1:9", "--topic", "t", "--group-id", "g", "--tenants", file];

            Assert.That(CommandLine.Parse([.. line, "--until-caught-up"]).Worker.RetryTimeLimit, Is.EqualTo(TimeSpan.FromMinutes(5)), "the default: the library's RetryBudget");
            Assert.That(CommandLine.Parse([.. line, "--until-caught-up", "--retry-time-limit", "30"]).Worker.RetryTimeLimit, Is.EqualTo(TimeSpan.FromSeconds(30)));
            Assert.That(CommandLine.Parse([.. line, "--until-caught-up", "--retry-time-limit", "0"]).Worker.RetryTimeLimit, Is.EqualTo(TimeSpan.Zero), "0: give up at the first retry");
            Assert.That(
                Assert.Throws<UsageException>(() => CommandLine.Parse([.. line, "--retry-time-limit", "30"]))!.Message,
                Does.Contain("--retry-time-limit applies only with --until-caught-up"));
            Assert.That(
                Assert.Throws<UsageException>(() => CommandLine.Parse([.. line, "--until-caught-up", "--retry-time-limit", "5m"]))!.Message,
                Does.Contain("--retry-time-limit is '5m'; give the seconds").And.Contain("such as 300."));
            Assert.That(Assert.Throws<UsageException>(() => CommandLine.Parse([.. line, "--until-caught-up", "--retry-time-limit", "-1"]))!.Message, Does.Contain("--retry-time-limit is '-1'"));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
