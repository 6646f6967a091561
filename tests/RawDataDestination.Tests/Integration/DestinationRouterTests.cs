using Microsoft.Extensions.Options;

namespace RawDataDestination.Tests.Integration;

/// <summary>
/// The router of many customers, against moto with IAM enforced: each customer's batches go to their own bucket through
/// their own role, a source without a customer goes nowhere, settings changes reach new batches without a restart, and
/// idle customers' destinations are released.
/// </summary>
public class DestinationRouterTests
{
    [Test]
    public void Append_WhenTheSourceHasNoTenant_IsRefusedNamingTheFix()
    {
        using var router = new DestinationRouter(new TenantDestinationResolver(new TenantDestinationsOptions()));

        EventRejectedException? refused = Assert.Throws<EventRejectedException>(() => router.Route("stranger"));

        Assert.That(refused!.Reason, Is.EqualTo(EventRejectionReason.NoDestination));
        Assert.That(refused.Message, Is.EqualTo("Source 'stranger' has no destination: no tenant lists it; add it to a tenant's Sources. Its events are refused and sent nowhere until it has one."));
    }

    [Test]
    public async Task Append_WhenASourceIsListedByTwoTenants_IsRefusedNamingBoth()
    {
        var options = new TenantDestinationsOptions();
        options.Tenants.Add(Tenant("acme", "shared", bucket: "acme-bucket"));
        options.Tenants.Add(Tenant("globex", "shared", bucket: "globex-bucket"));
        using var router = new DestinationRouter(new TenantDestinationResolver(options));
        await using var buffer = new BatchBuffer(new BatchBufferOptions(), router);

        EventRejectedException? refused = Assert.ThrowsAsync<EventRejectedException>(async () => await buffer.AppendAsync("shared", """{"type":"track"}"""u8.ToArray()));

        Assert.That(refused!.Message, Does.Contain("listed by more than one tenant (acme, globex)"));
        Assert.That(buffer.GetStatus().OpenEvents, Is.Zero, "sent nowhere, not even buffered");
    }

    [Test]
    public async Task Deliver_ToEachCustomersOwnBucketThroughTheirOwnRole_WhileABrokenOneIsRefused()
    {
        TestCustomer acme = await TestCustomer.CreateAsync("acme", "acme-ext-1");
        TestCustomer globex = await TestCustomer.CreateAsync("globex", "globex-ext-1");
        TestCustomer broken = await TestCustomer.CreateAsync("initech", "initech-ext-1");
        var options = new TenantDestinationsOptions { Defaults = Defaults() };
        options.Tenants.Add(Tenant("acme", "acme-web", acme));
        options.Tenants.Add(Tenant("globex", "globex-web", globex));
        options.Tenants.Add(Tenant("initech", "initech-web", broken, externalId: "a-wrong-external-id"));
        using var router = new DestinationRouter(new TenantDestinationResolver(options), baseCredentials: SharedPeers.ServiceCredentials());
        await using var buffer = new BatchBuffer(new BatchBufferOptions { ShutdownTimeout = TimeSpan.FromSeconds(5) }, router);
        foreach (string source in new[] { "acme-web", "globex-web", "initech-web" })
        {
            for (int i = 0; i < 3; i++)
            {
                await buffer.AppendAsync(source, Event($"{source}-{i}"));
            }
        }

        var refused = Assert.ThrowsAsync<BatchDeliveryException>(async () => await buffer.FlushAsync().WaitAsync(TimeSpan.FromSeconds(60)), "the broken customer's batch is refused");
        Assert.That(refused!.GivenUpLanes, Is.EqualTo(new[] { "initech" }), "the flush names the customer it gave up");
        Assert.That(buffer.GetStatus().DeliveredEvents, Is.EqualTo(6), "the others were delivered before the flush threw");
        Assert.That(buffer.GetStatus().UndeliveredEvents, Is.EqualTo(3), "only the broken customer's events are left");
        Assert.That(await MessageIdsAsync(acme.Bucket), Is.EquivalentTo(new[] { "acme-web-0", "acme-web-1", "acme-web-2" }));
        Assert.That(await MessageIdsAsync(globex.Bucket), Is.EquivalentTo(new[] { "globex-web-0", "globex-web-1", "globex-web-2" }));
        Assert.That(await MessageIdsAsync(broken.Bucket), Is.Empty);
        LaneStatus initech = buffer.GetStatus().FailingLanes.Single();
        Assert.That((initech.Key, initech.WaitingEvents), Is.EqualTo(("initech", 3L)));
        Assert.That(initech.LastError, Is.InstanceOf<DestinationException>().With.Property(nameof(DestinationException.ErrorCode)).EqualTo("AccessDenied"));
    }

