using Amazon.Runtime;

namespace RawDataDestination.Sts;

/// <summary>The STS endpoint a call went to, for messages: an endpoint URL setting, or AWS's regional endpoint.</summary>
/// <param name="ServiceUrl">The endpoint URL setting, or <see langword="null"/> for AWS's own endpoint.</param>
/// <param name="Region">The region of the endpoint (and of the signature).</param>
internal readonly record struct StsEndpoint(Uri? ServiceUrl, string Region)
{
    /// <summary>The endpoint of an STS client.</summary>
    public static StsEndpoint From(IClientConfig? config) =>
        config?.ServiceURL is { Length: > 0 } url && Uri.TryCreate(url, UriKind.Absolute, out Uri? serviceUrl)
            ? new StsEndpoint(serviceUrl, config.AuthenticationRegion ?? "us-east-1")
            : new StsEndpoint(null, config?.RegionEndpoint?.SystemName ?? config?.AuthenticationRegion ?? "us-east-1");

    /// <summary>The endpoint's URL: the setting, or <c>https://sts.{region}.amazonaws.com</c>.</summary>
    public override string ToString() => ServiceUrl?.ToString() ?? $"https://sts.{Region}.amazonaws.com";
}
