namespace RawDataDestination.Tests.DependencyInjection;

/// <summary><c>AddTenantDestinations</c>: the tenants bound from configuration, and the buffer routing through them.</summary>
public class TenantDestinationsRegistrationTests
{
    [Test]
    public async Task AddTenantDestinations_WithAddBatchBuffer_RoutesEachSourceToItsTenantAndRefusesTheOthers()
    {
        IConfiguration section = InMemorySettings.Of(
            "Defaults:Region=us-west-2",
            "Tenants:0:Name=acme",
            "Tenants:0:Sources:0=acme-web",
            "Tenants:0:Sources:1=acme-ios",
            "Tenants:0:Bucket=acme-logs/raw",
            "Tenants:0:RoleArn=arn:aws:iam::111111111111:role/Segment",
            "Tenants:0:ExternalId=acme-external-id",
            "Tenants:0:Encryption=Kms",
            "Tenants:0:KmsKeyId=alias/acme");
        var services = new ServiceCollection();
        services.AddTenantDestinations(section, router => router.DestinationIdleTimeout = TimeSpan.FromMinutes(1));
        services.AddBatchBuffer(_ => { });
        await using ServiceProvider provider = services.BuildServiceProvider();

        TenantDestination acme = provider.GetRequiredService<IDestinationResolver>().Resolve("acme-ios")!;
        Assert.That(acme.Tenant, Is.EqualTo("acme"));
        Assert.That((acme.Options.Region, acme.Options.Bucket, acme.Options.ExternalId, acme.Options.KmsKeyId), Is.EqualTo(("us-west-2", "acme-logs/raw", "acme-external-id", "alias/acme")));
        Assert.That(provider.GetRequiredService<ISealedBatchConsumer>(), Is.SameAs(provider.GetRequiredService<DestinationRouter>()));

        BatchBuffer buffer = provider.GetRequiredService<BatchBuffer>();
        EventRejectedException? refused = Assert.ThrowsAsync<EventRejectedException>(async () => await buffer.AppendAsync("stranger", "{}"u8.ToArray()));
        Assert.That(refused!.Reason, Is.EqualTo(EventRejectionReason.NoDestination));
    }
}
