using Microsoft.Extensions.Options;
using RawDataDestination.Routing;

namespace RawDataDestination.DependencyInjection;

/// <summary>
/// Checks the tenants when the host starts (<c>ValidateOnStart</c>), or when they are first used without a host: every
/// problem at once, each naming its configuration path (<c>Tenants:Tenants:2:Bucket</c>) and the fix. Once a version of the
/// tenants was valid, later versions (a reload) pass: the resolver logs their problems and refuses only the tenants
/// concerned, for a reload that fails would stop every customer's deliveries for one customer's mistake.
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

            var problems = options.Problems(section);
            if (problems.Count > 0)
            {
                return ValidateOptionsResult.Fail(problems.Select(problem => $"{nameof(TenantDestinationsOptions)}: {problem.Message}"));
            }

            _validOnce.Add(key);
            return ValidateOptionsResult.Success;
        }
    }
}
