namespace RawDataDestination.Tests.Routing;

/// <summary><see cref="DestinationPool"/>: destinations built on first use and disposed once idle, never while an upload holds one.</summary>
public class DestinationPoolTests
{
    private static readonly S3RoleDestinationSettings Settings = S3RoleDestinationSettings.From(new S3RoleDestinationOptions
    {
        Region = "us-east-1",
        Bucket = "acme-logs/raw",
        RoleArn = "arn:aws:iam::111111111111:role/Segment",
        ExternalId = "acme-external-id",
    });

    [Test]
    public void Sweep_ADestinationAnUploadHoldsPastTheIdleTimeout_IsKeptUntilItIsReturnedAndIdleAgain()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var pool = new DestinationPool(TimeSpan.FromMinutes(10), new BasicAWSCredentials("AKIDEXAMPLE", "secret"), time, loggerFactory: null);
        DestinationPool.Lease upload = pool.Rent(Settings); // an attempt that hangs for half an hour (or its retries)

        time.Advance(TimeSpan.FromMinutes(30));

        Assert.That(pool.Count, Is.EqualTo(1), "not disposed under the upload");
        using (DestinationPool.Lease another = pool.Rent(Settings))
        {
            Assert.That(another.Destination, Is.SameAs(upload.Destination), "the batches of that customer share it meanwhile");
        }

        upload.Dispose();
        time.Advance(TimeSpan.FromMinutes(9));
        Assert.That(pool.Count, Is.EqualTo(1), "idle for 9 minutes only");
        time.Advance(TimeSpan.FromMinutes(6));
        Assert.That(pool.Count, Is.Zero, "idle for the timeout since the upload returned it");
    }

    [Test]
    public void Rent_AfterTheDestinationWasDisposedIdle_BuildsANewOne()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var pool = new DestinationPool(TimeSpan.FromMinutes(10), new BasicAWSCredentials("AKIDEXAMPLE", "secret"), time, loggerFactory: null);
        S3RoleDestination first;
        using (DestinationPool.Lease attempt = pool.Rent(Settings))
        {
            first = attempt.Destination;
        }

        time.Advance(TimeSpan.FromMinutes(15)); // a failing customer's next retry comes after its destination idled out

        using DestinationPool.Lease retry = pool.Rent(Settings);
        Assert.That(retry.Destination, Is.Not.SameAs(first), "a new destination, never the disposed one");
        Assert.That(pool.Count, Is.EqualTo(1));
    }
}
