using Microsoft.Extensions.Options;

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
            "Tenants:0:KmsKeyId=alias/acme",
            "Tenants:0:ExpectedBucketOwner=111111111111");
        var services = new ServiceCollection();
        services.AddTenantDestinations(section, router => router.DestinationIdleTimeout = TimeSpan.FromMinutes(1));
        services.AddBatchBuffer(_ => { });
        await using ServiceProvider provider = services.BuildServiceProvider();

        TenantDestination acme = provider.GetRequiredService<IDestinationResolver>().Resolve("acme-ios")!;
        Assert.That(acme.Tenant, Is.EqualTo("acme"));
        Assert.That((acme.Options.Region, acme.Options.Bucket, acme.Options.ExternalId, acme.Options.KmsKeyId), Is.EqualTo(("us-west-2", "acme-logs/raw", "acme-external-id", "alias/acme")));
        Assert.That(acme.Options.ExpectedBucketOwner, Is.EqualTo("111111111111"), "bound from the tenant's entry");
        Assert.That(provider.GetRequiredService<ISealedBatchConsumer>(), Is.SameAs(provider.GetRequiredService<DestinationRouter>()));

        BatchBuffer buffer = provider.GetRequiredService<BatchBuffer>();
        EventRejectedException? refused = Assert.ThrowsAsync<EventRejectedException>(async () => await buffer.AppendAsync("stranger", "{}"u8.ToArray()));
        Assert.That(refused!.Reason, Is.EqualTo(EventRejectionReason.NoDestination));
    }

    private static readonly string[] Acme =
    [
        "Tenants:Defaults:Region=us-west-2",
        "Tenants:Tenants:0:Name=acme",
        "Tenants:Tenants:0:Sources:0=acme-web",
        "Tenants:Tenants:0:Bucket=acme-logs/raw",
        "Tenants:Tenants:0:RoleArn=arn:aws:iam::111111111111:role/Segment",
        "Tenants:Tenants:0:ExternalId=acme-external-id",
    ];

    private static readonly string[] Globex =
    [
        "Tenants:Tenants:1:Name=globex",
        "Tenants:Tenants:1:Sources:0=globex-web",
        "Tenants:Tenants:1:Bucket=globex-logs",
        "Tenants:Tenants:1:RoleArn=arn:aws:iam::222222222222:role/Segment",
        "Tenants:Tenants:1:ExternalId=globex-external-id",
    ];

    /// <summary>A container whose tenants are bound to the section Tenants of <paramref name="configuration"/>, logging into <paramref name="logs"/>, validated as a host's start does.</summary>
    private static ServiceProvider StartedWithLogs(IConfiguration configuration, CapturingLogger logs)
    {
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(logs);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddTenantDestinations(configuration.GetSection("Tenants"));
        ServiceProvider provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();
        return provider;
    }

    private static IEnumerable<TestCaseData> BadTenants()
    {
        static string[] Set(string[] lines, string line) => [.. lines.Where(l => l.Split('=')[0] != line.Split('=')[0]), line];
        static TestCaseData Case(string name, string expected, params string[] lines) =>
            new TestCaseData(lines, expected).SetArgDisplayNames(name);

        yield return Case("missing RoleArn", "Tenants:Tenants:1:RoleArn", [.. Globex.Where(l => !l.Contains(":RoleArn=", StringComparison.Ordinal))]);
        yield return Case("bucket as an s3:// URI", "Tenants:Tenants:1:Bucket 's3://globex-logs/raw'", Set(Globex, "Tenants:Tenants:1:Bucket=s3://globex-logs/raw"));
        yield return Case("tenant with no sources", "Tenants:Tenants:1:Sources is empty (tenant 'globex'); list the source ids", [.. Globex.Where(l => !l.Contains(":Sources:", StringComparison.Ordinal))]);
        yield return Case("source under two tenants", "Tenants:Tenants:1:Sources:1 is 'acme-web', which Tenants:Tenants:0 (tenant 'acme') lists too; list each source under one tenant", [.. Globex, "Tenants:Tenants:1:Sources:1=acme-web"]);
        yield return Case("duplicate tenant names", "Tenants:Tenants:1:Name is 'acme', which is the name of Tenants:Tenants:0 too; give each tenant its own name", Set(Globex, "Tenants:Tenants:1:Name=acme"));
        yield return Case("unnamed tenant named as another", "Tenants:Tenants:1 has no Name, so it is named after its first source 'acme', which is the name of Tenants:Tenants:0 too; set Tenants:Tenants:1:Name", Set([.. Globex.Where(l => !l.Contains(":Name=", StringComparison.Ordinal))], "Tenants:Tenants:1:Sources:0=acme"));
        yield return Case("negative timeout", "Tenants:Defaults:ConnectTimeout is -00:00:05; it must be greater than zero (the default is 5 seconds)", [.. Globex, "Tenants:Defaults:ConnectTimeout=-00:00:05"]);
        yield return Case("a value of the wrong form", "Tenants:Defaults:ConnectTimeout is '5s', which is not a duration; write it as [d.]hh:mm:ss[.fff], such as 00:00:30.", [.. Globex, "Tenants:Defaults:ConnectTimeout=5s"]);
        yield return Case("a tenant's value of the wrong form", "Tenants:Tenants:1:Acl is 'BucketOwnerFull', which is not one of", [.. Globex, "Tenants:Tenants:1:Acl=BucketOwnerFull"]);
        yield return Case("a tenant's value of the wrong form after another tenant", "Tenants:Tenants:1:Encryption is 'AES', which is not one of", [.. Globex, "Tenants:Tenants:1:Encryption=AES", "Tenants:Tenants:2:Name=initech", "Tenants:Tenants:2:Sources:0=initech-web"]);
        yield return Case("expected owner with dashes", "Tenants:Tenants:1:ExpectedBucketOwner '2222-2222-2222' is written with dashes; enter the 12 digits alone: '222222222222'.", [.. Globex, "Tenants:Tenants:1:ExpectedBucketOwner=2222-2222-2222"]);
        yield return Case("invalid source id", "Tenants:Tenants:1:Sources:1 is 'a/b', which no event can carry", [.. Globex, "Tenants:Tenants:1:Sources:1=a/b"]);
    }

    [TestCaseSource(nameof(BadTenants))]
    public async Task ValidateOnStart_WithABadTenant_FailsNamingItsConfigurationPathAndTheFix(string[] lines, string expected)
    {
        var services = new ServiceCollection();
        services.AddTenantDestinations(InMemorySettings.Of([.. Acme, .. lines]).GetSection("Tenants"));
        services.AddBatchBuffer(_ => { });
        await using ServiceProvider provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(provider.GetRequiredService<IStartupValidator>().Validate);
        Assert.That(error!.Message, Does.Contain(expected));
        Assert.That(error.Message, Does.Not.Contain("Tenants:Tenants:0:"), "acme, which is valid, is not named");
        Assert.That(error.Failures, Has.All.StartWith("TenantDestinationsOptions: Tenants:"));
    }

    [Test]
    public async Task ValidateOnStart_WithValidTenants_Passes()
    {
        var services = new ServiceCollection();
        services.AddTenantDestinations(InMemorySettings.Of([.. Acme, .. Globex]).GetSection("Tenants"));
        await using ServiceProvider provider = services.BuildServiceProvider();

        Assert.DoesNotThrow(provider.GetRequiredService<IStartupValidator>().Validate);
        Assert.That(provider.GetRequiredService<IDestinationResolver>().Resolve("globex-web")!.Tenant, Is.EqualTo("globex"));
    }

    [Test]
    public async Task Reload_WithABadTenantAfterStart_IsNotRefusedAndTheOtherTenantsStillResolve()
    {
        IConfigurationRoot configuration = InMemorySettings.Of([.. Acme, .. Globex]);
        var services = new ServiceCollection();
        services.AddTenantDestinations(configuration.GetSection("Tenants"));
        await using ServiceProvider provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();
        IDestinationResolver resolver = provider.GetRequiredService<IDestinationResolver>();

        // globex's bucket becomes a URI and acme's external id changes: one reload, one mistake.
        configuration["Tenants:Tenants:1:Bucket"] = "s3://globex-logs";
        configuration["Tenants:Tenants:0:ExternalId"] = "acme-new-external-id";
        Assert.DoesNotThrow(configuration.Reload);

        Assert.That(resolver.Resolve("acme-web")!.Options.ExternalId, Is.EqualTo("acme-new-external-id"), "the reload reached acme");
        Assert.That(resolver.Resolve("globex-web")!.Options.Bucket, Is.EqualTo("s3://globex-logs"), "globex's batches are refused (parked) by the router, no one else's");
    }
    [TestCase("Tenants:Defaults:Region=us-west-2", TestName = "ValidateOnStart_WithNoTenants_FailsSayingEveryEventWouldBeRefused(defaults only)")]
    [TestCase("Tenant:Tenants:0:Name=acme", TestName = "ValidateOnStart_WithNoTenants_FailsSayingEveryEventWouldBeRefused(a misspelt section)")]
    public async Task ValidateOnStart_WithNoTenants_FailsSayingEveryEventWouldBeRefused(string line)
    {
        var services = new ServiceCollection();
        services.AddTenantDestinations(InMemorySettings.Of(line).GetSection("Tenants"));
        services.AddBatchBuffer(_ => { });
        await using ServiceProvider provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(provider.GetRequiredService<IStartupValidator>().Validate);

        Assert.That(error!.Failures, Is.EqualTo(new[]
        {
            "TenantDestinationsOptions: Tenants:Tenants lists no tenant, so every event would be refused (NoDestination); list each customer under Tenants:Tenants (Name, Sources, Bucket, RoleArn, ExternalId), or bind AddTenantDestinations to the section that lists them.",
        }));
    }

    [Test]
    public async Task Reload_ThatRemovesEveryTenant_IsNotRefusedButLoggedAsAWarning()
    {
        var (configuration, settings) = ReplaceableSettings.Of(Acme);
        var logs = new CapturingLogger();
        await using ServiceProvider provider = StartedWithLogs(configuration, logs);
        IDestinationResolver resolver = provider.GetRequiredService<IDestinationResolver>();

        settings.Replace(["Tenants:Defaults:Region=us-west-2"]); // every customer removed from the file

        Assert.That(resolver.Resolve("acme-web"), Is.Null, "the reload reached the resolver");
        Assert.That(logs.Lines, Has.Some.StartWith("Warning: Tenants: Tenants lists no tenant, so every event would be refused (NoDestination)"));
    }

    [Test]
    public async Task Reload_WithAValueOfTheWrongForm_IsNotThrownAtTheReloaderAndTheTenantsStayAsTheyWere()
    {
        var (configuration, settings) = ReplaceableSettings.Of([.. Acme, .. Globex]);
        var logs = new CapturingLogger();
        await using ServiceProvider provider = StartedWithLogs(configuration, logs);
        IDestinationResolver resolver = provider.GetRequiredService<IDestinationResolver>();

        // A file saved with a typo: the configuration's reload runs the options' change callbacks on the reloader's
        // thread (a file watcher's), where an exception ends the process.
        Assert.DoesNotThrow(() => settings.Replace([.. Acme, .. Globex, "Tenants:Defaults:ConnectTimeout=5s"]));

        Assert.That(resolver.Resolve("globex-web")!.Tenant, Is.EqualTo("globex"), "the tenants stay as they were");
        Assert.That(logs.Lines, Has.Some.Contains("Tenants:Defaults:ConnectTimeout"));
    }

    [Test]
    public async Task Reload_WithATenantsValueOfTheWrongForm_KeepsThatTenantAndNamesTheValue()
    {
        var (configuration, settings) = ReplaceableSettings.Of([.. Acme, .. Globex]);
        var logs = new CapturingLogger();
        await using ServiceProvider provider = StartedWithLogs(configuration, logs);
        IDestinationResolver resolver = provider.GetRequiredService<IDestinationResolver>();

        // The binder skips a list's element it cannot convert: globex would vanish, its events refused as listed by no tenant.
        settings.Replace([.. Acme, .. Globex, "Tenants:Tenants:1:Acl=BucketOwnerFull"]);

        Assert.That(resolver.Resolve("globex-web")?.Tenant, Is.EqualTo("globex"), "the tenants stay as they were");
        Assert.That(logs.Lines, Has.Some.Contains("Tenants:Tenants:1:Acl is 'BucketOwnerFull', which is not one of"));
    }
}
