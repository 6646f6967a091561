using RawDataDestination.Batching;
using RawDataDestination.Routing;

namespace RawDataDestination.KafkaToS3;

/// <summary>A sealed batch with the destination its source resolved to when its first record was appended.</summary>
/// <param name="Batch">The batch; the owner disposes it once it is delivered, staged or dropped.</param>
/// <param name="Destination">The tenant (the breaker's key, and what logs name) and its settings (its bucket names the staged key).</param>
internal sealed record RoutedBatch(SealedBatch Batch, TenantDestination Destination) : IDisposable
{
    /// <summary>Gets the tenant's name.</summary>
    public string Tenant => Destination.Tenant;

    public void Dispose() => Batch.Dispose();
}
