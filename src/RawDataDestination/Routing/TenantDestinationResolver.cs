using System.Collections.Frozen;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RawDataDestination.Internal;
using RawDataDestination.S3;

namespace RawDataDestination.Routing;

/// <summary>
/// The <see cref="IDestinationResolver"/> bound to configuration (<see cref="TenantDestinationsOptions"/>): each source
/// resolves to its tenant's settings over the shared defaults. It reloads on change through <see cref="IOptionsMonitor{TOptions}"/>:
/// a new external id, bucket or role reaches the batches sealed after the change, without a restart.
/// </summary>
/// <remarks>
/// A source listed by two tenants resolves to neither (its events are refused, naming both) and the error is logged once
/// per change of configuration: guessing would send a customer's data to another's bucket. A tenant without sources
/// is logged and ignored, and so is a list of no tenant at all (every event is then refused). A tenant's problems are
/// logged (one warning each, naming the configuration path and the fix) and the tenant is parked: the router refuses its
/// batches (kept) with those problems as the reason, and no one else's. This holds for the tenants at start as for a
/// reload, so one customer's mistake never stops the others, even after a restart.
/// </remarks>
public sealed class TenantDestinationResolver : IDestinationResolver, IDisposable
{
    private readonly ILogger _logger;
    private readonly IDisposable? _subscription;
    private volatile Snapshot _current;

    /// <summary>Creates a resolver over the options named <paramref name="name"/>, and follows their changes.</summary>
    /// <param name="options">The monitored tenants.</param>
    /// <param name="name">The options' name. The default is <see cref="Microsoft.Extensions.Options.Options.DefaultName"/>.</param>
    /// <param name="logger">Where configuration problems are logged. The default logs nothing.</param>
    public TenantDestinationResolver(IOptionsMonitor<TenantDestinationsOptions> options, string? name = null, ILogger<TenantDestinationResolver>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        string optionsName = name ?? Options.DefaultName;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _current = Build(options.Get(optionsName));
        _subscription = options.OnChange((changed, changedName) =>
        {
            if ((changedName ?? Options.DefaultName) == optionsName)
            {
                _current = Build(changed);
                LogEvents.Reloaded(_logger, _current.Tenants, _current.Sources.Count);
            }
        });
    }

    /// <summary>Creates a resolver over fixed tenants (no reloading), for hosts without configuration.</summary>
    /// <param name="options">The tenants. Copied now.</param>
    /// <param name="logger">Where configuration problems are logged. The default logs nothing.</param>
    public TenantDestinationResolver(TenantDestinationsOptions options, ILogger<TenantDestinationResolver>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _current = Build(options);
    }

    /// <inheritdoc />
    public TenantDestination? Resolve(string sourceId) => _current.Sources.GetValueOrDefault(sourceId);

    /// <summary>Gets why <paramref name="sourceId"/> resolves to nothing, for a refusal's message.</summary>
    /// <param name="sourceId">The source.</param>
    /// <returns>The reason, or <see langword="null"/> when it resolves.</returns>
    internal string? WhyUnresolved(string sourceId) =>
        _current.Sources.ContainsKey(sourceId) ? null
        : _current.Ambiguous.TryGetValue(sourceId, out string? tenants) ? $"it is listed by more than one tenant ({tenants}); list it under one"
        : "no tenant lists it; add it to a tenant's Sources";

    /// <summary>Stops following configuration changes.</summary>
    public void Dispose() => _subscription?.Dispose();

    private Snapshot Build(TenantDestinationsOptions options)
    {
        if ((options.Unreadable ?? options.Tenants.Select(tenant => tenant.Unreadable).FirstOrDefault(unreadable => unreadable is not null)) is { } unreadable
            && _current is { } kept)
        {
            LogEvents.TenantsWarning(_logger, $"{unreadable} The tenants stay as they were until the configuration can be read.");
            return kept;
        }

        foreach (SettingProblem problem in options.Problems(options.Section))
        {
            if (options.Tenants.Count == 0 || options.Unreadable is not null)
            {
                LogEvents.TenantsWarning(_logger, problem.Message);
            }
            else
            {
                LogEvents.TenantProblem(_logger, problem.Message);
            }
        }

        var owners = new Dictionary<string, List<TenantOptions>>(StringComparer.Ordinal); // by entry: two of one name are two
        var destinations = new Dictionary<string, TenantDestination>(StringComparer.Ordinal);
        int tenants = 0;
        for (int i = 0; i < options.Tenants.Count; i++)
        {
            TenantOptions tenant = options.Tenants[i];
            string? name = tenant.Name ?? tenant.Sources.FirstOrDefault();
            if (name is null)
            {
                continue; // no sources: nothing resolves to it
            }

            tenants++;
            var destination = new TenantDestination(name, options.SettingsOf(tenant)) { ParkedBecause = options.ParkedBecause(i) };
            foreach (string source in tenant.Sources)
            {
                if (!owners.TryGetValue(source, out List<TenantOptions>? listed))
                {
                    owners[source] = listed = [];
                }

                if (!listed.Contains(tenant))
                {
                    listed.Add(tenant);
                }

                destinations[source] = destination;
            }
        }

        var ambiguous = owners.Where(o => o.Value.Count > 1).ToDictionary(o => o.Key, o => string.Join(", ", o.Value.Select(t => t.Name ?? t.Sources[0])), StringComparer.Ordinal);
        foreach (string source in ambiguous.Keys)
        {
            destinations.Remove(source); // logged above with the other problems
        }

        return new Snapshot(destinations.ToFrozenDictionary(StringComparer.Ordinal), ambiguous.ToFrozenDictionary(StringComparer.Ordinal), tenants);
    }

    private sealed record Snapshot(FrozenDictionary<string, TenantDestination> Sources, FrozenDictionary<string, string> Ambiguous, int Tenants);
}
