namespace RawDataDestination.Tests.Integration;

/// <summary>Staging and customer buckets of their own on the shared moto, and the service's own credentials for the staging side.</summary>
internal static class StagingPeers
{
    /// <summary>
    /// Creates a bucket with a fresh name, so each test sees only its own objects: a "stage" bucket the service's
    /// identity may use (put, get, delete, list), any other a customer bucket the customer's role may write to.
    /// </summary>
    public static async Task<string> NewBucketAsync(string role)
    {
        string bucket = $"{role}-{Guid.NewGuid():N}";
        if (role == "stage")
        {
            await SharedPeers.S3.Account.GrantStagingAsync(SharedPeers.Service, bucket);
        }
        else
        {
            await SharedPeers.AllowRoleToWriteAsync(bucket);
        }

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
    public static AWSCredentials ServiceCredentials() => SharedPeers.ServiceCredentials();

    public static byte[] Event(string id) =>
        Encoding.UTF8.GetBytes($"{{\"type\":\"track\",\"messageId\":\"{id}\",\"receivedAt\":\"2023-11-24T10:00:00.000Z\"}}");

    /// <summary>Every key in a bucket, staged batches and markers alike.</summary>
    public static Task<IReadOnlyList<string>> KeysAsync(string bucket) => SharedPeers.S3.ListKeysAsync(bucket);
}
