namespace RawDataDestination.Tests.Integration;

/// <summary>A destination from the container, against moto: it uses the container's clock, logging and base credentials.</summary>
public class DependencyInjectionIntegrationTests
{
    [Test]
    public async Task Destination_UsesTheContainersClockLoggerFactoryAndBaseCredentials()
    {
        var time = new FakeTimeProvider(Start);
        var logs = new CapturingLogger();
        AWSCredentials containerCredentials = Destinations.BaseCredentials();
        string containerKeyId = (await containerCredentials.GetCredentialsAsync()).AccessKey;

        // moto's STS knows only the service identity's key, the container's: with any other credentials (ambient ones,
        // or none) no role is assumed. The proxy in front of it counts the grants.
        await using StsProxy sts = StsProxy.Start(SharedPeers.S3.ServiceUrl);
        await using FaultProxy proxy = MotoFaults.Proxy(_ => ProxyAction.AccessDenied);
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddSingleton<ILoggerFactory>(logs);
        services.AddSingleton(containerCredentials); // the bucket refuses these: only the assumed role can write
        services.AddS3RoleDestination("local", o =>
        {
            S3RoleDestinationOptions local = Destinations.Options(s3Url: proxy.ServiceUrl.ToString());
            (o.Region, o.Bucket, o.RoleArn, o.ExternalId, o.ServiceUrl, o.StsServiceUrl) = (local.Region, local.Bucket, local.RoleArn, local.ExternalId, local.ServiceUrl, new Uri(sts.ServiceUrl));
        });
        await using ServiceProvider provider = services.BuildServiceProvider();
        S3RoleDestination destination = provider.GetRequiredKeyedService<S3RoleDestination>("local");
        using RawDataDestination.Batching.SealedBatch batch = await TestBatches.CreateAsync("di", new DateOnly(2023, 11, 24), "{}");

        // Bounded: were the container's credentials ignored, the SDK's default chain could wait on instance metadata.
        Assert.ThrowsAsync<DestinationException>(async () => await destination.UploadAsync(batch).WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.That(await sts.GetGrantedCountAsync(), Is.EqualTo(1), "STS, which knows only the container's key id, issued the role's credentials");
        string roleKeyId = (await destination.Credentials.GetCredentialsAsync()).AccessKey;
        Assert.That(roleKeyId, Is.Not.EqualTo(containerKeyId));
        Assert.That(proxy.Log.Single(l => l.Request.Method == "PUT").Request.Headers["authorization"], Does.Contain($"Credential={roleKeyId}/"), "the PUT was signed as the role");
        Assert.That(logs.Lines, Has.Some.Contains("AccessDenied"), "the container's ILoggerFactory");
        Assert.That(destination.Credentials.SecondsUntilExpiry, Is.GreaterThan(TimeSpan.FromDays(365).TotalSeconds), "expiry measured on the container's (fake, 2023) clock");
    }
}
