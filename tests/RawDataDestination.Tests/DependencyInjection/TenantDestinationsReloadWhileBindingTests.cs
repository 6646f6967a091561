using Microsoft.Extensions.Options;

namespace RawDataDestination.Tests.DependencyInjection;

/// <summary>
/// A tenants file replaced while the host binds it (a deploy writes it as the host starts): the bind reads one version,
/// never half of each. It read the section key by key, and a reload in between gave a customer gone, another listed
/// twice, or a tenant with no settings, bound until the next reload (QA-O O2).
/// </summary>
public class TenantDestinationsReloadWhileBindingTests
{
    private static readonly Dictionary<string, string?> ThreeTenants = Tenants("c0", "c1", "c2");

    private static readonly Dictionary<string, string?> C1Removed = Tenants("c0", "c2");

    [Test]
    public void Bind_WhenTheTenantsFileIsReplacedAtAnyReadOfIt_BindsOneVersionWhole()
    {
        // The swap lands at the n-th read of the file's keys, for every n up to past the last read: each bind gives the
        // old version whole or the new one whole.
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int swapAtRead = 1; swapAtRead <= 400; swapAtRead++)
        {
            var source = new SwappingSource(ThreeTenants, C1Removed, swapAtRead);
            IConfigurationRoot configuration = new ConfigurationBuilder().Add(source).Build();
            var services = new ServiceCollection();
            services.AddTenantDestinations(configuration.GetSection("Tenants"));
            using ServiceProvider provider = services.BuildServiceProvider();

            TenantDestinationsOptions options = provider.GetRequiredService<IOptionsMonitor<TenantDestinationsOptions>>().CurrentValue;

            string bound = string.Join(" | ", options.Tenants.Select(tenant => $"{tenant.Name}: {string.Join(",", tenant.Sources)} -> {tenant.Bucket} as {tenant.RoleArn}"));
            Assert.That(bound, Is.EqualTo(Expected("c0", "c1", "c2")).Or.EqualTo(Expected("c0", "c2")), $"the file replaced at read {swapAtRead}");
            seen[bound == Expected("c0", "c2") ? "new" : "old"] = seen.GetValueOrDefault(bound == Expected("c0", "c2") ? "new" : "old") + 1;
        }

        Assert.That(seen.Keys, Is.EquivalentTo(new[] { "old", "new" }), "the swap landed within the bind for some reads, after it for others");
    }

    private static string Expected(params string[] names) =>
        string.Join(" | ", names.Select(name => $"{name}: {name}-web -> {name}-logs as arn:aws:iam::111111111111:role/{name}"));

    private static Dictionary<string, string?> Tenants(params string[] names)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase) { ["Tenants:Defaults:Region"] = "us-west-2" };
        for (int i = 0; i < names.Length; i++)
        {
            string entry = $"Tenants:Tenants:{i}";
            values[$"{entry}:Name"] = names[i];
            values[$"{entry}:Sources:0"] = $"{names[i]}-web";
            values[$"{entry}:Bucket"] = $"{names[i]}-logs";
            values[$"{entry}:RoleArn"] = $"arn:aws:iam::111111111111:role/{names[i]}";
            values[$"{entry}:ExternalId"] = $"{names[i]}-external-id";
        }

        return values;
    }

    /// <summary>A file provider as .NET's JSON one reloads: it swaps its data whole, then fires its reload token; here, at the <c>swapAtRead</c>-th read of a key.</summary>
    private sealed class SwappingSource(Dictionary<string, string?> before, Dictionary<string, string?> after, int swapAtRead) : IConfigurationSource
    {
        private readonly SwappingProvider _provider = new(before, after, swapAtRead);

        public IConfigurationProvider Build(IConfigurationBuilder builder) => _provider;

        private sealed class SwappingProvider(Dictionary<string, string?> before, Dictionary<string, string?> after, int swapAtRead) : ConfigurationProvider
        {
            private int _reads;

            public override void Load() => Data = new Dictionary<string, string?>(before, StringComparer.OrdinalIgnoreCase);

            public override bool TryGet(string key, out string? value)
            {
                if (++_reads == swapAtRead)
                {
                    Data = new Dictionary<string, string?>(after, StringComparer.OrdinalIgnoreCase);
                    OnReload();
                }

                return base.TryGet(key, out value);
            }
        }
    }
}
