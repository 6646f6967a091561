namespace RawDataDestination.Routing;

/// <summary>
/// Maps a source id to its customer's destination, at run time: the settings the <see cref="DestinationRouter"/>
/// delivers that source's batches with. <see cref="TenantDestinationResolver"/> is one, bound to configuration.
/// </summary>
/// <remarks>
/// Called for every append (through the router) and for each sealed batch: keep it fast, allocation-free and safe from
/// many threads. Return the same <see cref="TenantDestination"/> instance until the settings change, so the router
/// validates each version once.
/// </remarks>
public interface IDestinationResolver
{
    /// <summary>Gets the destination of <paramref name="sourceId"/>.</summary>
    /// <param name="sourceId">A valid source id.</param>
    /// <returns>The destination, or <see langword="null"/> when the source has none: its events are refused and sent nowhere.</returns>
    TenantDestination? Resolve(string sourceId);
}
