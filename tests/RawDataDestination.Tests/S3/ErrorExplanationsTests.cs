using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.SecurityToken;
using RawDataDestination.S3;

namespace RawDataDestination.Tests.S3;

public class ErrorExplanationsTests
{
    private const string RoleArn = "arn:aws:iam::123456789012:role/SegmentS3Upload";

    private static readonly BucketLocation Location = BucketLocation.Parse("mybucket/path");

    private static AmazonS3Exception S3Error(string? code, HttpStatusCode status, string message = "denied") =>
        new(message, ErrorType.Sender, code, "request-id", status);

    private static DestinationException? ForPut(AmazonS3Exception exception) =>
        ErrorExplanations.ForPutObject(exception, Location, "us-west-2");

    [Test]
    public void ForPutObject_AccessDenied_NamesBothActionsAndTheResourceUnderThePrefix()
    {
        DestinationException? explained = ForPut(S3Error("AccessDenied", HttpStatusCode.Forbidden, "User is not authorized to perform: s3:PutObject"));

        Assert.That(explained, Is.Not.Null);
        Assert.That(explained!.IsPermanent, Is.True);
        Assert.That(explained.ErrorCode, Is.EqualTo("AccessDenied"));
        Assert.That(explained.Message, Does.Contain("s3:PutObject and s3:PutObjectAcl").And.Contain("arn:aws:s3:::mybucket/path/segment-logs/*"));
        Assert.That(explained.Message, Does.Not.Contain("kms:GenerateDataKey"), "S3 named the action, so KMS is not the suspect");
    }

    [Test]
    public void ForPutObject_BareAccessDenied_AlsoPointsAtKms() =>
        Assert.That(ForPut(S3Error("AccessDenied", HttpStatusCode.Forbidden, "Access Denied"))!.Message, Does.Contain("kms:GenerateDataKey"));

    [Test]
    public void ForPutObject_AccessDeniedMentioningKms_AsksForGenerateDataKey()
    {
        DestinationException explained = ForPut(S3Error("AccessDenied", HttpStatusCode.Forbidden, "not authorized to use the KMS key"))!;
        Assert.That(explained.Message, Does.StartWith("S3 refused the upload because the role may not use the bucket's KMS key").And.Contain("kms:GenerateDataKey"));
    }

    [TestCase("KMS.DisabledException")]
    [TestCase("KMS.NotFoundException")]
    public void ForPutObject_KmsErrors_ArePermanentAndNameTheKeyPermission(string code) =>
        Assert.That(ForPut(S3Error(code, HttpStatusCode.BadRequest))!, Has.Property(nameof(DestinationException.IsPermanent)).True.And.Message.Contains("kms:GenerateDataKey"));

    [Test]
    public void ForPutObject_NoSuchBucket_NamesTheBucket() =>
        Assert.That(ForPut(S3Error("NoSuchBucket", HttpStatusCode.NotFound))!.Message, Does.Contain("Bucket 'mybucket' does not exist"));

    [Test]
    public void ForPutObject_WrongRegionInMessage_NamesTheBucketsRegion()
    {
        DestinationException explained = ForPut(S3Error(
            "AuthorizationHeaderMalformed",
            HttpStatusCode.BadRequest,
            "The authorization header is malformed; the region 'us-west-2' is wrong; expecting 'eu-west-1'"))!;
        Assert.That(explained.Message, Does.Contain("is not in region 'us-west-2'").And.Contain("Set Region to 'eu-west-1'"));
    }

    [Test]
    public void ForPutObject_Bare301_IsAWrongRegionEvenWithoutACode()
    {
        DestinationException explained = ForPut(S3Error(null, HttpStatusCode.MovedPermanently, string.Empty))!;
        Assert.That(explained.ErrorCode, Is.EqualTo("PermanentRedirect"));
        Assert.That(explained.Message, Does.Contain("Set Region to the bucket's region"));
    }

    [TestCase("SlowDown", HttpStatusCode.ServiceUnavailable)]
    [TestCase("InternalError", HttpStatusCode.InternalServerError)]
    [TestCase("SomethingNew", HttpStatusCode.BadRequest)]
    public void ForPutObject_ErrorsItCannotExplain_ReturnNull(string code, HttpStatusCode status) =>
        Assert.That(ForPut(S3Error(code, status)), Is.Null);

    [Test]
    public void ForAssumeRole_AccessDenied_NamesTrustRelationshipAndExternalIdCondition()
    {
        var refusal = new AmazonSecurityTokenServiceException("not authorized", ErrorType.Sender, "AccessDenied", "request-id", HttpStatusCode.Forbidden);
        DestinationException explained = ErrorExplanations.ForAssumeRole(refusal, RoleArn);
        Assert.That(explained.IsPermanent, Is.True);
        Assert.That(explained.Message, Does.Contain(RoleArn).And.Contain("trust relationship").And.Contain("sts:ExternalId"));
    }

    [Test]
    public void ForAssumeRole_UnknownBaseCredentials_PointsAtTheServicesOwnCredentials()
    {
        var refusal = new AmazonSecurityTokenServiceException("bad key", ErrorType.Sender, "InvalidClientTokenId", "request-id", HttpStatusCode.Forbidden);
        Assert.That(ErrorExplanations.ForAssumeRole(refusal, RoleArn).Message, Does.Contain("this service's own AWS credentials"));
    }

    [Test]
    public void ForTrustPolicy_QuotesTheConditionWithTheExternalId()
    {
        var refusal = new AmazonSecurityTokenServiceException("denied", ErrorType.Sender, "AccessDenied", "request-id", HttpStatusCode.Forbidden);
        Assert.That(
            ErrorExplanations.ForTrustPolicy(refusal, RoleArn, "ext-123"),
            Does.Contain("\"StringEquals\": { \"sts:ExternalId\": \"ext-123\" }").And.Contain(RoleArn));
    }
}
