using Amazon.Runtime.CredentialManagement;

namespace RawDataDestination.Tests.Aws;

/// <summary>
/// <see cref="MissingCredentials"/>: a request that could not be signed for want of this service's own credentials is
/// told apart, in each form the AWS SDK versions this package runs on give it. The errors are hand-built: the process
/// tests (RawdataErrorsTests) meet the real ones of the SDK version the tests run on.
/// </summary>
public class MissingCredentialsTests
{
    private static IEnumerable<TestCaseData> NoCredentials()
    {
        yield return new TestCaseData(new AWSCommonRuntimeException("Attempting to make a request that requires an implementation of AWS Signature V4a. Add a reference to the AWSSDK.Extensions.CrtIntegration NuGet package."))
            .SetArgDisplayNames("SDK 4.0, no credentials: the V4a signer");
        yield return new TestCaseData(new AmazonClientException("Failed to resolve AWS credentials. The credential providers used to search for credentials returned the following errors:"))
            .SetArgDisplayNames("SDK 4.1, no credentials");
        yield return new TestCaseData(new ProfileNotFoundException("Unable to find the \"prdo\" profile."))
            .SetArgDisplayNames("SDK 4.1, AWS_PROFILE names no profile");
        yield return new TestCaseData(new AmazonServiceException("AssumeRole could not be sent", new ProfileNotFoundException("Unable to find the \"prdo\" profile.")))
            .SetArgDisplayNames("wrapped");
    }

    [TestCaseSource(nameof(NoCredentials))]
    public void In_AnErrorForWantOfCredentials_IsTrueAndTheStsAndStagingExplanationsSayItIsPermanent(Exception error)
    {
        Assert.That(MissingCredentials.In(error), Is.True);

        AssumeRoleException sts = StsExplanations.Explain(error, "arn:aws:iam::123456789012:role/Segment", "ext-123", new StsEndpoint(null, "us-east-1"), CancellationToken.None)!;
        Assert.That(sts.ErrorCode, Is.EqualTo(StsExplanations.NoCredentialsCode));
        Assert.That(sts.IsPermanent, Is.True);
        Assert.That(TransientErrors.IsTransient(sts, CancellationToken.None), Is.False, "not retried for the whole retry budget");

        DestinationException staging = ErrorExplanations.ForS3(error, new S3Target(Staging: true, BucketLocation.Parse("ops-staging"), "us-east-1", null))!;
        Assert.That(staging.ErrorCode, Is.EqualTo("NoCredentials"));
        Assert.That(staging.IsPermanent, Is.True);
    }

    [Test]
    public void In_AnotherClientError_IsFalse()
    {
        Assert.That(MissingCredentials.In(new AmazonClientException("Unable to read the response.")), Is.False);
        Assert.That(MissingCredentials.In(new HttpRequestException("Connection refused")), Is.False);
    }
}
