namespace RawDataDestination.Routing;

/// <summary>Options for <see cref="DestinationRouter"/>. They are copied when the router is built.</summary>
public sealed class DestinationRouterOptions
{
    /// <summary>
    /// Gets or sets how long a customer's destination (its S3 client, and its share of the cached credentials and their
    /// STS client) is kept after its last upload. An idle one is disposed and built again on next use.
    /// </summary>
    /// <value>Greater than zero. The default value is 10 minutes.</value>
    public TimeSpan DestinationIdleTimeout { get; set; } = TimeSpan.FromMinutes(10);
}
