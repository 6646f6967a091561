namespace RawDataDestination.S3;

/// <summary>
/// The bucket an S3 call went to, for messages: the customer's bucket (written through the assumed role) or the
/// operator's staging bucket (with this service's own credentials), and its endpoint.
/// </summary>
/// <param name="Staging">Whether it is the operator's staging bucket rather than the customer's.</param>
/// <param name="Location">The bucket and its prefix.</param>
/// <param name="Region">The bucket's region setting.</param>
/// <param name="ServiceUrl">The endpoint URL setting, or <see langword="null"/> for AWS's own endpoint.</param>
internal sealed record S3Target(bool Staging, BucketLocation Location, string Region, Uri? ServiceUrl)
{
    /// <summary>
    /// Gets whether the customer's role has been assumed yet (credentials issued), for the customer's bucket: an upload
    /// that got no answer before it ever had credentials was waiting for STS, not for S3. <see langword="null"/> when not known.
    /// </summary>
    public Func<bool>? RoleAssumed { get; init; }

    /// <summary>Gets the account the customer's bucket must belong to (<c>x-amz-expected-bucket-owner</c>), or <see langword="null"/> when the writes name none.</summary>
    public string? ExpectedBucketOwner { get; init; }

    /// <summary>Gets the property name of the setting that holds the bucket.</summary>
    public string BucketSetting => Staging ? "Staging Bucket" : "Bucket";

    /// <summary>Gets the property name of the setting that holds the region.</summary>
    public string RegionSetting => Staging ? "Staging Region" : "Region";

    /// <summary>Gets the property name of the setting that holds the endpoint URL.</summary>
    public string ServiceUrlSetting => Staging ? "Staging ServiceUrl" : "ServiceUrl";

    /// <summary>The bucket and the endpoint, for messages: "the customer's bucket 'logs' (S3 at http://127.0.0.1:4568/)".</summary>
    public override string ToString() =>
        $"{(Staging ? "the staging bucket" : "the customer's bucket")} '{Location.BucketName}' (S3 {(ServiceUrl is null ? $"in {Region}" : $"at {ServiceUrl}")})";
}
