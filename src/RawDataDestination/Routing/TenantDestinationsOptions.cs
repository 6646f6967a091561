using System.Globalization;
using RawDataDestination.Batching;
using RawDataDestination.Internal;
using RawDataDestination.S3;

namespace RawDataDestination.Routing;

/// <summary>
/// The customers one service delivers for, as configuration gives them: for example the section
/// <c>{"Defaults": {...}, "Tenants": [{"Name": "acme", "Sources": ["src-a"], "Region": "us-east-1", "Bucket": "acme-logs", "RoleArn": "...", "ExternalId": "..."}]}</c>.
/// Bound through <c>IOptionsMonitor</c> by <see cref="TenantDestinationResolver"/>, so a change takes effect without a restart.
/// </summary>
public sealed class TenantDestinationsOptions
{
    /// <summary>The settings a tenant entry may give for itself; every other setting comes from <see cref="Defaults"/>.</summary>
    private static readonly string[] TenantSettings = ["Region", "Bucket", "RoleArn", "ExternalId", "Acl", "Encryption", "KmsKeyId", "ExpectedBucketOwner"];

    /// <summary>
    /// Gets or sets the settings every customer shares unless their entry says otherwise: endpoints, the role session
    /// name, timeouts and retries, and defaults for the region, ACL and encryption.
    /// </summary>
    /// <value>The default value is <see cref="S3RoleDestinationOptions"/>'s defaults.</value>
    public S3RoleDestinationOptions Defaults { get; set; } = new();

    /// <summary>Gets the customers.</summary>
    /// <value>Empty by default: every source is refused.</value>
    public IList<TenantOptions> Tenants { get; } = [];

    /// <summary>
    /// Gets or sets why the configuration could not be read into these options (a value of the wrong form, named with its
    /// path); <see langword="null"/> when it was. Set by <c>AddTenantDestinations</c>'s binding.
    /// </summary>
    internal string? Unreadable { get; set; }

    /// <summary>
    /// Gets or sets the path of the configuration section these options are bound from (<c>Tenants</c>), which names every
    /// problem the resolver logs and every refusal of a parked tenant; <see langword="null"/> for none. Set by
    /// <c>AddTenantDestinations</c>'s binding.
    /// </summary>
    internal string? Section { get; set; }

    /// <summary>The settings of <paramref name="tenant"/>: its own values over <see cref="Defaults"/>.</summary>
    internal S3RoleDestinationOptions SettingsOf(TenantOptions tenant)
    {
        S3RoleDestinationOptions merged = (Defaults ?? new S3RoleDestinationOptions()).Clone();
        merged.Region = tenant.Region ?? merged.Region;
        merged.Bucket = tenant.Bucket ?? merged.Bucket;
        merged.RoleArn = tenant.RoleArn ?? merged.RoleArn;
        merged.ExternalId = tenant.ExternalId ?? merged.ExternalId;
        merged.Acl = tenant.Acl ?? merged.Acl;
        merged.Encryption = tenant.Encryption ?? merged.Encryption;
        merged.KmsKeyId = tenant.KmsKeyId ?? merged.KmsKeyId;
        merged.ExpectedBucketOwner = tenant.ExpectedBucketOwner ?? merged.ExpectedBucketOwner;
        return merged;
    }

