using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using Moq;
using RawDataDestination.Credentials;
using RawDataDestination.S3;

namespace RawDataDestination.Tests.S3;

/// <summary>Setup-check paths the loopback STS and s3rver cannot produce on demand, through mocked clients.</summary>
public class S3RoleDestinationVerifyTests
{
    private const string RoleArn = "arn:aws:iam::123456789012:role/SegmentS3Upload";

    [Test]
    public async Task VerifyAsync_WhenTheS3ClientsOwnAssumeRoleIsRefusedAfterStepTwo_FailsTheProbeStepInsteadOfThrowing()
    {
        var sts = new Mock<IAmazonSecurityTokenService>(MockBehavior.Strict);
        sts.Setup(c => c.AssumeRoleAsync(It.Is<AssumeRoleRequest>(r => r.ExternalId == null), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new AmazonSecurityTokenServiceException("not authorized", ErrorType.Sender, "AccessDenied", "request-id", HttpStatusCode.Forbidden));
        sts.Setup(c => c.AssumeRoleAsync(It.Is<AssumeRoleRequest>(r => r.ExternalId == "ext-id-123"), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new AssumeRoleResponse { Credentials = new Amazon.SecurityToken.Model.Credentials("ASIAEXAMPLE", "secret", "token", new DateTime(2030, 1, 1, 0, 0, 0, DateTimeKind.Utc)) });
        var refused = new DestinationException("AccessDenied", isPermanent: true, "STS refused to assume role 'x' (AccessDenied). Check the role's trust relationship.", null);
        var s3 = new Mock<IAmazonS3>(MockBehavior.Strict);
        s3.Setup(c => c.PutObjectAsync(It.IsAny<PutObjectRequest>(), It.IsAny<CancellationToken>())).ThrowsAsync(refused);
        var credentials = new AssumeRoleCredentials(sts.Object, RoleArn, "ext-id-123", "s", TimeSpan.FromHours(1), TimeSpan.FromMinutes(5));
        var options = new S3RoleDestinationOptions { Region = "us-west-2", Bucket = "customer-bucket", RoleArn = RoleArn, ExternalId = "ext-id-123" };
        using var destination = new S3RoleDestination(options, s3.Object, credentials);

        SetupCheckReport report = await destination.VerifyAsync();

        Assert.That(report.Steps.Select(s => s.Outcome), Is.EqualTo(new[] { SetupCheckOutcome.Passed, SetupCheckOutcome.Passed, SetupCheckOutcome.Failed }));
        Assert.That(report.FirstFailure!.ErrorCode, Is.EqualTo("AccessDenied"));
        Assert.That(report.FirstFailure.Message, Does.StartWith("Could not write s3://customer-bucket/segment-logs/dummy-object.txt: ").And.Contain("trust relationship"));
    }
}
