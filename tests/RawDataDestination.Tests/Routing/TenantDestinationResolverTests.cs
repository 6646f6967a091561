namespace RawDataDestination.Tests.Routing;

/// <summary><see cref="TenantDestinationResolver"/>: which tenant a source resolves to, and when to none.</summary>
public class TenantDestinationResolverTests
{
    private static TenantOptions Tenant(string name, params string[] sources)
    {
        var tenant = new TenantOptions { Name = name, Region = "us-east-1", Bucket = name + "-logs", RoleArn = "arn:aws:iam::111111111111:role/Segment", ExternalId = name + "-id" };
        foreach (string source in sources)
        {
            tenant.Sources.Add(source);
        }

        return tenant;
    }

    [Test]
    public void Resolve_ASourceListedTwiceByOneTenant_ResolvesToThatTenant()
    {
        var options = new TenantDestinationsOptions();
        options.Tenants.Add(Tenant("acme", "acme-web", "acme-web"));

        Assert.That(new TenantDestinationResolver(options).Resolve("acme-web")?.Tenant, Is.EqualTo("acme"), "one tenant listing a source twice is no ambiguity");
    }

    [Test]
    public void Resolve_ASourceListedByTwoTenantsOfOneName_ResolvesToNeither()
    {
        var options = new TenantDestinationsOptions();
        options.Tenants.Add(Tenant("acme", "web"));
        options.Tenants.Add(Tenant("acme", "web"));
        options.Tenants[1].Bucket = "other-logs";

        Assert.That(new TenantDestinationResolver(options).Resolve("web"), Is.Null, "two tenants (one name, two buckets): guessing could send it to the wrong bucket");
    }
}
