using Amazon;
using RawDataDestination.Aws;

namespace RawDataDestination.Tests.Aws;

/// <summary><see cref="AwsClientSettings"/>: the one configuration of the customer's S3 client, its STS client and the staging bucket's client.</summary>
public class AwsClientSettingsTests
{
    private static readonly Uri Endpoint = new("http://127.0.0.1:4566");

    [Test]
    public void ForS3_AtAwssOwnEndpoint_UsesTheRegionOneAttemptPerCallAndTheBoundedHttpClient()
    {
        var settings = new AwsClientSettings("eu-central-1", null, TimeSpan.FromMinutes(2), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10));

        AmazonS3Config config = settings.ForS3(TimeProvider.System);

        Assert.Multiple(() =>
        {
            Assert.That(config.RegionEndpoint, Is.EqualTo(RegionEndpoint.EUCentral1));
            Assert.That(config.ServiceURL, Is.Null);
            Assert.That(config.MaxErrorRetry, Is.Zero);
            Assert.That(config.Timeout, Is.EqualTo(TimeSpan.FromMinutes(2)));
            Assert.That(config.HttpClientFactory, Is.InstanceOf<BoundedHttpClientFactory>());
            Assert.That(config.ForcePathStyle, Is.False);
        });
    }

    [Test]
    public void ForS3_AtAnEndpointUrl_SignsForTheRegionWithPathStyleAndOnlyTheChecksumsS3Requires()
    {
        var settings = new AwsClientSettings("us-west-2", Endpoint, TimeSpan.FromMinutes(2), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10));

        AmazonS3Config config = settings.ForS3(TimeProvider.System);

        Assert.Multiple(() =>
        {
            Assert.That(config.ServiceURL, Does.StartWith("http://127.0.0.1:4566"));
            Assert.That(config.AuthenticationRegion, Is.EqualTo("us-west-2"));
            Assert.That(config.ForcePathStyle, Is.True);
            Assert.That(config.RequestChecksumCalculation, Is.EqualTo(RequestChecksumCalculation.WHEN_REQUIRED));
            Assert.That(config.ResponseChecksumValidation, Is.EqualTo(ResponseChecksumValidation.WHEN_REQUIRED));
        });
    }

    [Test]
    public void ForSts_AtAnEndpointUrl_SignsForTheRegionWithOneAttemptPerCall()
    {
        var settings = new AwsClientSettings("us-west-2", Endpoint, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10));

        AmazonSecurityTokenServiceConfig config = settings.ForSts(TimeProvider.System);

        Assert.Multiple(() =>
        {
            Assert.That(config.ServiceURL, Does.StartWith("http://127.0.0.1:4566"));
            Assert.That(config.AuthenticationRegion, Is.EqualTo("us-west-2"));
            Assert.That(config.MaxErrorRetry, Is.Zero);
            Assert.That(config.Timeout, Is.EqualTo(TimeSpan.FromSeconds(30)));
            Assert.That(config.HttpClientFactory, Is.InstanceOf<BoundedHttpClientFactory>());
        });
    }

    [Test]
    public void ForS3_WithSdkRetriesAndNoConnectTimeout_KeepsTheSdksRetriesAndHttpClient()
    {
        var settings = new AwsClientSettings("us-west-2", null, TimeSpan.FromMinutes(2)) { SdkRetries = true };

        AmazonS3Config config = settings.ForS3(TimeProvider.System);

        Assert.That(config.MaxErrorRetry, Is.EqualTo(new AmazonS3Config().MaxErrorRetry).And.GreaterThan(0));
        Assert.That(config.HttpClientFactory, Is.Null);
    }

    [TestCase(true, ExpectedResult = false)]
    [TestCase(false, ExpectedResult = true)]
    public bool ForEndpoint_APut_SendsAPlainBodyOnlyToAnEndpointUrl(bool endpointUrl)
    {
        var settings = new AwsClientSettings("us-west-2", endpointUrl ? Endpoint : null, TimeSpan.FromMinutes(2));

        return settings.ForEndpoint(new PutObjectRequest()).UseChunkEncoding;
    }
}