    /// <summary>
    /// Every problem with these tenants, each naming the setting by its configuration path (<c>Tenants:2:Bucket</c>,
    /// <c>Defaults:ConnectTimeout</c>), the value and the fix: a tenant's invalid settings, a tenant without sources, a
    /// source id no event can carry, a source listed by two tenants, two tenants of one name, no tenant at all. Checked at start by
    /// <c>AddTenantDestinations</c>, where the problems that are not one tenant's own (<see cref="IsOneTenants"/>) stop the
    /// host; the others, at start as after a reload, are logged by the resolver, and only the tenants concerned are refused.
    /// </summary>
    /// <param name="section">The path of the configuration section these options are bound from (<c>Tenants</c>), prefixed to every path; <see langword="null"/> for none.</param>
    /// <returns>The problems; the setting of each is its path within the options (<c>Tenants:2:Bucket</c>).</returns>
    internal List<SettingProblem> Problems(string? section = null)
    {
        string root = string.IsNullOrEmpty(section) ? string.Empty : section + ":";
        if (Unreadable is not null)
        {
            return [new SettingProblem("Tenants", Unreadable)]; // the binder stopped at that value: the rest is not judged
        }

        var problems = new List<SettingProblem>();
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        var owners = new Dictionary<string, int>(StringComparer.Ordinal);
        if (Tenants.Count == 0)
        {
            // Most often a misspelt or missing section: starting would refuse every event, one at a time, at run time.
            problems.Add(new SettingProblem("Tenants", $"{root}Tenants lists no tenant, so every event would be refused (NoDestination); list each customer under {root}Tenants (Name, Sources, Bucket, RoleArn, ExternalId), or bind AddTenantDestinations to the section that lists them."));
        }

        for (int i = 0; i < Tenants.Count; i++)
        {
            TenantOptions tenant = Tenants[i];
            string at = string.Create(CultureInfo.InvariantCulture, $"Tenants:{i}");
            string who = $"{root}{at}";
            void Add(string setting, string message) => problems.Add(new SettingProblem($"{at}:{setting}", message));

            string? name = tenant.Name ?? tenant.Sources.FirstOrDefault();
            if (tenant.Name is { Length: 0 })
            {
                Add("Name", $"{who}:Name is empty; give the tenant a name, or leave Name out to name it after its first source.");
            }
            else if (name is not null && !names.TryAdd(name, i))
            {
                string other = string.Create(CultureInfo.InvariantCulture, $"{root}Tenants:{names[name]}");
                Add("Name", tenant.Name is null
                    ? $"{who} has no Name, so it is named after its first source '{name}', which is the name of {other} too; set {who}:Name to a name of its own."
                    : $"{who}:Name is '{name}', which is the name of {other} too; give each tenant its own name (a tenant's name is its lane: its retries, circuit breaker and share of memory and uploads).");
            }

            if (tenant.Sources.Count == 0)
            {
                Add("Sources", $"{who}:Sources is empty{(name is null ? string.Empty : $" (tenant '{name}')")}; list the source ids whose events go to this tenant's bucket, or remove the tenant.");
            }

            for (int k = 0; k < tenant.Sources.Count; k++)
            {
                string source = tenant.Sources[k];
                string sourceAt = string.Create(CultureInfo.InvariantCulture, $"{who}:Sources:{k}");
                if (!SourceIdRules.IsValid(source, out string? reason))
                {
                    Add("Sources", $"{sourceAt} is {SettingText.Quote(source)}, which no event can carry: {reason}");
                }
                else if (!owners.TryAdd(source, i) && owners[source] != i)
                {
                    Add("Sources", string.Create(CultureInfo.InvariantCulture, $"{sourceAt} is '{source}', which {root}Tenants:{owners[source]} (tenant '{Tenants[owners[source]].Name ?? Tenants[owners[source]].Sources[0]}') lists too; list each source under one tenant (its events go to one customer's bucket). Until then its events are refused."));
                }
            }

            foreach (SettingProblem problem in SettingProblemsOf(i, root))
            {
                if (!problems.Any(p => p.Message == problem.Message))
                {
                    problems.Add(problem);
                }
            }
        }

        return problems;
    }

