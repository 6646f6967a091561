using RawDataDestination.Staging;

namespace RawDataDestination.Tests.Staging;

public class StagingOptionsTests
{
    private static StagingOptions Valid() => new() { Bucket = "ops-staging/rawdata", Region = "us-east-1" };

    [Test]
    public void From_ValidOptions_CopiesThemWithTheDocumentedDefaults()
    {
        StagingSettings settings = StagingSettings.From(Valid());

        Assert.That(settings.Location.BucketName, Is.EqualTo("ops-staging"));
        Assert.That(settings.Location.Prefix, Is.EqualTo("rawdata"));
        Assert.That(settings.Retention, Is.EqualTo(TimeSpan.FromDays(7)));
        Assert.That(settings.WarnBeforeExpiry, Is.EqualTo(TimeSpan.FromDays(2)));
        Assert.That(settings.ParkedRetryInterval, Is.EqualTo(TimeSpan.FromHours(1)));
    }

    [Test]
    public void From_EveryProblem_IsNamedInOneMessage()
    {
        var options = new StagingOptions
        {
            Bucket = "s3://ops-staging",
            Region = "US-EAST-1",
            Retention = TimeSpan.FromDays(1),
            WarnBeforeExpiry = TimeSpan.FromDays(2),
            ParkedRetryInterval = TimeSpan.Zero,
            MaxConcurrentCopies = 0,
        };

        var exception = Assert.Throws<ArgumentException>(() => StagingSettings.From(options));

        Assert.That(exception!.Message, Does.Contain("Staging Bucket 's3://ops-staging'"));
        Assert.That(exception.Message, Does.Contain("Staging Region 'US-EAST-1'").And.Contain("'us-east-1'"));
        Assert.That(exception.Message, Does.Contain("WarnBeforeExpiry is 2.00:00:00").And.Contain("less than Retention (1.00:00:00)"));
        Assert.That(exception.Message, Does.Contain("ParkedRetryInterval is 00:00:00"));
        Assert.That(exception.Message, Does.Contain("MaxConcurrentCopies is 0"));
    }

    [Test]
    public void StagingConsumer_WithInvalidOptions_ThrowsArgumentException()
    {
        StagingOptions options = Valid();
        options.Bucket = "";

        Assert.Throws<ArgumentException>(() => new StagingConsumer(options, RawDataDestination.S3.BucketLocation.Parse("acme-logs")));
    }
}
