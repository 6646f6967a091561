namespace RawDataDestination.Tests.Integration;

/// <summary>
/// One batch of one event uploaded by a destination whose S3 requests go through a fault proxy that forwards every
/// request to moto: what the tests that read a PUT on the wire start from.
/// </summary>
internal sealed class ProxiedUpload : IAsyncDisposable
{
    private ProxiedUpload(FaultProxy proxy, S3RoleDestination destination)
    {
        (Proxy, Destination) = (proxy, destination);
    }

    /// <summary>Gets the forwarding proxy, whose log holds the requests sent.</summary>
    public FaultProxy Proxy { get; }

    public S3RoleDestination Destination { get; }

    public SealedBatch Batch { get; private set; } = null!;

    public UploadedObject Uploaded { get; private set; } = null!;

    /// <summary>
    /// Uploads a batch of the one event <c>{"messageId":"<paramref name="messageId"/>"}</c>, received 2023-11-24, for a
    /// fresh source named after <paramref name="source"/>, through <see cref="Destinations.Through"/> with <paramref name="configure"/>.
    /// </summary>
    public static async Task<ProxiedUpload> UploadAsync(string source, string messageId, Action<S3RoleDestinationOptions>? configure = null)
    {
        FaultProxy proxy = MotoFaults.Proxy(_ => ProxyAction.Forward);
        ProxiedUpload upload;
        try
        {
            upload = new ProxiedUpload(proxy, Destinations.Through(proxy, configure));
        }
        catch
        {
            await proxy.DisposeAsync();
            throw;
        }

        try
        {
            upload.Batch = await TestBatches.CreateAsync(Objects.UniqueSource(source), new DateOnly(2023, 11, 24), $"{{\"messageId\":\"{messageId}\"}}");
            upload.Uploaded = await upload.Destination.UploadAsync(upload.Batch);
            return upload;
        }
        catch
        {
            await upload.DisposeAsync();
            throw;
        }
    }

    public void Deconstruct(out FaultProxy proxy, out S3RoleDestination destination, out SealedBatch batch, out UploadedObject uploaded) =>
        (proxy, destination, batch, uploaded) = (Proxy, Destination, Batch, Uploaded);

    public async ValueTask DisposeAsync()
    {
        Batch?.Dispose();
        Destination.Dispose();
        await Proxy.DisposeAsync();
    }
}
