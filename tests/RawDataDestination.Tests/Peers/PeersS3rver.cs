namespace RawDataDestination.Tests.Peers;

/// <summary>
/// The one s3rver that the tests of the peers share, started once for this namespace and stopped by PID. Each test class
/// creates its own bucket in it and keeps to it.
/// </summary>
[SetUpFixture]
public sealed class PeersS3rver
{
    /// <summary>Gets the running s3rver.</summary>
    public static S3rverPeer S3 { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => S3 = await S3rverPeer.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await S3.DisposeAsync();
}
