using RawDataDestination.S3;

namespace RawDataDestination.Routing;

/// <summary>
/// The customers one service delivers for, as configuration gives them: for example the section
/// <c>{"Defaults": {...}, "Tenants": [{"Name": "acme", "Sources": ["src-a"], "Region": "us-east-1", "Bucket": "acme-logs", "RoleArn": "...", "ExternalId": "..."}]}</c>.
/// Bound through <c>IOptionsMonitor</c> by <see cref="TenantDestinationResolver"/>, so a change takes effect without a restart.
/// </summary>
public sealed class TenantDestinationsOptions
{
    /// <summary>
    /// Gets or sets the settings every customer shares unless their entry says otherwise: endpoints, the role session
    /// name, timeouts and retries, and defaults for the region, ACL and encryption.
    /// </summary>
    /// <value>The default value is <see cref="S3RoleDestinationOptions"/>'s defaults.</value>
    public S3RoleDestinationOptions Defaults { get; set; } = new();

    /// <summary>Gets the customers.</summary>
    /// <value>Empty by default: every source is refused.</value>
    public IList<TenantOptions> Tenants { get; } = [];
}
