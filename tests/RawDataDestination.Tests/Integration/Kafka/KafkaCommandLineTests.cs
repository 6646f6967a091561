namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>The KafkaToS3 sample's command line: the library's rules for the staging settings, named by the flags that set them.</summary>
public class KafkaCommandLineTests
{
    [Test]
    public void Parse_AStagingBucketOrRegionTheLibraryRefuses_NamesItsFlag()
    {
        // They were named "--stage-bucket/--stage-region: Staging Bucket 's3://stage'...", the library's property names.
        string message = Assert.Throws<UsageException>(() => CommandLine.Parse(
            ["--bootstrap-servers", "127.0.0.1:9", "--topic", "t", "--group-id", "g", "--stage-bucket", "s3://stage", "--stage-region", "US-EAST-1"]))!.Message;

        Assert.That(message, Does.Contain("--stage-bucket 's3://stage'").And.Contain("--stage-region 'US-EAST-1'"), message);
        Assert.That(message, Does.Not.Contain("Staging "), message);
    }
}
