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

    /// <summary>
    /// The container of <see cref="StartedWithLogs"/> over settings the test replaces as a reloaded file would
    /// (<see cref="ReplaceableSettings"/>), its log and its resolver.
    /// </summary>
    private sealed class StartedOverReplaceableSettings : IAsyncDisposable
    {
        private readonly ServiceProvider provider;

        public StartedOverReplaceableSettings(string[] lines)
        {
            (IConfigurationRoot configuration, Settings) = ReplaceableSettings.Of(lines);
            provider = StartedWithLogs(configuration, Logs);
            Resolver = provider.GetRequiredService<IDestinationResolver>();
        }

        public ReplaceableSettings Settings { get; }

        public CapturingLogger Logs { get; } = new();

        public IDestinationResolver Resolver { get; }

        public void Deconstruct(out ReplaceableSettings settings, out CapturingLogger logs, out IDestinationResolver resolver) =>
            (settings, logs, resolver) = (Settings, Logs, Resolver);

        public ValueTask DisposeAsync() => provider.DisposeAsync();
    }

    /// <summary>A case of settings <paramref name="lines"/> whose warning or failure says <paramref name="expected"/>, shown as <paramref name="name"/>.</summary>
    private static TestCaseData Case(string name, string expected, params string[] lines) =>
        new TestCaseData(lines, expected).SetArgDisplayNames(name);

    private static string[] Set(string[] lines, string line) => [.. lines.Where(l => l.Split('=')[0] != line.Split('=')[0]), line];

    private static readonly string[] Initech =
    [
        "Tenants:Tenants:2:Name=initech",
        "Tenants:Tenants:2:Sources:0=initech-web",
        "Tenants:Tenants:2:Bucket=initech-logs",
        "Tenants:Tenants:2:RoleArn=arn:aws:iam::333333333333:role/Segment",
        "Tenants:Tenants:2:ExternalId=initech-external-id",
    ];

    /// <summary>Globex's own settings, one problem each: globex is parked, no one else.</summary>
    private static IEnumerable<TestCaseData> BadTenantSettings()
    {
        yield return Case("missing RoleArn", "Tenants:Tenants:1:RoleArn", [.. Globex.Where(l => !l.Contains(":RoleArn=", StringComparison.Ordinal))]);
        yield return Case("bucket as an s3:// URI", "Tenants:Tenants:1:Bucket 's3://globex-logs/raw'", Set(Globex, "Tenants:Tenants:1:Bucket=s3://globex-logs/raw"));
        yield return Case("a tenant's value of the wrong form", "Tenants:Tenants:1:Acl is 'BucketOwnerFull', which is not one of", [.. Globex, "Tenants:Tenants:1:Acl=BucketOwnerFull"]);
        yield return Case("a tenant's value of the wrong form before another tenant", "Tenants:Tenants:1:Encryption is 'AES', which is not one of", [.. Globex, "Tenants:Tenants:1:Encryption=AES", .. Initech]);
        yield return Case("a misspelt setting, which the binder passes over (the owner check turned off)", "Tenants:Tenants:1:ExpectedBucketOwnr is not a setting, so it would be passed over without a word; did you mean Tenants:Tenants:1:ExpectedBucketOwner?", [.. Globex, "Tenants:Tenants:1:ExpectedBucketOwnr=222222222222"]);
        yield return Case("a setting only the defaults take (the customer's events sent to the defaults' endpoint)", "Tenants:Tenants:1:ServiceUrl is not a setting, so it would be passed over without a word; the settings of Tenants:Tenants:1 are Name, Sources, Region, Bucket, RoleArn, ExternalId, Acl, Encryption, KmsKeyId, ExpectedBucketOwner.", [.. Globex, "Tenants:Tenants:1:ServiceUrl=http://127.0.0.1:9"]);
        yield return Case("expected owner with dashes", "Tenants:Tenants:1:ExpectedBucketOwner '2222-2222-2222' is written with dashes; enter the 12 digits alone: '222222222222'.", [.. Globex, "Tenants:Tenants:1:ExpectedBucketOwner=2222-2222-2222"]);
    }

    [TestCaseSource(nameof(BadTenantSettings))]
    public async Task Start_WithOneTenantsBadSetting_StartsAndParksThatTenantAloneWithOneWarningNamingThePath(string[] lines, string expected)
    {
        var logs = new CapturingLogger();
        await using ServiceProvider provider = BufferedWithLogs(InMemorySettings.Of([.. Acme, .. lines]), logs);

        Assert.DoesNotThrow(provider.GetRequiredService<IStartupValidator>().Validate, "one customer's mistake does not stop the others");
        BatchBuffer buffer = provider.GetRequiredService<BatchBuffer>();
        string[] warnings = [.. logs.Lines.Where(line => line.StartsWith("Warning: Tenants:", StringComparison.Ordinal))];
        Assert.That(warnings, Has.Length.EqualTo(1), "one warning per problem: " + string.Join(Environment.NewLine, logs.Lines));
        Assert.That(warnings[0], Does.Contain(expected).And.Contain("Until it is fixed, that tenant's events or batches are refused (kept), and no one else's."));

        IDestinationResolver resolver = provider.GetRequiredService<IDestinationResolver>();
        Assert.That(resolver.Resolve("acme-web")!.Tenant, Is.EqualTo("acme"));
        Assert.That(resolver.Resolve("acme-web")!.Options.Problems(), Is.Empty, "acme goes on with valid settings");
        if (lines.Contains(Initech[0]))
        {
            Assert.That(resolver.Resolve("initech-web")!.Options.Bucket, Is.EqualTo("initech-logs"), "the tenant after the unreadable one is bound at its own index");
        }

        await buffer.AppendAsync("globex-web", """{"messageId":"g-1"}"""u8.ToArray());
        var refused = Assert.ThrowsAsync<BatchDeliveryException>(async () => await buffer.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.That(refused!.GivenUpLanes, Is.EqualTo(new[] { "globex" }));
        LaneStatus globex = buffer.GetStatus().FailingLanes.Single();
        Assert.That(globex.WaitingEvents, Is.EqualTo(1), "its event is kept");
        Assert.That(globex.LastError, Is.InstanceOf<DestinationException>());
        Assert.That(((DestinationException)globex.LastError!).ErrorCode, Is.EqualTo("InvalidSettings"));
        Assert.That(globex.LastError!.Message, Does.Contain("The settings of tenant 'globex' are invalid").And.Contain(expected), "the refusal names the configuration path");
    }

    [Test]
    public async Task Restart_AfterAReloadBroughtOneTenantsInvalidSetting_StartsAndParksOnlyThatTenant()
    {
        // QA: the reload was accepted (globex parked), but the next start with the same file refused to start at all.
        var (configuration, settings) = ReplaceableSettings.Of([.. Acme, .. Globex]);
        await using (ServiceProvider before = StartedWithLogs(configuration, new CapturingLogger()))
        {
            settings.Replace([.. Acme, .. Set(Globex, "Tenants:Tenants:1:Bucket=s3://globex-logs")]);
            Assert.That(before.GetRequiredService<IDestinationResolver>().Resolve("globex-web")!.Options.Bucket, Is.EqualTo("s3://globex-logs"), "the reload reached the resolver");
        }

        var logs = new CapturingLogger();
        await using ServiceProvider restarted = BufferedWithLogs(configuration, logs);

        Assert.DoesNotThrow(restarted.GetRequiredService<IStartupValidator>().Validate);
        DestinationRouter router = restarted.GetRequiredService<DestinationRouter>();
        Assert.That(router.Route("acme-web").Lane, Is.EqualTo("acme"));
        Assert.That(logs.Lines.Where(line => line.StartsWith("Warning: Tenants:", StringComparison.Ordinal)).ToArray(), Has.Length.EqualTo(1).And.Some.Contains("Tenants:Tenants:1:Bucket 's3://globex-logs' is"));
    }

    /// <summary>Globex's name or sources, one problem each: the host starts and the others' sources route.</summary>
    private static IEnumerable<TestCaseData> BadTenantNamesOrSources()
    {
        static TestCaseData Case(string name, string expected, string[] routed, string[] refused, params string[] lines) =>
            new TestCaseData(lines, expected, routed, refused).SetArgDisplayNames(name);

        yield return Case("tenant with no sources", "Tenants:Tenants:1:Sources is empty (tenant 'globex'); list the source ids", ["acme-web"], ["globex-web"], [.. Globex.Where(l => !l.Contains(":Sources:", StringComparison.Ordinal))]);
        yield return Case("source under two tenants", "Tenants:Tenants:1:Sources:1 is 'acme-web', which Tenants:Tenants:0 (tenant 'acme') lists too; list each source under one tenant", ["globex-web"], ["acme-web"], [.. Globex, "Tenants:Tenants:1:Sources:1=acme-web"]);
        yield return Case("duplicate tenant names", "Tenants:Tenants:1:Name is 'acme', which is the name of Tenants:Tenants:0 too; give each tenant its own name", ["acme-web", "globex-web"], [], Set(Globex, "Tenants:Tenants:1:Name=acme"));
        yield return Case("unnamed tenant named as another", "Tenants:Tenants:1 has no Name, so it is named after its first source 'acme', which is the name of Tenants:Tenants:0 too; set Tenants:Tenants:1:Name", ["acme-web", "acme"], [], Set([.. Globex.Where(l => !l.Contains(":Name=", StringComparison.Ordinal))], "Tenants:Tenants:1:Sources:0=acme"));
        yield return Case("invalid source id", "Tenants:Tenants:1:Sources:1 is 'a/b', which no event can carry", ["acme-web", "globex-web"], [], [.. Globex, "Tenants:Tenants:1:Sources:1=a/b"]);
    }

    [TestCaseSource(nameof(BadTenantNamesOrSources))]
    public async Task Start_WithOneTenantsBadNameOrSources_StartsWithOneWarningNamingThePathAndTheOthersRoute(string[] lines, string expected, string[] routed, string[] refused)
    {
        var logs = new CapturingLogger();
        await using ServiceProvider provider = BufferedWithLogs(InMemorySettings.Of([.. Acme, .. lines]), logs);

        Assert.DoesNotThrow(provider.GetRequiredService<IStartupValidator>().Validate);
        DestinationRouter router = provider.GetRequiredService<DestinationRouter>();
        string[] warnings = [.. logs.Lines.Where(line => line.StartsWith("Warning: Tenants:", StringComparison.Ordinal))];
        Assert.That(warnings, Has.Length.EqualTo(1), "one warning per problem: " + string.Join(Environment.NewLine, logs.Lines));
        Assert.That(warnings[0], Does.Contain(expected));
        foreach (string source in routed)
        {
            Assert.DoesNotThrow(() => router.Route(source), source);
        }

        foreach (string source in refused)
        {
            EventRejectedException? refusal = Assert.Throws<EventRejectedException>(() => router.Route(source), source);
            Assert.That(refusal!.Reason, Is.EqualTo(EventRejectionReason.NoDestination));
        }
    }

    private static IEnumerable<TestCaseData> EveryTenantsProblems()
    {
        yield return Case("negative timeout", "Tenants:Defaults:ConnectTimeout is -00:00:05; it must be greater than zero (the default is 5 seconds)", [.. Globex, "Tenants:Defaults:ConnectTimeout=-00:00:05"]);
        yield return Case("a misspelt default", "Tenants:Defaults:ConectTimeout is not a setting, so it would be passed over without a word; did you mean Tenants:Defaults:ConnectTimeout?", [.. Globex, "Tenants:Defaults:ConectTimeout=00:00:05"]);
        yield return Case("a value of the wrong form", "Tenants:Defaults:ConnectTimeout is '5s', which is not a duration; write it as [d.]hh:mm:ss[.fff], such as 00:00:30.", [.. Globex, "Tenants:Defaults:ConnectTimeout=5s"]);
    }

    [TestCaseSource(nameof(EveryTenantsProblems))]
    public async Task ValidateOnStart_WithAProblemInTheDefaults_FailsNamingItsConfigurationPathAndTheFix(string[] lines, string expected)
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
    public async Task ValidateOnStart_WhenNoTenantCouldDeliver_FailsSayingSoAndNamingEachProblem()
    {
        // No region in the defaults, none in any entry: every tenant is broken by one shared omission, though each is named at its own entry.
        var services = new ServiceCollection();
        services.AddTenantDestinations(InMemorySettings.Of([.. Acme.Where(l => !l.StartsWith("Tenants:Defaults:Region=", StringComparison.Ordinal)), .. Globex]).GetSection("Tenants"));
        services.AddBatchBuffer(_ => { });
        await using ServiceProvider provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(provider.GetRequiredService<IStartupValidator>().Validate);

        Assert.That(error!.Failures.First(), Does.StartWith("TenantDestinationsOptions: no tenant could deliver with these settings, so the host does not start"));
        Assert.That(error.Failures, Has.Some.Contains("Tenants:Tenants:0:Region").And.Some.Contains("Tenants:Tenants:1:Region"));
    }

    /// <summary>A container with the buffer routing through the tenants of the section Tenants of <paramref name="configuration"/>, logging into <paramref name="logs"/>; not validated.</summary>
    private static ServiceProvider BufferedWithLogs(IConfiguration configuration, CapturingLogger logs)
    {
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(logs);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddTenantDestinations(configuration.GetSection("Tenants"));
        services.AddBatchBuffer(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        return services.BuildServiceProvider();
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
        await using var started = new StartedOverReplaceableSettings(Acme);
        var (settings, logs, resolver) = started;

        settings.Replace(["Tenants:Defaults:Region=us-west-2"]); // every customer removed from the file

        Assert.That(resolver.Resolve("acme-web"), Is.Null, "the reload reached the resolver");
        Assert.That(logs.Lines, Has.Some.StartWith("Warning: Tenants: Tenants:Tenants lists no tenant, so every event would be refused (NoDestination)"));
    }

    [Test]
    public async Task Reload_WithAValueOfTheWrongForm_IsNotThrownAtTheReloaderAndTheTenantsStayAsTheyWere()
    {
        await using var started = new StartedOverReplaceableSettings([.. Acme, .. Globex]);
        var (settings, logs, resolver) = started;

        // A file saved with a typo: the configuration's reload runs the options' change callbacks on the reloader's
        // thread (a file watcher's), where an exception ends the process.
        Assert.DoesNotThrow(() => settings.Replace([.. Acme, .. Globex, "Tenants:Defaults:ConnectTimeout=5s"]));

        Assert.That(resolver.Resolve("globex-web")!.Tenant, Is.EqualTo("globex"), "the tenants stay as they were");
        Assert.That(logs.Lines, Has.Some.Contains("Tenants:Defaults:ConnectTimeout"));
    }

    [Test]
    public async Task Reload_WithATenantsValueOfTheWrongForm_KeepsThatTenantAndNamesTheValue()
    {
        await using var started = new StartedOverReplaceableSettings([.. Acme, .. Globex]);
        var (settings, logs, resolver) = started;

        // The binder skips a list's element it cannot convert: globex would vanish, its events refused as listed by no tenant.
        settings.Replace([.. Acme, .. Globex, "Tenants:Tenants:1:Acl=BucketOwnerFull"]);

        Assert.That(resolver.Resolve("globex-web")?.Tenant, Is.EqualTo("globex"), "the tenants stay as they were");
        Assert.That(logs.Lines, Has.Some.Contains("Tenants:Tenants:1:Acl is 'BucketOwnerFull', which is not one of"));
    }
}
