using RawDataDestination.Internal;

namespace RawDataDestination.Routing;

/// <summary>Options for <see cref="DestinationRouter"/>. They are copied when the router is built.</summary>
public sealed class DestinationRouterOptions
{
    // Each default is written once, as its property's initial value: the rules' messages read it from this instance.
    private static readonly DestinationRouterOptions Defaults = new();

    /// <summary>
    /// Gets or sets how long a customer's destination (its S3 client, and its share of the cached credentials and their
    /// STS client) is kept after its last upload. An idle one is disposed and built again on next use.
    /// </summary>
    /// <value>Greater than zero. The default value is 10 minutes.</value>
    public TimeSpan DestinationIdleTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Every problem with these options, each naming the setting, the value, the valid range and the default; used by the router's constructor.</summary>
    /// <param name="words">How messages name settings; the default is their property names.</param>
    /// <returns>The problems, each with its setting's property name; empty when the options are valid.</returns>
    internal List<SettingProblem> Problems(SettingWords? words = null)
    {
        var check = new SettingChecks(words);
        check.Require(DestinationIdleTimeout > TimeSpan.Zero, "DestinationIdleTimeout", DestinationIdleTimeout, "greater than zero", Defaults.DestinationIdleTimeout);
        return check.Problems;
    }
}
