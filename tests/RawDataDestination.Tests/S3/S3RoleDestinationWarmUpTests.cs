using Moq;

namespace RawDataDestination.Tests.S3;

/// <summary><see cref="S3RoleDestination.WarmUpAsync"/>: the role is assumed before the first upload, which then reuses it.</summary>
public class S3RoleDestinationWarmUpTests
{
    private static readonly S3RoleDestinationOptions Options = new()
    {
        Region = "us-west-2",
        Bucket = "customer-bucket",
        RoleArn = "arn:aws:iam::123456789012:role/SegmentS3Upload",
        ExternalId = "ext-id-123",
    };

    [Test]
    public async Task WarmUpAsync_AssumesTheRoleOnceAndTheFirstUploadReusesItWithoutTouchingTheBucketBefore()
    {
        var time = new FakeTimeProvider(Start);
        var sts = new Mock<IAmazonSecurityTokenService>();
        sts.Setup(c => c.AssumeRoleAsync(It.IsAny<AssumeRoleRequest>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(() => new AssumeRoleResponse { Credentials = new Credentials("ASIAWARM", "secret", "token", time.GetUtcNow().UtcDateTime.AddHours(1)) });
        var s3 = new Mock<IAmazonS3>(MockBehavior.Strict);
        var credentials = AssumeRoleCredentials.Create(sts.Object, new RoleSession(Options.RoleArn, Options.ExternalId, "rawdata", TimeSpan.FromHours(1)), TimeSpan.FromMinutes(5), time);
        using var destination = new S3RoleDestination(Options, s3.Object, credentials, timeProvider: time);

        await destination.WarmUpAsync();

        sts.Verify(c => c.AssumeRoleAsync(It.Is<AssumeRoleRequest>(r => r.ExternalId == Options.ExternalId), It.IsAny<CancellationToken>()), Times.Once);
        s3.VerifyNoOtherCalls(); // a strict mock: nothing was sent to the bucket
        s3.Setup(c => c.PutObjectAsync(It.IsAny<PutObjectRequest>(), It.IsAny<CancellationToken>())).ReturnsAsync(S3Answers.Written());
        using var batch = await TestBatches.CreateAsync("src-1", new DateOnly(2023, 11, 24), "{\"type\":\"track\"}");
        await destination.UploadAsync(batch);
        Assert.That(credentials.RefreshCount, Is.EqualTo(1), "the upload used the credentials the warm-up cached");
    }

    [Test]
    public void WarmUpAsync_WhenStsRefusesTheRole_ThrowsTheExplainedRefusal()
    {
        var sts = new Mock<IAmazonSecurityTokenService>();
        sts.Setup(c => c.AssumeRoleAsync(It.IsAny<AssumeRoleRequest>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new AmazonSecurityTokenServiceException("not authorized to perform sts:AssumeRole", Amazon.Runtime.ErrorType.Sender, "AccessDenied", "r", HttpStatusCode.Forbidden));
        var credentials = AssumeRoleCredentials.Create(sts.Object, new RoleSession(Options.RoleArn, Options.ExternalId, "rawdata", TimeSpan.FromHours(1)), TimeSpan.FromMinutes(5));
        using var destination = new S3RoleDestination(Options, Mock.Of<IAmazonS3>(MockBehavior.Strict), credentials);

        Assert.ThrowsAsync<DestinationException>(async () => await destination.WarmUpAsync());
    }
}
