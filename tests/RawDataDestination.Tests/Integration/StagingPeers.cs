using System.Text;
using Amazon.Runtime;
using RawDataDestination.Staging;
using RawDataDestination.Tests.Support;

namespace RawDataDestination.Tests.Integration;

/// <summary>Staging and customer buckets of their own on the shared s3rver, and the service's own credentials for the staging side.</summary>
internal static class StagingPeers
{
    /// <summary>Creates a bucket with a fresh name, so each test sees only its own objects.</summary>
    public static async Task<string> NewBucketAsync(string role)
    {
        string bucket = $"{role}-{Guid.NewGuid():N}";
        await SharedPeers.S3.CreateBucketAsync(bucket);
        return bucket;
    }

    public static StagingOptions Options(string bucket, string? s3Url = null) => new()
    {
        Bucket = bucket,
        Region = "us-east-1",
        ServiceUrl = new Uri(s3Url ?? SharedPeers.S3.ServiceUrl),
        RequestTimeout = TimeSpan.FromSeconds(10),
    };

    /// <summary>The operator's own key pair: plain credentials, no session token.</summary>
    public static AWSCredentials ServiceCredentials() => new BasicAWSCredentials(S3rverPeer.AccessKeyId, S3rverPeer.SecretAccessKey);

    public static byte[] Event(string id) =>
        Encoding.UTF8.GetBytes($"{{\"type\":\"track\",\"messageId\":\"{id}\",\"receivedAt\":\"2023-11-24T10:00:00.000Z\"}}");

    /// <summary>Every key in a bucket, staged batches and markers alike.</summary>
    public static Task<IReadOnlyList<string>> KeysAsync(string bucket) => SharedPeers.S3.ListKeysAsync(bucket);
}