    /// <summary>
    /// The problems of the settings of the tenant at <paramref name="index"/> (its own values over <see cref="Defaults"/>),
    /// or the value of its entry that could not be read: what parks it. The setting of each is its path within the
    /// options (<c>Tenants:2:Bucket</c>, <c>Defaults:ConnectTimeout</c>); the message names it under <paramref name="root"/>.
    /// </summary>
    private List<SettingProblem> SettingProblemsOf(int index, string root)
    {
        TenantOptions tenant = Tenants[index];
        string at = string.Create(CultureInfo.InvariantCulture, $"Tenants:{index}");
        if (tenant.Unreadable is { } unreadable)
        {
            return [new SettingProblem(at, unreadable)]; // the binder stopped at that value: its other settings are not judged
        }

        var words = new SettingWords(
            setting => PathOf(setting, tenant, root, at),
            (setting, value) => $"set {PathOf(setting, tenant, root, at)} to {value}");
        return [.. SettingsOf(tenant).Problems(words).Select(problem => new SettingProblem(PathOf(problem.Setting, tenant, string.Empty, at), problem.Message))];
    }

    /// <summary>Why the tenant at <paramref name="index"/> is parked, each setting named by its configuration path; <see langword="null"/> when its settings are valid.</summary>
    internal string? ParkedBecause(int index)
    {
        List<SettingProblem> problems = SettingProblemsOf(index, string.IsNullOrEmpty(Section) ? string.Empty : Section + ":");
        return problems.Count == 0 ? null : string.Join(" ", problems.Select(problem => problem.Message));
    }

    /// <summary>
    /// Whether <paramref name="problem"/> (one of <see cref="Problems"/>) is one tenant's own: a value of its entry, its
    /// name or its sources (<c>Tenants:2:...</c>), which parks that tenant and no one else. The others (the
    /// <see cref="Defaults"/> every tenant shares, a section that cannot be read, no tenant at all) are everyone's.
    /// </summary>
    internal static bool IsOneTenants(SettingProblem problem) =>
        problem.Setting.StartsWith("Tenants:", StringComparison.Ordinal);

    /// <summary>Whether at least one tenant can deliver: its settings are valid and one of its sources is its alone.</summary>
    internal bool AnyTenantDelivers()
    {
        var owners = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string source in Tenants.SelectMany(tenant => tenant.Sources.Distinct(StringComparer.Ordinal)))
        {
            owners[source] = owners.GetValueOrDefault(source) + 1;
        }

        return Enumerable.Range(0, Tenants.Count).Any(i =>
            Tenants[i].Sources.Any(source => owners[source] == 1 && SourceIdRules.IsValid(source, out _))
            && SettingProblemsOf(i, string.Empty).Count == 0);
    }

    /// <summary>Where a tenant's <paramref name="setting"/> is set: its own entry for the settings it gives (or must give), the defaults for the others.</summary>
    private string PathOf(string setting, TenantOptions tenant, string root, string at)
    {
        bool ownsIt = Array.IndexOf(TenantSettings, setting) >= 0;
        bool givenByTenant = setting switch
        {
            "Region" => tenant.Region is not null,
            "Bucket" => tenant.Bucket is not null,
            "RoleArn" => tenant.RoleArn is not null,
            "ExternalId" => tenant.ExternalId is not null,
            "Acl" => tenant.Acl is not null,
            "Encryption" => tenant.Encryption is not null,
            "KmsKeyId" => tenant.KmsKeyId is not null,
            "ExpectedBucketOwner" => tenant.ExpectedBucketOwner is not null,
            _ => false,
        };
        bool givenByDefaults = setting switch
        {
            "Region" => !string.IsNullOrEmpty(Defaults?.Region),
            "Bucket" => !string.IsNullOrEmpty(Defaults?.Bucket),
            "RoleArn" => !string.IsNullOrEmpty(Defaults?.RoleArn),
            "ExternalId" => !string.IsNullOrEmpty(Defaults?.ExternalId),
            "KmsKeyId" => !string.IsNullOrEmpty(Defaults?.KmsKeyId),
            "ExpectedBucketOwner" => Defaults?.ExpectedBucketOwner is not null,
            _ => !ownsIt || setting is "Acl" or "Encryption",
        };
        return ownsIt && (givenByTenant || !givenByDefaults) ? $"{root}{at}:{setting}" : $"{root}Defaults:{setting}";
    }
}
