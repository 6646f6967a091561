using RawDataDestination.S3;

namespace RawDataDestination.DependencyInjection;

/// <summary>Gives the destination registered under a name with <c>AddS3RoleDestination</c>.</summary>
/// <remarks>
/// Each name gets one destination for the container's lifetime, built on first use from the named options and
/// disposed with the container. Destinations with the same role, external id and session settings share one
/// credential cache.
/// </remarks>
public interface IS3RoleDestinationFactory
{
    /// <summary>Gets the destination registered under <paramref name="name"/>.</summary>
    /// <param name="name">The name given to <c>AddS3RoleDestination</c>.</param>
    /// <returns>The destination.</returns>
    /// <exception cref="InvalidOperationException">No destination has that name.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">Its options are invalid; the message names each problem and its fix.</exception>
    S3RoleDestination GetDestination(string name);
}
