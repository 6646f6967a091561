using Moq;

namespace RawDataDestination.Tests.S3;

/// <summary>Setup-check paths the loopback STS and s3rver cannot produce on demand, through mocked clients.</summary>
public class S3RoleDestinationVerifyTests
{
    private const string RoleArn = "arn:aws:iam::123456789012:role/SegmentS3Upload";

    private static readonly S3RoleDestinationOptions Options = new() { Region = "us-west-2", Bucket = "customer-bucket", RoleArn = RoleArn, ExternalId = "ext-id-123" };

    private static AmazonSecurityTokenServiceException StsDenied() =>
        new("User: arn:aws:iam::000000000000:user/base is not authorized to perform: sts:AssumeRole", ErrorType.Sender, "AccessDenied", "request-id", HttpStatusCode.Forbidden);

    private static AssumeRoleResponse Issued() =>
        new() { Credentials = new Amazon.SecurityToken.Model.Credentials("ASIAEXAMPLE", "secret", "token", new DateTime(2030, 1, 1, 0, 0, 0, DateTimeKind.Utc)) };

    [Test]
    public async Task VerifyAsync_WhenTheS3ClientsOwnAssumeRoleIsRefusedAfterStepTwo_FailsTheProbeStepInsteadOfThrowing()
    {
        // STS grants step 2's AssumeRole, then refuses the one the S3 client makes for its credentials (the trust
        // changed in between). The S3 client is the SDK's own, so the error is whatever it really surfaces.
        var sts = new Mock<IAmazonSecurityTokenService>(MockBehavior.Strict);
        sts.Setup(c => c.AssumeRoleAsync(It.Is<AssumeRoleRequest>(r => r.ExternalId != "ext-id-123"), It.IsAny<CancellationToken>())).ThrowsAsync(StsDenied()); // without an id, and with another
        sts.SetupSequence(c => c.AssumeRoleAsync(It.Is<AssumeRoleRequest>(r => r.ExternalId == "ext-id-123"), It.IsAny<CancellationToken>()))
            .ReturnsAsync(Issued())
            .ThrowsAsync(StsDenied());
        var credentials = AssumeRoleCredentials.Create(sts.Object, new RoleSession(RoleArn, "ext-id-123", "s", TimeSpan.FromHours(1)), TimeSpan.FromMinutes(5));
        using var s3 = new AmazonS3Client(credentials, new AmazonS3Config { ServiceURL = "http://127.0.0.1:9", ForcePathStyle = true, AuthenticationRegion = "us-west-2", MaxErrorRetry = 0 });
        using var destination = new S3RoleDestination(Options, s3, credentials);

        SetupCheckReport report = await destination.VerifyAsync();

        Assert.That(report.Steps.Select(s => s.Outcome), Is.EqualTo(new[] { SetupCheckOutcome.Passed, SetupCheckOutcome.Passed, SetupCheckOutcome.Failed }));
        Assert.That(report.FirstFailure!.ErrorCode, Is.EqualTo("AccessDenied"));
        Assert.That(report.FirstFailure.Message, Does.StartWith("Could not write s3://customer-bucket/segment-logs/dummy-object.txt: ").And.Contain("trust relationship"));
    }

    [Test]
    public async Task VerifyAsync_WhenS3DeniesTheProbe_NamesTheActionsAndResourceToAllow()
    {
        var sts = new Mock<IAmazonSecurityTokenService>(MockBehavior.Strict);
        sts.Setup(c => c.AssumeRoleAsync(It.Is<AssumeRoleRequest>(r => r.ExternalId != "ext-id-123"), It.IsAny<CancellationToken>())).ThrowsAsync(StsDenied()); // without an id, and with another
        sts.Setup(c => c.AssumeRoleAsync(It.Is<AssumeRoleRequest>(r => r.ExternalId == "ext-id-123"), It.IsAny<CancellationToken>())).ReturnsAsync(Issued());
        var s3 = new Mock<IAmazonS3>(MockBehavior.Strict);
        s3.Setup(c => c.PutObjectAsync(It.IsAny<PutObjectRequest>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new AmazonS3Exception("Access Denied", ErrorType.Sender, "AccessDenied", "request-id", HttpStatusCode.Forbidden)); // what S3 answers
        var credentials = AssumeRoleCredentials.Create(sts.Object, new RoleSession(RoleArn, "ext-id-123", "s", TimeSpan.FromHours(1)), TimeSpan.FromMinutes(5));
        using var destination = new S3RoleDestination(Options, s3.Object, credentials);

        SetupCheckReport report = await destination.VerifyAsync();

        Assert.That(report.Steps.Select(s => s.Outcome), Is.EqualTo(new[] { SetupCheckOutcome.Passed, SetupCheckOutcome.Passed, SetupCheckOutcome.Failed }));
        Assert.That(report.FirstFailure!.ErrorCode, Is.EqualTo("AccessDenied"));
        Assert.That(report.FirstFailure.Message, Does.Contain("s3:PutObject and s3:PutObjectAcl on resource arn:aws:s3:::customer-bucket/segment-logs/*"));
    }
}
