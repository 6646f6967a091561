using RawDataDestination.Tests.Support;

namespace RawDataDestination.Tests.Integration;

/// <summary>The real local peers for every integration test: s3rver and the loopback STS, started once and stopped by PID.</summary>
[SetUpFixture]
public sealed class SharedPeers
{
    public const string Bucket = "raw-bucket";
    public const string RoleArn = "arn:aws:iam::123456789012:role/SegmentS3Upload";
    public const string ExternalId = "ext-id-4242";

    public static S3rverPeer S3 { get; private set; } = null!;

    public static StsPeer Sts { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        S3 = await S3rverPeer.StartAsync(Bucket);
        Sts = await StsPeer.StartAsync(RoleArn, ExternalId);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await Sts.DisposeAsync();
        await S3.DisposeAsync();
    }
}
