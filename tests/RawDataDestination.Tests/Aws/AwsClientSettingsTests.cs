using Amazon;

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

    [TestCase("s3")]
    [TestCase("sts")]
    public void ForEachClient_AtAnEndpointUrl_SignsForTheRegionWithOneAttemptPerCallAndTheBoundedHttpClient(string client)
    {
        var settings = new AwsClientSettings("us-west-2", Endpoint, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10));

        Amazon.Runtime.ClientConfig config = client == "s3" ? settings.ForS3(TimeProvider.System) : settings.ForSts(TimeProvider.System);

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
    public void ForS3_AtAnEndpointUrl_UsesPathStyleAndOnlyTheChecksumsS3Requires()
    {
        AmazonS3Config config = new AwsClientSettings("us-west-2", Endpoint, TimeSpan.FromMinutes(2), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10)).ForS3(TimeProvider.System);

        Assert.That(
            (config.ForcePathStyle, config.RequestChecksumCalculation, config.ResponseChecksumValidation),
            Is.EqualTo((true, RequestChecksumCalculation.WHEN_REQUIRED, ResponseChecksumValidation.WHEN_REQUIRED)));
    }

    [Test]
    public void ForS3_WithSdkRetriesAndNoConnectTimeout_KeepsTheSdksRetriesAndHttpClient()
    {
        var settings = new AwsClientSettings("us-west-2", null, TimeSpan.FromMinutes(2)) { SdkRetries = true };

        AmazonS3Config config = settings.ForS3(TimeProvider.System);

        Assert.That(config.MaxErrorRetry, Is.EqualTo(new AmazonS3Config().MaxErrorRetry).And.GreaterThan(0));
        Assert.That(config.HttpClientFactory, Is.Null);
    }

    [TestCase("s3", false)]
    [TestCase("sts", false)]
    [TestCase("s3", true)]
    public void ForEachClient_WhateverItsRetries_NeverSendsARequestAgainAtOnceAfterABrokenConnection(string client, bool sdkRetries)
    {
        // The SDK resends a request up to 10 times at once after a reset, outside MaxErrorRetry: a PUT whose answer was
        // lost that way landed, so each resend is one more write (QA: 11 PUTs of one staged batch within a second).
        var settings = new AwsClientSettings("us-west-2", Endpoint, TimeSpan.FromMinutes(2), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10)) { SdkRetries = sdkRetries };

        Amazon.Runtime.ClientConfig config = client == "s3" ? settings.ForS3(TimeProvider.System) : settings.ForSts(TimeProvider.System);

        Assert.That(config.MaxStaleConnectionRetries, Is.Zero);
        Assert.That(new AmazonS3Config().MaxStaleConnectionRetries, Is.GreaterThan(0), "the SDK's default, which this setting turns off");
    }

    [TestCase(true, ExpectedResult = false)]
    [TestCase(false, ExpectedResult = true)]
    public bool ForEndpoint_APut_SendsAPlainBodyOnlyToAnEndpointUrl(bool endpointUrl)
    {
        var settings = new AwsClientSettings("us-west-2", endpointUrl ? Endpoint : null, TimeSpan.FromMinutes(2));

        return settings.ForEndpoint(new PutObjectRequest()).UseChunkEncoding;
    }
}
