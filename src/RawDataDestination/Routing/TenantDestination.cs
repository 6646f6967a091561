using RawDataDestination.S3;

namespace RawDataDestination.Routing;

/// <summary>One customer's destination, as an <see cref="IDestinationResolver"/> gives it.</summary>
/// <param name="Tenant">
/// The customer's name: the lane its batches travel in (several sources of one customer share it, and with it a retry
/// state, a circuit breaker and a fair share of memory and upload slots), and what operators see when it fails.
/// </param>
/// <param name="Options">
/// The destination's settings. Treat them as read-only once returned: a change of settings is a new instance. They are
/// validated when first used; invalid ones refuse that customer's batches (parked, kept) and no one else's.
/// </param>
public sealed record TenantDestination(string Tenant, S3RoleDestinationOptions Options)
{
    /// <summary>
    /// Gets why the tenant is parked, each setting named by its configuration path (<c>Tenants:Tenants:2:Bucket</c>), as
    /// <see cref="TenantDestinationResolver"/> found it; <see langword="null"/> when it is not, or unknown (the router
    /// then checks <see cref="Options"/> itself).
    /// </summary>
    internal string? ParkedBecause { get; init; }
}
