using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SecurityToken;
using RawDataDestination.Internal;

namespace RawDataDestination.Aws;

/// <summary>
/// How this library's AWS clients call: the one configuration of the customer's S3 client, its STS client and the staging
/// bucket's client. AWS's regional endpoint, or an endpoint URL (then path-style URLs, checksums only where S3 requires
/// them, and plain bodies, as S3-compatible servers want); the whole-request timeout; the connect and silence timeouts
/// of <see cref="BoundedHttpClientFactory"/>; and one attempt per call (<c>MaxErrorRetry</c> 0), the caller's retry
/// owner deciding on the next, unless the SDK is left to retry (with its backoff). Never the SDK's immediate resends
/// after a broken connection (<c>MaxStaleConnectionRetries</c> 0).
/// </summary>
/// <param name="Region">The region: of the endpoint, and of the signature.</param>
/// <param name="ServiceUrl">An endpoint URL instead of AWS's, or <see langword="null"/>.</param>
/// <param name="RequestTimeout">How long one request may take.</param>
/// <param name="ConnectTimeout">How long a connection may take to open; <see langword="null"/> for the SDK's own HTTP client, which has none but the request timeout.</param>
/// <param name="ResponseTimeout">How long an endpoint may stay silent (<see cref="SilenceTimeoutHandler"/>); used with <paramref name="ConnectTimeout"/>.</param>
internal sealed record AwsClientSettings(string Region, Uri? ServiceUrl, TimeSpan RequestTimeout, TimeSpan? ConnectTimeout = null, TimeSpan? ResponseTimeout = null)
{
    /// <summary>Gets whether the AWS SDK retries failed calls (its default retry mode); otherwise each call is one attempt.</summary>
    public bool SdkRetries { get; init; }

    /// <summary>Gets whether the endpoint is an endpoint URL rather than AWS's own.</summary>
    public bool EndpointOverridden => ServiceUrl is not null;

    /// <summary>The configuration of an S3 client.</summary>
    /// <param name="clock">The clock of the connect and silence timeouts.</param>
    public AmazonS3Config ForS3(TimeProvider clock)
    {
        AmazonS3Config config = Configure(new AmazonS3Config(), clock);
        if (EndpointOverridden)
        {
            // Only for an overridden endpoint: S3-compatible servers want path-style URLs and no optional checksums.
            config.ForcePathStyle = true;
            config.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED;
            config.ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED;
        }

        return config;
    }

    /// <summary>The configuration of an STS client.</summary>
    /// <param name="clock">The clock of the connect and silence timeouts.</param>
    public AmazonSecurityTokenServiceConfig ForSts(TimeProvider clock) => Configure(new AmazonSecurityTokenServiceConfig(), clock);

    /// <summary>Readies a PutObject for the endpoint: S3-compatible servers such as s3rver store aws-chunked framing as object bytes, so they get a plain body.</summary>
    /// <param name="request">The request.</param>
    /// <returns>The same request.</returns>
    public PutObjectRequest ForEndpoint(PutObjectRequest request)
    {
        if (EndpointOverridden)
        {
            request.UseChunkEncoding = false;
        }

        return request;
    }

    private T Configure<T>(T config, TimeProvider clock)
        where T : ClientConfig
    {
        config.Timeout = RequestTimeout;

        // The SDK also sends a request again at once, up to 10 times and whatever MaxErrorRetry says, when its connection
        // breaks (reset, aborted, shut down), taking that for a stale pooled connection. A PutObject whose answer was lost
        // that way has landed: each resend is one more write (one more version in a versioned bucket), with no delay, in
        // bursts that bypass every retry rule. None of that: a broken connection is a failed attempt like any other.
        config.MaxStaleConnectionRetries = 0;
        if (!SdkRetries)
        {
            // Retries are the caller's (same key, same bytes, a time limit): the SDK makes one attempt per call.
            config.MaxErrorRetry = 0;
        }

        if (ConnectTimeout is { } connect && ResponseTimeout is { } silence)
        {
            config.HttpClientFactory = new BoundedHttpClientFactory(connect, silence, clock);
        }

        if (ServiceUrl is null)
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(Region);
        }
        else
        {
            config.ServiceURL = ServiceUrl.OriginalString;
            config.AuthenticationRegion = Region;
        }

        return config;
    }
}
