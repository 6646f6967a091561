using Microsoft.Extensions.Options;
using RawDataDestination.Internal;
using RawDataDestination.Routing;

namespace RawDataDestination.DependencyInjection;

/// <summary>
/// Checks the tenants when the host starts (<c>ValidateOnStart</c>), or when they are first used without a host. What is
/// everyone's stops the start, with every problem at once, each naming its configuration path
/// (<c>Tenants:Defaults:ConnectTimeout</c>) and the fix: the <c>Defaults</c> every tenant shares, a section that cannot be
/// read, no tenant at all, or tenants of which none could deliver. What is one tenant's own (its <c>Bucket</c>,
/// <c>RoleArn</c>, a value of the wrong form in its entry, its name or its sources) passes, as at a reload: the resolver logs
/// it (one warning per problem) and parks only that tenant, for one customer's mistake must never stop every customer's
/// deliveries, at a restart no more than at a reload. Once a version of the tenants passed, later versions (a reload)
/// pass too: the resolver logs their problems and refuses only the tenants concerned.
/// </summary>
/// <param name="section">The path of the bound configuration section, prefixed to every path; empty for none.</param>
internal sealed class TenantDestinationsValidator(string section) : IValidateOptions<TenantDestinationsOptions>
{
    private readonly HashSet<string> _validOnce = new(StringComparer.Ordinal);

    public ValidateOptionsResult Validate(string? name, TenantDestinationsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string key = name ?? Options.DefaultName;
        lock (_validOnce)
        {
            if (_validOnce.Contains(key))
            {
                return ValidateOptionsResult.Success;
            }

            List<SettingProblem> problems = options.Problems(section);
            if (problems.Any(problem => !TenantDestinationsOptions.IsOneTenants(problem)))
            {
                return ValidateOptionsResult.Fail(problems.Select(problem => $"{nameof(TenantDestinationsOptions)}: {problem.Message}"));
            }

            if (problems.Count > 0 && !options.AnyTenantDelivers())
            {
                // Starting would refuse every event: the mistake is most likely everyone's (a default that breaks each tenant).
                return ValidateOptionsResult.Fail([
                    $"{nameof(TenantDestinationsOptions)}: no tenant could deliver with these settings, so the host does not start; fix the problems below. (With at least one tenant that can, the others' problems are logged and only those tenants are parked.)",
                    .. problems.Select(problem => $"{nameof(TenantDestinationsOptions)}: {problem.Message}")]);
            }

            _validOnce.Add(key);
            return ValidateOptionsResult.Success;
        }
    }
}
