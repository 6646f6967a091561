namespace RawDataDestination.Tests.Integration;

/// <summary>Destinations wired to moto (STS through <see cref="SharedPeers.Sts"/>), each with a base credentials object of its own (so no shared credential cache between tests).</summary>
internal static class Destinations
{
    public static S3RoleDestinationOptions Options(string bucket = SharedPeers.Bucket, string externalId = SharedPeers.ExternalId, string? s3Url = null) => new()
    {
        Region = "us-east-1",
        Bucket = bucket,
        RoleArn = SharedPeers.RoleArn,
        ExternalId = externalId,
        ServiceUrl = new Uri(s3Url ?? SharedPeers.S3.ServiceUrl),
        StsServiceUrl = new Uri(SharedPeers.Sts.ServiceUrl),
        RetryBaseDelay = TimeSpan.FromMilliseconds(20),
        RetryMaxDelay = TimeSpan.FromMilliseconds(200),
        RetryTimeLimit = TimeSpan.FromSeconds(30),
    };

    /// <summary>The service identity's key, which may assume the role but not write to the bucket: only the assumed role's credentials can.</summary>
    public static AWSCredentials BaseCredentials() => SharedPeers.ServiceCredentials();

    public static S3RoleDestination Create(S3RoleDestinationOptions options, TimeProvider? time = null) =>
        new(options, BaseCredentials(), time);

    /// <summary>A destination whose S3 requests go through <paramref name="proxy"/>, with <see cref="Options"/> changed by <paramref name="configure"/>.</summary>
    public static S3RoleDestination Through(FaultProxy proxy, Action<S3RoleDestinationOptions>? configure = null)
    {
        S3RoleDestinationOptions options = Options(s3Url: proxy.ServiceUrl.ToString());
        configure?.Invoke(options);
        return Create(options);
    }
}