    [Test]
    public async Task SettingsChange_ReachesTheBatchesSealedAfterItAndNotABatchSealedBefore()
    {
        TestCustomer before = await TestCustomer.CreateAsync("moving", "moving-ext");
        TestCustomer after = await TestCustomer.CreateAsync("moved", "moved-ext");
        using var configured = new ConfiguredRouter(Section(before, "moving-ext"));
        DestinationRouter router = configured.Router;

        using SealedBatch sealedBefore = await SealAsync(router, "shop", "sealed-before");
        configured.Change(Section(after, "moved-ext")); // the customer moved to a new bucket, with a new role and external id
        using SealedBatch sealedAfter = await SealAsync(router, "shop", "sealed-after");
        await router.ConsumeAsync(sealedBefore, CancellationToken.None);
        await router.ConsumeAsync(sealedAfter, CancellationToken.None);

        Assert.That(await MessageIdsAsync(before.Bucket), Is.EqualTo(new[] { "sealed-before" }), "a sealed batch keeps the bucket it was sealed for");
        Assert.That(await MessageIdsAsync(after.Bucket), Is.EqualTo(new[] { "sealed-after" }), "new batches take the new settings, without a restart");
    }

    [Test]
    public async Task ExternalIdFixed_LetsABatchSealedWithTheWrongOneThroughToTheSameBucket()
    {
        TestCustomer customer = await TestCustomer.CreateAsync("fixing", "the-right-id");
        using var configured = new ConfiguredRouter(Section(customer, "a-wrong-id"));
        DestinationRouter router = configured.Router;
        using SealedBatch waiting = await SealAsync(router, "shop", "waited");

        DestinationException? refused = Assert.ThrowsAsync<DestinationException>(() => router.ConsumeAsync(waiting, CancellationToken.None));
        Assert.That(refused!.IsPermanent, Is.True);
        configured.Change(new() { ["Tenants:0:ExternalId"] = "the-right-id" });
        await router.ConsumeAsync(waiting, CancellationToken.None);

        Assert.That(await MessageIdsAsync(customer.Bucket), Is.EqualTo(new[] { "waited" }), "same bucket, the customer's current external id");
    }

    [Test]
    public async Task InvalidSettingsFixed_LetABatchSealedWhileTheyWereInvalidThroughToTheFixedBucketWithoutARestart()
    {
        // QA: a batch sealed while the tenant's Bucket was 's3://...' was refused "settings are invalid" at every flush
        // after the fix, until a restart.
        TestCustomer customer = await TestCustomer.CreateAsync("typo", "typo-ext");
        Dictionary<string, string?> section = Section(customer, "typo-ext");
        section["Tenants:0:Bucket"] = "s3://" + customer.Bucket;
        using var configured = new ConfiguredRouter(section);
        DestinationRouter router = configured.Router;
        using SealedBatch waiting = await SealAsync(router, "shop", "sealed-while-invalid");

        DestinationException? refused = Assert.ThrowsAsync<DestinationException>(() => router.ConsumeAsync(waiting, CancellationToken.None));
        Assert.That((refused!.ErrorCode, refused.IsPermanent), Is.EqualTo(("InvalidSettings", true)));
        configured.Change(new() { ["Tenants:0:Bucket"] = customer.Bucket });
        await router.ConsumeAsync(waiting, CancellationToken.None);

        Assert.That(await MessageIdsAsync(customer.Bucket), Is.EqualTo(new[] { "sealed-while-invalid" }), "the tenant's fixed bucket");
    }

