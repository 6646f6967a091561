using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SecurityToken;
using Moq;
using RawDataDestination.Batching;
using RawDataDestination.Credentials;
using RawDataDestination.S3;
using RawDataDestination.Tests.Support;

namespace RawDataDestination.Tests.S3;

/// <summary>Failure paths a real S3 cannot produce on demand, through a mocked S3 client.</summary>
public class S3RoleDestinationFailureTests
{
    private static S3RoleDestinationOptions Options() => new()
    {
        Region = "us-west-2",
        Bucket = "customer-bucket/team/raw",
        RoleArn = "arn:aws:iam::123456789012:role/SegmentS3Upload",
        ExternalId = "ext-id-123",
    };

    private static Task<SealedBatch> OneBatchAsync() =>
        TestBatches.CreateAsync("src-1", new DateOnly(2023, 11, 24), "{\"type\":\"track\"}");

    private static (S3RoleDestination Destination, Mock<IAmazonS3> S3) Create(Exception? putError = null)
    {
        var s3 = new Mock<IAmazonS3>(MockBehavior.Strict);
        var put = s3.Setup(c => c.PutObjectAsync(It.IsAny<PutObjectRequest>(), It.IsAny<CancellationToken>()));
        if (putError is null)
        {
            put.ReturnsAsync(new PutObjectResponse { HttpStatusCode = HttpStatusCode.OK });
        }
        else
        {
            put.ThrowsAsync(putError);
        }

        var credentials = new AssumeRoleCredentials(Mock.Of<IAmazonSecurityTokenService>(), Options().RoleArn, "ext-id-123", "s", TimeSpan.FromHours(1), TimeSpan.FromMinutes(5));
        return (new S3RoleDestination(Options(), s3.Object, credentials), s3);
    }

    private static AmazonS3Exception S3Error(string code, HttpStatusCode status, string message = "denied") =>
        new(message, Amazon.Runtime.ErrorType.Sender, code, "request-id", status);

    [Test]
    public async Task UploadAsync_SendsOnePutObjectWithKeyAclAndContentType()
    {
        var (destination, s3) = Create();
        using SealedBatch batch = await OneBatchAsync();

        UploadedObject uploaded = await destination.UploadAsync(batch);

        Assert.That(uploaded.Key, Does.Match(@"^team/raw/segment-logs/src-1/1700784000000/\d{13}\.[0-9a-f-]{36}\.gz$"));
        s3.Verify(c => c.PutObjectAsync(It.Is<PutObjectRequest>(r =>
            r.BucketName == "customer-bucket" && r.Key == uploaded.Key && r.ContentType == "application/gzip"
            && r.CannedACL == S3CannedACL.BucketOwnerFullControl && r.Headers.ContentEncoding == null), It.IsAny<CancellationToken>()), Times.Once);
        s3.VerifyNoOtherCalls();
    }

    [TestCase("AccessDenied", HttpStatusCode.Forbidden, "arn:aws:s3:::customer-bucket/team/raw/segment-logs/*")]
    [TestCase("NoSuchBucket", HttpStatusCode.NotFound, "Bucket 'customer-bucket' does not exist")]
    [TestCase("AccessControlListNotSupported", HttpStatusCode.BadRequest, "Set Acl to None")]
    [TestCase("PermanentRedirect", HttpStatusCode.MovedPermanently, "not in region 'us-west-2'")]
    [TestCase("InvalidAccessKeyId", HttpStatusCode.Forbidden, "did not accept the assumed role's credentials")]
    public async Task UploadAsync_WhenS3RefusesPermanently_ExplainsTheFix(string code, HttpStatusCode status, string fix)
    {
        var (destination, _) = Create(S3Error(code, status));
        using SealedBatch batch = await OneBatchAsync();

        var error = Assert.ThrowsAsync<DestinationException>(async () => await destination.UploadAsync(batch));

        Assert.That(error!.ErrorCode, Is.EqualTo(code));
        Assert.That(error.IsPermanent, Is.True);
        Assert.That(error.Message, Does.Contain(fix));
    }

    [Test]
    public async Task UploadAsync_WhenKmsDenied_AsksForGenerateDataKey()
    {
        var (destination, _) = Create(S3Error("AccessDenied", HttpStatusCode.Forbidden, "User is not authorized to perform: kms:GenerateDataKey on resource: arn:aws:kms:us-west-2:123456789012:key/k"));
        using SealedBatch batch = await OneBatchAsync();

        var error = Assert.ThrowsAsync<DestinationException>(async () => await destination.UploadAsync(batch));

        Assert.That(error!.Message, Does.Contain("kms:GenerateDataKey"));
    }

    [Test]
    public async Task UploadAsync_WhenWrongRegionNamed_NamesTheRightRegion()
    {
        var (destination, _) = Create(S3Error("AuthorizationHeaderMalformed", HttpStatusCode.BadRequest, "The authorization header is malformed; the region 'us-west-2' is wrong; expecting 'eu-central-1'"));
        using SealedBatch batch = await OneBatchAsync();

        var error = Assert.ThrowsAsync<DestinationException>(async () => await destination.UploadAsync(batch));

        Assert.That(error!.Message, Does.Contain("the bucket is in 'eu-central-1'"));
    }

    [Test]
    public async Task UploadAsync_WhenThrottled_LetsTheTransientErrorThrough()
    {
        var (destination, _) = Create(S3Error("SlowDown", HttpStatusCode.ServiceUnavailable, "Please reduce your request rate."));
        using SealedBatch batch = await OneBatchAsync();

        Assert.ThrowsAsync<AmazonS3Exception>(async () => await destination.UploadAsync(batch));
    }
}
