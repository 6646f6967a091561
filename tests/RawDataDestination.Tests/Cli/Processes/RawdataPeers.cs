using RawDataDestination.Tests.Support;

namespace RawDataDestination.Tests.Cli.Processes;

/// <summary>
/// The AWS that the rawdata process tests ship to: one S3 and one STS, started once for this namespace and stopped by PID. This
/// is the one file that knows which servers they are (s3rver and the loopback STS today); another S3 and STS (moto) can
/// take their place here alone. The faults (a silent or refusing endpoint) are the tests' own.
/// </summary>
[SetUpFixture]
public sealed class RawdataPeers
{
    public const string Bucket = "rawdata-customer";
    public const string RoleArn = "arn:aws:iam::123456789012:role/SegmentS3Upload";
    public const string ExternalId = "ext-id-stop";

    private static S3rverPeer s3 = null!;
    private static StsPeer sts = null!;

    /// <summary>Gets the S3 endpoint, holding <see cref="Bucket"/>.</summary>
    public static string S3Url => s3.ServiceUrl;

    /// <summary>Gets the STS endpoint, trusting <see cref="RoleArn"/> with <see cref="ExternalId"/>.</summary>
    public static string StsUrl => sts.ServiceUrl;

    /// <summary>Gets this service's own credentials, for the process's environment: STS takes them, and so does the staging bucket.</summary>
    public static IReadOnlyDictionary<string, string> ServiceCredentials { get; } = new Dictionary<string, string>
    {
        ["AWS_ACCESS_KEY_ID"] = S3rverPeer.AccessKeyId,
        ["AWS_SECRET_ACCESS_KEY"] = S3rverPeer.SecretAccessKey,
    };

    /// <summary>Creates a bucket of a fresh name (a staging bucket), so each test sees only its own objects.</summary>
    public static async Task<string> NewBucketAsync(string role)
    {
        string bucket = $"{role}-{Guid.NewGuid():N}";
        await s3.CreateBucketAsync(bucket);
        return bucket;
    }

    /// <summary>Every key in <paramref name="bucket"/>.</summary>
    public static Task<IReadOnlyList<string>> KeysAsync(string bucket) => s3.ListKeysAsync(bucket);

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        s3 = await S3rverPeer.StartAsync(Bucket);
        sts = await StsPeer.StartAsync(RoleArn, ExternalId);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await sts.DisposeAsync();
        await s3.DisposeAsync();
    }
}
