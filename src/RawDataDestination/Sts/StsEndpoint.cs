using Amazon.Runtime;
using Amazon.SecurityToken;

namespace RawDataDestination.Sts;

/// <summary>The STS endpoint a call went to, for messages: an endpoint URL setting, or AWS's regional endpoint.</summary>
/// <param name="ServiceUrl">The endpoint URL setting, or <see langword="null"/> for AWS's own endpoint.</param>
/// <param name="Region">The region of the endpoint (and of the signature); <see langword="null"/> when not known.</param>
internal readonly record struct StsEndpoint(Uri? ServiceUrl, string? Region)
{
    /// <summary>
    /// The endpoint of an STS client: read from the AWS SDK's own client; not known for another implementation of the
    /// interface (whose configuration may not be read).
    /// </summary>
    public static StsEndpoint From(IAmazonSecurityTokenService sts) =>
        sts is AmazonServiceClient { Config: { } config } ? From(config) : new StsEndpoint(null, null);

    /// <summary>The endpoint of an STS client's configuration.</summary>
    public static StsEndpoint From(IClientConfig config) =>
        config.ServiceURL is { Length: > 0 } url && Uri.TryCreate(url, UriKind.Absolute, out Uri? serviceUrl)
            ? new StsEndpoint(serviceUrl, config.AuthenticationRegion)
            : new StsEndpoint(null, config.RegionEndpoint?.SystemName ?? config.AuthenticationRegion);

    /// <summary>The endpoint's URL: the setting, or <c>https://sts.{region}.amazonaws.com</c>.</summary>
    public override string ToString() => ServiceUrl?.ToString() ?? (Region is null ? "the STS client's endpoint" : $"https://sts.{Region}.amazonaws.com");
}