    [Test]
    public async Task InvalidSettings_ABatchSealedWhileTheyWereInvalidIsNotSentToAnotherTenantTheSourceMovedTo()
    {
        TestCustomer other = await TestCustomer.CreateAsync("other", "other-ext");
        Dictionary<string, string?> section = Section(other, "other-ext");
        section["Tenants:0:Bucket"] = "s3://" + other.Bucket;
        using var configured = new ConfiguredRouter(section);
        DestinationRouter router = configured.Router;
        using SealedBatch waiting = await SealAsync(router, "shop", "sealed-for-shop");
        configured.Change(new() { ["Tenants:0:Name"] = "another-tenant", ["Tenants:0:Bucket"] = other.Bucket }); // the source now belongs to another tenant, whose settings are valid

        DestinationException? refused = Assert.ThrowsAsync<DestinationException>(() => router.ConsumeAsync(waiting, CancellationToken.None));

        Assert.That(refused!.ErrorCode, Is.EqualTo("InvalidSettings"));
        Assert.That(await MessageIdsAsync(other.Bucket), Is.Empty, "never another tenant's bucket");
    }

    [Test]
    public async Task IdleCustomers_TheirDestinationsAndCredentialsAreReleased()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        TestCustomer customer = await TestCustomer.CreateAsync("idle", "idle-ext");
        var options = new TenantDestinationsOptions { Defaults = Defaults() };
        options.Tenants.Add(Tenant("idle", "idle-web", customer));
        int cachedBefore = RawDataDestination.Sts.SharedCredentialsCache.Count;
        using var router = new DestinationRouter(
            new TenantDestinationResolver(options),
            new DestinationRouterOptions { DestinationIdleTimeout = TimeSpan.FromMinutes(10) },
            SharedPeers.ServiceCredentials(),
            time);
        using SealedBatch batch = await SealAsync(router, "idle-web", "one");
        await router.ConsumeAsync(batch, CancellationToken.None);
        Assert.That(router.ActiveDestinations, Is.EqualTo(1));
        Assert.That(RawDataDestination.Sts.SharedCredentialsCache.Count, Is.EqualTo(cachedBefore + 1));

        time.Advance(TimeSpan.FromMinutes(9));
        Assert.That(router.ActiveDestinations, Is.EqualTo(1), "not idle long enough");
        time.Advance(TimeSpan.FromMinutes(6));

        Assert.That(router.ActiveDestinations, Is.Zero, "disposed after 10 minutes without an upload");
        Assert.That(RawDataDestination.Sts.SharedCredentialsCache.Count, Is.EqualTo(cachedBefore), "its credentials evicted with it, STS client disposed");
        using SealedBatch later = await SealAsync(router, "idle-web", "two");
        await router.ConsumeAsync(later, CancellationToken.None);
        Assert.That(await MessageIdsAsync(customer.Bucket), Is.EquivalentTo(new[] { "one", "two" }), "built again on next use");
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Deliver_WithTwoOfTwelveCustomersBroken_TheHealthyOnesLandWithinSecondsAndNoAppendWaits()
    {
        // Ten healthy customers on moto; one whose S3 accepts connections and never answers; one whose role refuses us.
        List<TestCustomer> customers = await CustomersAsync("healthy", 10);

        TestCustomer refusing = await TestCustomer.CreateAsync("refusing", "refusing-ext");
        await using var silent = new SilentEndpoint();
        var destinations = new Dictionary<string, TenantDestination>(StringComparer.Ordinal);
        for (int i = 0; i < customers.Count; i++)
        {
            destinations[$"healthy-{i}"] = new TenantDestination($"healthy-{i}", WithCustomer(customers[i], customers[i].ExternalId!));
        }

        destinations["silent"] = new TenantDestination("silent", WithCustomer(customers[0], customers[0].ExternalId!, s3Url: silent.Url));
        destinations["refusing"] = new TenantDestination("refusing", WithCustomer(refusing, "not-the-external-id"));
        using var router = new DestinationRouter(new FixedResolver(destinations), baseCredentials: SharedPeers.ServiceCredentials());
        var options = new BatchBufferOptions { FlushInterval = TimeSpan.FromSeconds(1), FlushOffset = TimeSpan.Zero, ShutdownTimeout = TimeSpan.FromSeconds(2) };
        await using var buffer = new BatchBuffer(options, router);

        // The broken customers go first, so they are the first to want upload slots.
        foreach (string broken in new[] { "silent", "refusing" })
        {
            for (int i = 0; i < 20; i++)
            {
                await buffer.AppendAsync(broken, Event($"{broken}-{i}"));
            }
        }

        var appendTimes = new List<TimeSpan>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 20; i++)
        {
            foreach (string healthy in destinations.Keys.Where(k => k.StartsWith("healthy-", StringComparison.Ordinal)))
            {
                TimeSpan before = clock.Elapsed;
                await buffer.AppendAsync(healthy, Event($"{healthy}-{i}"));
                appendTimes.Add(clock.Elapsed - before);
            }
        }

