namespace RawDataDestination.Tests.Integration;

/// <summary>
/// The tenants at a host's start (<c>AddTenantDestinations</c>, <c>ValidateOnStart</c>), against moto with IAM enforced:
/// one customer's invalid setting parks that customer, and the others are delivered.
/// </summary>
public class TenantDestinationsStartTests
{
    [Test]
    [CancelAfter(120_000)]
    public async Task Start_WithOneTenantsInvalidBucket_DeliversTheOthersAndRefusesThatTenantsBatchesNamingThePath(CancellationToken cancellationToken)
    {
        // QA: a reload that brought one tenant's invalid value was accepted; the next start with it refused to start at all.
        TestCustomer acme = await TestCustomer.CreateAsync("acme", "acme-ext");
        TestCustomer globex = await TestCustomer.CreateAsync("globex", "globex-ext");
        S3RoleDestinationOptions local = Destinations.Options();
        IConfigurationRoot configuration = InMemorySettings.Of(
            $"Tenants:Defaults:Region={local.Region}",
            $"Tenants:Defaults:ServiceUrl={local.ServiceUrl}",
            $"Tenants:Defaults:StsServiceUrl={local.StsServiceUrl}",
            "Tenants:Tenants:0:Name=acme",
            "Tenants:Tenants:0:Sources:0=acme-web",
            $"Tenants:Tenants:0:Bucket={acme.Bucket}",
            $"Tenants:Tenants:0:RoleArn={acme.RoleArn}",
            $"Tenants:Tenants:0:ExternalId={acme.ExternalId}",
            "Tenants:Tenants:1:Name=globex",
            "Tenants:Tenants:1:Sources:0=globex-web",
            $"Tenants:Tenants:1:Bucket=s3://{globex.Bucket}",
            $"Tenants:Tenants:1:RoleArn={globex.RoleArn}",
            $"Tenants:Tenants:1:ExternalId={globex.ExternalId}");
        var logs = new CapturingLogger();
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(logs);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddSingleton<AWSCredentials>(SharedPeers.ServiceCredentials());
        services.AddTenantDestinations(configuration.GetSection("Tenants"));
        services.AddBatchBuffer(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        await using ServiceProvider provider = services.BuildServiceProvider();

        Assert.DoesNotThrow(provider.GetRequiredService<Microsoft.Extensions.Options.IStartupValidator>().Validate, "the host starts");
        BatchBuffer buffer = provider.GetRequiredService<BatchBuffer>();
        foreach (string source in new[] { "acme-web", "globex-web" })
        {
            for (int i = 0; i < 3; i++)
            {
                await buffer.AppendAsync(source, Encoding.UTF8.GetBytes($"{{\"messageId\":\"{source}-{i}\"}}"), cancellationToken);
            }
        }

        var refused = Assert.ThrowsAsync<BatchDeliveryException>(async () => await buffer.FlushAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(60), cancellationToken));

        Assert.That(refused!.GivenUpLanes, Is.EqualTo(new[] { "globex" }), "only globex is given up");
        Assert.That(await Objects.MessageIdsAsync("segment-logs/", acme.Bucket), Is.EquivalentTo(new[] { "acme-web-0", "acme-web-1", "acme-web-2" }), "acme is delivered");
        Assert.That(await Objects.MessageIdsAsync("segment-logs/", globex.Bucket), Is.Empty);
        LaneStatus parked = buffer.GetStatus().FailingLanes.Single();
        Assert.That((parked.Key, parked.WaitingEvents), Is.EqualTo(("globex", 3L)), "globex's events are kept");
        Assert.That(parked.LastError, Is.InstanceOf<DestinationException>().With.Property(nameof(DestinationException.ErrorCode)).EqualTo("InvalidSettings"));
        Assert.That(parked.LastError!.Message, Does.Contain($"Tenants:Tenants:1:Bucket 's3://{globex.Bucket}' is a URI"), "the refusal names the configuration path and the fix");
        string[] warnings = [.. logs.Lines.Where(line => line.StartsWith("Warning: Tenants:", StringComparison.Ordinal))];
        Assert.That(warnings, Has.Length.EqualTo(1), "one warning per problem");
        Assert.That(warnings[0], Does.Contain($"Tenants:Tenants:1:Bucket 's3://{globex.Bucket}' is a URI").And.Contain("Until it is fixed, that tenant's events or batches are refused (kept), and no one else's."));
    }
}
