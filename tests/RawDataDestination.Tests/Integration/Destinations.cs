using Amazon.Runtime;
using RawDataDestination.S3;

namespace RawDataDestination.Tests.Integration;

/// <summary>Destinations wired to the local peers, each with base credentials of its own (so no shared credential cache between tests).</summary>
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

    /// <summary>Base credentials that STS accepts but s3rver does not: only the assumed role's credentials can write.</summary>
    public static AWSCredentials BaseCredentials() => new BasicAWSCredentials("BASEKEYID" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant(), "base-secret");

    public static S3RoleDestination Create(S3RoleDestinationOptions options, TimeProvider? time = null) =>
        new(options, BaseCredentials(), time);
}