        TimeSpan appended = clock.Elapsed;
        while (buffer.GetStatus().DeliveredEvents < 200 && clock.Elapsed - appended < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(50);
        }

        Assert.That(buffer.GetStatus().DeliveredEvents, Is.EqualTo(200), "every healthy event delivered");
        // The bounds sit well under the silent endpoint's 10 s response timeout, which any wait on it would cost, and
        // well over what this machine needs (about a second): the test tells coupling from speed, not speed itself.
        Assert.That(clock.Elapsed - appended, Is.LessThan(TimeSpan.FromSeconds(8)), "delivered within seconds of the appends (the schedule seals every second)");
        Assert.That(appendTimes.Max(), Is.LessThan(TimeSpan.FromSeconds(5)), "no healthy append waited on a broken customer");
        for (int i = 0; i < customers.Count; i++)
        {
            Assert.That(await MessageIdsAsync(customers[i].Bucket), Is.EquivalentTo(Enumerable.Range(0, 20).Select(n => $"healthy-{i}-{n}")), $"healthy-{i}: each event once, in its own bucket");
        }

        Assert.That(await MessageIdsAsync(refusing.Bucket), Is.Empty);
        Assert.That(buffer.GetStatus().FailingLanes.Select(l => l.Key), Is.SubsetOf(new[] { "silent", "refusing" }));
    }

    [Test]
    [CancelAfter(180_000)]
    public async Task Restart_OverASpoolOfTwelveCustomersTwoBroken_DeliversTheHealthyAtOnceAndTheBrokenOnceFixedEachEventOnce()
    {
        // Ten healthy customers; one whose S3 accepts connections and never answers; one whose role refuses us.
        List<TestCustomer> customers = await CustomersAsync("spooled", 10);

        TestCustomer silentCustomer = await TestCustomer.CreateAsync("spooled-silent", "silent-ext");
        TestCustomer refusing = await TestCustomer.CreateAsync("spooled-refusing", "refusing-ext");
        await using var silent = new SilentEndpoint();
        Dictionary<string, TenantDestination> Destinations(bool fixedBroken)
        {
            var destinations = new Dictionary<string, TenantDestination>(StringComparer.Ordinal);
            for (int i = 0; i < customers.Count; i++)
            {
                destinations[$"healthy-{i}"] = new TenantDestination($"healthy-{i}", WithCustomer(customers[i], customers[i].ExternalId!));
            }

            destinations["silent"] = new TenantDestination("silent", WithCustomer(silentCustomer, silentCustomer.ExternalId!, s3Url: fixedBroken ? null : silent.Url));
            destinations["refusing"] = new TenantDestination("refusing", WithCustomer(refusing, fixedBroken ? refusing.ExternalId! : "not-the-external-id"));
            return destinations;
        }

        using var spool = new TempDirectory("rawdata-tenants-spool-");
        BatchBufferOptions Options() => new() { SpoolDirectory = spool.Path, MaxBatchBytes = 2_000, MaxEventBytes = 1024, ShutdownTimeout = TimeSpan.FromSeconds(2) };
        string[] sources = [.. Destinations(fixedBroken: false).Keys];

        // First run: nothing is delivered (the consumer never answers), so at its stop every batch stays in the spool.
        var never = new GatedConsumer();
        await using (var first = new BatchBuffer(Options(), never))
        {
            for (int i = 0; i < 30; i++)
            {
                foreach (string source in sources)
                {
                    await first.AppendAsync(source, Event($"{source}-{i}"));
                }
            }
        }

        Assert.That(never.MessageIds, Is.Empty, "the first run delivered nothing");

        // Second run, over the same spool, with the two broken customers: the healthy ones' spooled batches land at once.
        var clock = Stopwatch.StartNew();
        using (var router = new DestinationRouter(new FixedResolver(Destinations(fixedBroken: false)), baseCredentials: SharedPeers.ServiceCredentials()))
        {
            var second = new BatchBuffer(Options(), router);
            try
            {
                while (second.GetStatus().DeliveredEvents < 300 && clock.Elapsed < TimeSpan.FromSeconds(60))
                {
                    await Task.Delay(50);
                }

                // Well under the silent endpoint's 10 s response timeout, which any wait on it would cost.
                Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(8)), "the healthy customers' spooled batches did not wait on the broken ones");
                Assert.That(second.GetStatus().DeliveredEvents, Is.EqualTo(300), "every healthy customer's spooled event delivered");
            }
            finally
            {
                var stopping = Stopwatch.StartNew();
                await second.DisposeAsync();
                Assert.That(stopping.Elapsed, Is.LessThan(TimeSpan.FromSeconds(8)), "a silent customer's upload does not hold the stop past its deadline");
            }
        }

        for (int i = 0; i < customers.Count; i++)
        {
            Assert.That(await MessageIdsAsync(customers[i].Bucket), Is.EquivalentTo(Enumerable.Range(0, 30).Select(n => $"healthy-{i}-{n}")), $"healthy-{i}: each event once, in its own bucket");
        }

        Assert.That(await MessageIdsAsync(refusing.Bucket), Is.Empty);
        Assert.That(await MessageIdsAsync(silentCustomer.Bucket), Is.Empty);

        // Third run, the two customers fixed: their batches, kept in the spool, land once; nothing is sent again.
        using (var router = new DestinationRouter(new FixedResolver(Destinations(fixedBroken: true)), baseCredentials: SharedPeers.ServiceCredentials()))
        {
            await using var third = new BatchBuffer(Options(), router);
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await third.FlushAsync(deadline.Token);
            Assert.That(third.GetStatus().DeliveredEvents, Is.EqualTo(60), "only the two fixed customers' events");
        }

        Assert.That(await MessageIdsAsync(silentCustomer.Bucket), Is.EquivalentTo(Enumerable.Range(0, 30).Select(n => $"silent-{n}")), "the silent customer's events, once");
        Assert.That(await MessageIdsAsync(refusing.Bucket), Is.EquivalentTo(Enumerable.Range(0, 30).Select(n => $"refusing-{n}")), "the refusing customer's events, once");
        for (int i = 0; i < customers.Count; i++)
        {
            Assert.That(await MessageIdsAsync(customers[i].Bucket), Has.Count.EqualTo(30), $"healthy-{i}: nothing sent again");
        }
    }

    [Test]
    [CancelAfter(150_000)]
    public async Task Flush_OfAThousandSourcesOverTwentyCustomersThreeBroken_DeliversTheHealthyOnesAndThrowsForTheBroken()
    {
        // 20 customers of 50 sources each, from the tenants' settings; one whose S3 never answers, one whose bucket does
        // not exist, one whose role refuses us. Every source gets one event, and the buffer is flushed.
        const int customerCount = 20, sourcesPerCustomer = 50;
        string? silentBucket = null;
        await using FaultProxy proxy = MotoFaults.Proxy(request =>
            silentBucket is not null && request.Method == "PUT" && request.Path.StartsWith($"/{silentBucket}/", StringComparison.Ordinal) ? ProxyAction.Stall : ProxyAction.Forward);
        S3RoleDestinationOptions defaults = Defaults();
        defaults.ServiceUrl = proxy.ServiceUrl;
        var options = new TenantDestinationsOptions { Defaults = defaults };
        var healthy = new List<(string Name, TestCustomer Customer)>();
        for (int c = 0; c < customerCount; c++)
        {
            string name = $"customer-{c:00}";
            TestCustomer customer = await TestCustomer.CreateAsync(name, $"{name}-ext");
            TenantOptions tenant = c switch
            {
                0 => Tenant(name, $"{name}-s0000", customer.Bucket, customer.RoleArn, customer.ExternalId),
                1 => Tenant(name, $"{name}-s0000", $"missing-{Guid.NewGuid():N}", customer.RoleArn, customer.ExternalId),
                2 => Tenant(name, $"{name}-s0000", customer.Bucket, customer.RoleArn, "not-the-external-id"),
                _ => Tenant(name, $"{name}-s0000", customer),
            };
            if (c == 0)
            {
                silentBucket = customer.Bucket;
            }

            for (int s = 1; s < sourcesPerCustomer; s++)
            {
                tenant.Sources.Add($"{name}-s{s:0000}");
            }

            options.Tenants.Add(tenant);
            if (c > 2)
            {
                healthy.Add((name, customer));
            }
        }

        using var router = new DestinationRouter(new TenantDestinationResolver(options), baseCredentials: SharedPeers.ServiceCredentials());
        // The silent customer is given up after its retry budget: the flush waits that long for it, as for any lane that may still deliver.
        await using var buffer = new BatchBuffer(new BatchBufferOptions { ShutdownTimeout = TimeSpan.FromSeconds(2), RetryBudget = TimeSpan.FromSeconds(20) }, router);
        var clock = Stopwatch.StartNew();
        for (int s = 0; s < sourcesPerCustomer; s++)
        {
            for (int c = 0; c < customerCount; c++)
            {
                string source = $"customer-{c:00}-s{s:0000}";
                await buffer.AppendAsync(source, Event(source));
            }
        }

        TimeSpan appended = clock.Elapsed;
        Task flush = buffer.FlushAsync();
        long healthyEvents = healthy.Count * sourcesPerCustomer;
        while (buffer.GetStatus().DeliveredEvents < healthyEvents && clock.Elapsed - appended < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(50);
        }

        TimeSpan delivered = clock.Elapsed - appended;
        TestContext.Out.WriteLine($"appended in {appended}, the healthy customers' {healthyEvents} events delivered {delivered} later");
        Assert.That(buffer.GetStatus().DeliveredEvents, Is.EqualTo(healthyEvents), "every healthy event delivered, no broken one");
        // About 10 s on this machine with every customer healthy (one PutObject per source): the bound tells a flush
        // stalled by the broken customers from the local S3's speed.
        Assert.That(delivered, Is.LessThan(TimeSpan.FromSeconds(45)), "the flush delivered the healthy lanes without waiting on the broken ones");
        // Each broken customer has more sources than its lane may hold sealed batches (8): the flush's seals for the rest
        // would wait for room that never comes. It gives up on them as promised instead of waiting forever.
        var error = Assert.ThrowsAsync<BatchDeliveryException>(async () => await flush.WaitAsync(TimeSpan.FromSeconds(60)), "the flush reports the broken customers' batches");
        Assert.That(error!.GivenUpLanes, Is.EqualTo(new[] { "customer-00", "customer-01", "customer-02" }), "each broken customer named, no healthy one");
        foreach ((string name, TestCustomer customer) in healthy)
        {
            Assert.That(await MessageIdsAsync(customer.Bucket), Is.EquivalentTo(Enumerable.Range(0, sourcesPerCustomer).Select(s => $"{name}-s{s:0000}")), $"{name}: each event once, in its own bucket");
        }

        Assert.That(buffer.GetStatus().FailingLanes.Select(l => l.Key), Is.SubsetOf(new[] { "customer-00", "customer-01", "customer-02" }));
    }

    /// <summary>Creates <paramref name="count"/> customers, each with a bucket and a role of its own: {name}{i}, external id {name}-ext-{i}.</summary>
    private static async Task<List<TestCustomer>> CustomersAsync(string name, int count)
    {
        var customers = new List<TestCustomer>();
        for (int i = 0; i < count; i++)
        {
            customers.Add(await TestCustomer.CreateAsync($"{name}{i}", $"{name}-ext-{i}"));
        }

        return customers;
    }

    private static S3RoleDestinationOptions WithCustomer(TestCustomer customer, string externalId, string? s3Url = null)
    {
        S3RoleDestinationOptions options = Destinations.Options(customer.Bucket, externalId, s3Url);
        options.RoleArn = customer.RoleArn;
        return options;
    }

    /// <summary>Customers fixed in code, each with a destination of its own (even its own S3 endpoint).</summary>
    private sealed class FixedResolver(Dictionary<string, TenantDestination> destinations) : IDestinationResolver
    {
        public TenantDestination? Resolve(string sourceId) => destinations.GetValueOrDefault(sourceId);
    }

    private static S3RoleDestinationOptions Defaults()
    {
        S3RoleDestinationOptions defaults = Destinations.Options();
        defaults.Bucket = "";
        defaults.RoleArn = "";
        defaults.ExternalId = "";
        return defaults;
    }

    private static TenantOptions Tenant(string name, string source, TestCustomer customer, string? externalId = null) =>
        Tenant(name, source, customer.Bucket, customer.RoleArn, externalId ?? customer.ExternalId);

    private static TenantOptions Tenant(string name, string source, string bucket, string? roleArn = null, string? externalId = SharedPeers.ExternalId)
    {
        var tenant = new TenantOptions { Name = name, Bucket = bucket, RoleArn = roleArn ?? SharedPeers.RoleArn, ExternalId = externalId };
        tenant.Sources.Add(source);
        return tenant;
    }

    /// <summary>The configuration section of one tenant, "shop", with the shared defaults for the local AWS.</summary>
    /// <summary>
    /// A router over the tenants bound from an in-memory configuration through an options monitor, as
    /// AddTenantDestinations binds them: a change and reload of the configuration reaches the next batch sealed.
    /// </summary>
    private sealed class ConfiguredRouter : IDisposable
    {
        private readonly IConfigurationRoot configuration;
        private readonly ServiceProvider services;
        private readonly TenantDestinationResolver resolver;

        /// <summary>A router over the in-memory settings <paramref name="section"/>, which <see cref="Change"/> changes as a reload would.</summary>
        public ConfiguredRouter(Dictionary<string, string?> section)
        {
            configuration = new ConfigurationBuilder().AddInMemoryCollection(section).Build();
            services = new ServiceCollection().Configure<TenantDestinationsOptions>(configuration).BuildServiceProvider();
            resolver = new TenantDestinationResolver(services.GetRequiredService<IOptionsMonitor<TenantDestinationsOptions>>());
            Router = new DestinationRouter(resolver, baseCredentials: SharedPeers.ServiceCredentials());
        }

        public DestinationRouter Router { get; }

        /// <summary>Sets each of <paramref name="settings"/>, then reloads the configuration, as an edited settings file does.</summary>
        public void Change(Dictionary<string, string?> settings)
        {
            foreach ((string key, string? value) in settings)
            {
                configuration[key] = value;
            }

            configuration.Reload();
        }

        public void Dispose()
        {
            Router.Dispose();
            resolver.Dispose();
            services.Dispose();
        }
    }

    private static Dictionary<string, string?> Section(TestCustomer customer, string externalId)
    {
        S3RoleDestinationOptions defaults = Destinations.Options();
        return new Dictionary<string, string?>
        {
            ["Defaults:Region"] = defaults.Region,
            ["Defaults:ServiceUrl"] = defaults.ServiceUrl!.ToString(),
            ["Defaults:StsServiceUrl"] = defaults.StsServiceUrl!.ToString(),
            ["Tenants:0:Name"] = "shop",
            ["Tenants:0:Sources:0"] = "shop",
            ["Tenants:0:Bucket"] = customer.Bucket,
            ["Tenants:0:RoleArn"] = customer.RoleArn,
            ["Tenants:0:ExternalId"] = externalId,
        };
    }

    /// <summary>A one-event batch of <paramref name="sourceId"/>, sealed now: bound to where the router routes it now.</summary>
    private static async Task<SealedBatch> SealAsync(DestinationRouter router, string sourceId, string messageId)
    {
        BatchRoute route = router.Route(sourceId);
        SealedBatch batch = await TestBatches.CreateAsync(sourceId, new DateOnly(2023, 11, 24), "{\"messageId\":\"" + messageId + "\"}");
        batch.Lane = route.Lane;
        batch.RouteState = route.State;
        return batch;
    }

    private static byte[] Event(string messageId) => System.Text.Encoding.UTF8.GetBytes("{\"messageId\":\"" + messageId + "\"}");

    private static async Task<IEnumerable<string>> MessageIdsAsync(string bucket) =>
        await Objects.MessageIdsAsync("segment-logs/", bucket);
}
