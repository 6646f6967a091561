namespace RawDataDestination.Tests.Integration;

/// <summary>
/// The tenants reloaded (IOptionsMonitor, as <c>AddTenantDestinations</c> binds them) while events flow, with thousands of
/// sources, against moto with IAM enforced: no event lost, and each in the bucket of the customer its source belonged to
/// when its batch was sealed, never another customer's.
/// </summary>
public class TenantDestinationsReloadTests
{
    private const int SourcesPerTenant = 1000;

    [Test]
    [CancelAfter(180_000)]
    public async Task Reload_AddingRemovingAndChangingTenantsWhileEventsFlow_LosesNoEventAndSendsEachToItsCustomersBucket(CancellationToken cancellationToken)
    {
        // Every wait is bounded well within [CancelAfter]: one that does not end fails naming the buffer's and the writers'
        // state, instead of hanging the test run.
        using var bound = new CancellationTokenSource();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(TimeSpan.FromSeconds(130)); // then at most 20 s to dispose: within [CancelAfter]
        TestCustomer acme = await TestCustomer.CreateAsync("acme", "acme-ext");
        TestCustomer globexOld = await TestCustomer.CreateAsync("globex", "globex-ext");
        TestCustomer globexNew = await TestCustomer.CreateAsync("globex2", "globex-ext-2");
        TestCustomer initech = await TestCustomer.CreateAsync("initech", "initech-ext");
        TestCustomer umbrella = await TestCustomer.CreateAsync("umbrella", "umbrella-ext");

        // Before: acme, globex (old bucket), initech. After: acme unchanged, globex moved to a new bucket with a new role
        // and external id, initech removed, umbrella added; then a second reload lists the same tenants in another order.
        string[] before = [.. Defaults(), .. Tenant(0, "acme", acme), .. Tenant(1, "globex", globexOld), .. Tenant(2, "initech", initech)];
        string[] after = [.. Defaults(), .. Tenant(0, "umbrella", umbrella), .. Tenant(1, "globex", globexNew), .. Tenant(2, "acme", acme)];
        string[] reordered = [.. Defaults(), .. Tenant(0, "acme", acme), .. Tenant(1, "umbrella", umbrella), .. Tenant(2, "globex", globexNew)];
        var (configuration, settings) = ReplaceableSettings.Of(before);
        var services = new ServiceCollection();
        services.AddSingleton<AWSCredentials>(SharedPeers.ServiceCredentials());
        services.AddTenantDestinations(configuration.GetSection("Tenants"));
        services.AddBatchBuffer(o =>
        {
            o.MaxOpenBatches = 200; // fewer open batches than sources: capacity seals happen while the reload lands
            o.ShutdownTimeout = TimeSpan.FromSeconds(10);
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(20);
            o.RetryMaxDelay = TimeSpan.FromMilliseconds(200);
            o.RetryBudget = TimeSpan.FromSeconds(30); // a batch that keeps failing ends the flush in time, not after 5 minutes
        });
        ServiceProvider provider = services.BuildServiceProvider();
        provider.GetRequiredService<Microsoft.Extensions.Options.IStartupValidator>().Validate();
        BatchBuffer buffer = provider.GetRequiredService<BatchBuffer>();

        var accepted = new ConcurrentDictionary<string, (string Source, int Phase)>(StringComparer.Ordinal); // messageId -> source, phase
        var refused = new ConcurrentBag<(string Source, int Phase)>();
        int phase = 0;
        int[] appended = new int[4];
        string?[] appending = new string?[4];
        Task[] writers = [];
        var clock = Stopwatch.StartNew();
        string step = "appending";
        string State() => $"at {clock.Elapsed.TotalSeconds:F1} s, {Volatile.Read(ref step)}: " + Describe(buffer.GetStatus()) + "; writers: " + string.Join(", ", Enumerable.Range(0, writers.Length).Select(w =>
            $"w{w} {writers[w].Status} after {Volatile.Read(ref appended[w])} append(s){(Volatile.Read(ref appending[w]) is { } source ? ", appending to " + source : "")}"));
        string? stateWhenBoundPassed = null;
        using CancellationTokenRegistration expiry = limit.Token.Register(() =>
        {
            stateWhenBoundPassed = State(); // as it was: before the waits are cancelled
            bound.Cancel();
        });
        string Diagnosis() => stateWhenBoundPassed ?? State(); // the state when the bound passed, or now
        async Task WithinAsync(Task task, string what)
        {
            try
            {
                await task.WaitAsync(bound.Token);
            }
            catch (OperationCanceledException) when (bound.IsCancellationRequested)
            {
                Assert.Fail($"{what} did not end in time: {Diagnosis()}");
            }
        }

        using var stop = new CancellationTokenSource();
        async Task AppendAsync(int writer)
        {
            string[] tenants = ["acme", "globex", "initech", "umbrella"];
            for (int n = 0; !stop.IsCancellationRequested || n < 400; n++)
            {
                string source = $"{tenants[(n + writer) % tenants.Length]}-{(n * 37 + writer * 101) % SourcesPerTenant:D4}";
                string messageId = $"w{writer}-{n}";
                int seen = Volatile.Read(ref phase);
                Volatile.Write(ref appending[writer], source);
                try
                {
                    await buffer.AppendAsync(source, Encoding.UTF8.GetBytes($"{{\"messageId\":\"{messageId}\",\"receivedAt\":\"2026-12-04T10:00:00Z\"}}"), bound.Token);
                    accepted[messageId] = (source, seen);
                }
                catch (EventRejectedException refusal) when (refusal.Reason == EventRejectionReason.NoDestination)
                {
                    refused.Add((source, seen));
                }

                Volatile.Write(ref appending[writer], null);
                Volatile.Write(ref appended[writer], n + 1);
                if (n % 50 == 0)
                {
                    await Task.Yield();
                }
            }
        }

        try
        {
            writers = [.. Enumerable.Range(0, 4).Select(w => Task.Run(() => AppendAsync(w)))];
            await WaitForAsync(() => accepted.Count >= 600, Diagnosis, bound.Token);
            settings.Replace(after);
            Volatile.Write(ref phase, 1); // every append that reads phase 1 started after the reload was applied
            await WaitForAsync(() => accepted.Values.Count(a => a.Phase == 1) >= 600, Diagnosis, bound.Token);
            settings.Replace(reordered);
            stop.Cancel();
            Volatile.Write(ref step, $"writers stopping since {clock.Elapsed.TotalSeconds:F1} s");
            await WithinAsync(Task.WhenAll(writers), "the writers");

            try
            {
                Volatile.Write(ref step, $"flushing since {clock.Elapsed.TotalSeconds:F1} s");
                await WithinAsync(buffer.FlushAsync(bound.Token), "the flush");
            }
            catch (BatchDeliveryException)
            {
                // initech's batches sealed after it was removed have no destination: refused (parked, kept), never sent elsewhere
            }

            Volatile.Write(ref step, $"settling since {clock.Elapsed.TotalSeconds:F1} s");
            await WaitForAsync(() => buffer.GetStatus() is { UploadingBatches: 0, WaitingBatches: 0, FailingBatches: 0 }, Diagnosis, bound.Token); // a lane given up may still have batches on their way when the flush throws
            DeliveryStatus status = buffer.GetStatus();
            Task<Dictionary<string, string>> reading = LandedAsync([acme, globexOld, globexNew, initech, umbrella]);
            await WithinAsync(reading, "reading the buckets");
            Dictionary<string, string> landed = await reading;

            TestContext.Out.WriteLine($"accepted {accepted.Count} ({accepted.Values.Count(a => a.Phase == 1)} after the reload), refused {refused.Count}, landed {landed.Count} in {landed.Values.Distinct().Count()} buckets, kept {status.UndeliveredEvents}");
            Assert.That(landed.Keys.Except(accepted.Keys), Is.Empty, "nothing lands that was not accepted");
            Assert.That(status.DeliveredEvents + status.UndeliveredEvents + status.OpenEvents, Is.EqualTo(accepted.Count), "every accepted event is counted");
            Assert.That(landed.Count, Is.EqualTo(status.DeliveredEvents), "each delivered event in exactly one object");
            foreach ((string messageId, (string source, int seen)) in accepted)
            {
                string tenant = source[..source.IndexOf('-', StringComparison.Ordinal)];
                string? bucket = landed.GetValueOrDefault(messageId);
                string[] allowed = (tenant, seen) switch
                {
                    ("acme", _) => [acme.Bucket],
                    ("globex", 0) => [globexOld.Bucket, globexNew.Bucket], // sealed before or after the reload
                    ("globex", _) => [globexNew.Bucket],
                    ("initech", 0) => [initech.Bucket, "kept"], // sealed before the removal, or kept (parked) after it
                    ("umbrella", _) => [umbrella.Bucket],
                    _ => [],
                };
                Assert.That(bucket ?? "kept", Is.AnyOf(allowed), $"{messageId} of {source}, appended in phase {seen}");
            }

            Assert.That(accepted.Values.Count(a => a.Source.StartsWith("umbrella-", StringComparison.Ordinal)), Is.GreaterThan(0), "umbrella's events were accepted once it was added");
            Assert.That(refused.Where(r => r.Phase == 1).Select(r => r.Source[..r.Source.IndexOf('-', StringComparison.Ordinal)]).Distinct(), Is.EquivalentTo(new[] { "initech" }), "after the reload only the removed tenant's sources are refused");
            Assert.That(status.UndeliveredEvents, Is.EqualTo(accepted.Values.Count(a => a.Source.StartsWith("initech-", StringComparison.Ordinal)) - landed.Count(l => l.Value == initech.Bucket)), "the removed tenant's events not delivered are kept, reported");
        }
        finally
        {
            stop.Cancel();
            await bound.CancelAsync(); // writers still appending (a failed wait) stop
            await Task.WhenAll(writers).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            Task disposing = provider.DisposeAsync().AsTask(); // the buffer's shutdown is bounded by its ShutdownTimeout (10 s)
            if (await Task.WhenAny(disposing, Task.Delay(TimeSpan.FromSeconds(20), CancellationToken.None)) != disposing)
            {
                Assert.Fail($"disposing the services did not end in 20 s: {State()}");
            }
        }
    }

    [TestCase(false)]
    [TestCase(true)]
    [CancelAfter(180_000)]
    public async Task Reload_RemovingATenantWithAThousandOpenSourcesThenListingItAgain_KeepsItsBatchesInOneLaneAndDeliversEachOnceToItsBucket(bool withSpool)
    {
        TestCustomer acme = await TestCustomer.CreateAsync("acme", "acme-ext");
        TestCustomer initech = await TestCustomer.CreateAsync("initech", "initech-ext");
        string[] both = [.. Defaults(), .. Tenant(0, "acme", acme), .. Tenant(1, "initech", initech)];
        string[] acmeOnly = [.. Defaults(), .. Tenant(0, "acme", acme)];
        var (configuration, settings) = ReplaceableSettings.Of(both);
        using var spool = withSpool ? new TempDirectory() : null;
        var logs = new CapturingLogger();
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(logs);
        services.AddLogging();
        services.AddSingleton<AWSCredentials>(SharedPeers.ServiceCredentials());
        services.AddTenantDestinations(configuration.GetSection("Tenants"));
        services.AddBatchBuffer(o =>
        {
            o.SpoolDirectory = spool?.Path;
            o.ShutdownTimeout = TimeSpan.FromSeconds(10);
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(20);
            o.RetryMaxDelay = TimeSpan.FromMilliseconds(200);
        });
        await using ServiceProvider provider = services.BuildServiceProvider();
        BatchBuffer buffer = provider.GetRequiredService<BatchBuffer>();
        string[] initechSources = [.. Enumerable.Range(0, SourcesPerTenant).Select(i => string.Create(CultureInfo.InvariantCulture, $"initech-{i:D4}"))];
        foreach (string source in initechSources)
        {
            await buffer.AppendAsync(source, Encoding.UTF8.GetBytes($"{{\"messageId\":\"{source}\",\"receivedAt\":\"2026-12-04T10:00:00Z\"}}"));
        }

        settings.Replace(acmeOnly); // initech removed while its thousand batches are open
        string[] acmeSources = [.. Enumerable.Range(0, 20).Select(i => string.Create(CultureInfo.InvariantCulture, $"acme-{i:D4}"))];
        foreach (string source in acmeSources)
        {
            await buffer.AppendAsync(source, Encoding.UTF8.GetBytes($"{{\"messageId\":\"{source}\",\"receivedAt\":\"2026-12-04T10:00:00Z\"}}"));
        }

        Assert.That(async () => await buffer.FlushAsync(), Throws.InstanceOf<BatchDeliveryException>(), "initech's batches have no destination");
        await WaitForAsync(() => buffer.GetStatus() is { UploadingBatches: 0, WaitingBatches: 0, FailingBatches: 0, OpenEvents: 0 });
        DeliveryStatus status = buffer.GetStatus();
        int laneFailing = logs.Lines.Count(l => l.StartsWith("Warning:", StringComparison.Ordinal) && l.Contains("is failing", StringComparison.Ordinal));
        int refusedErrors = logs.Lines.Count(l => l.StartsWith("Error:", StringComparison.Ordinal) && l.Contains("refused", StringComparison.Ordinal));
        TestContext.Out.WriteLine($"kept {status.RefusedBatches} batches ({status.UndeliveredEvents} events) in {status.FailingLaneCount} failing lane(s) {string.Join(", ", status.FailingLanes.Select(l => l.Key))}; spooled {status.SpooledBatches}; {laneFailing} lane-failing warning(s), {refusedErrors} refusal error(s)");
        Assert.That(await MessageIdsAsync(acme), Is.EquivalentTo(acmeSources), "acme delivered, each event once");
        Assert.That(await MessageIdsAsync(initech), Is.Empty, "nothing of initech sent while it is not listed");
        Assert.That(status.UndeliveredEvents, Is.EqualTo(SourcesPerTenant), "initech's events kept, counted");
        Assert.That(status.FailingLaneCount, Is.EqualTo(1), "one lane for the thousand unrouted sources");
        Assert.That(status.FailingLanes.Single().Key, Does.Contain("NoDestination"));
        Assert.That(status.SpooledBatches, Is.EqualTo(withSpool ? SourcesPerTenant : 0), "with a spool, kept on disk");
        Assert.That(laneFailing, Is.EqualTo(1), "one warning for the cause, not one per source");
        Assert.That(refusedErrors, Is.Zero, "no error line per source");

        settings.Replace(both); // initech listed again: a flush tries its kept batches, now to its bucket
        await buffer.FlushAsync();
        Assert.That(await MessageIdsAsync(initech), Is.EquivalentTo(initechSources), "initech's kept events delivered to it, each once");
        Assert.That(await MessageIdsAsync(acme), Is.EquivalentTo(acmeSources), "and nothing more to acme");
        Assert.That(buffer.GetStatus() is { UndeliveredEvents: 0, FailingLaneCount: 0, SpooledBatches: 0 }, Is.True);
    }

    private static async Task<string[]> MessageIdsAsync(TestCustomer customer) =>
        [.. await Objects.MessageIdsAsync("segment-logs/", customer.Bucket)];

    /// <summary>Waits for <paramref name="condition"/>, at most a minute and until <paramref name="bound"/> fires; then fails, naming <paramref name="state"/> when given.</summary>
    private static async Task WaitForAsync(Func<bool> condition, Func<string>? state = null, CancellationToken bound = default)
    {
        var waited = Stopwatch.StartNew();
        while (!condition())
        {
            if (waited.Elapsed > TimeSpan.FromSeconds(60) || bound.IsCancellationRequested)
            {
                Assert.Fail($"not reached in time{(state is null ? "" : ": " + state())}");
            }

            await Task.Delay(10, CancellationToken.None);
        }
    }

    /// <summary>The buffer's state in one line: its batches by state, and each failing lane with its last error.</summary>
    private static string Describe(DeliveryStatus status) =>
        $"uploading {status.UploadingBatches}, waiting {status.WaitingBatches}, failing {status.FailingBatches}, refused {status.RefusedBatches} batches; " +
        $"open {status.OpenEvents}, delivered {status.DeliveredEvents}, undelivered {status.UndeliveredEvents} events; last error {status.LastError?.GetType().Name}: {status.LastError?.Message}; " +
        $"next retry {status.NextRetryAt:O}, stalled since {status.StalledSince:O}, budget ends {status.RetryBudgetEndsAt:O} (spent: {status.RetryBudgetSpent}); " +
        $"{status.FailingLaneCount} failing lane(s): " + string.Join("; ", status.FailingLanes.Select(l =>
            $"{l.Key} since {l.FailingSince:O}, {l.WaitingBatches} batches ({l.WaitingEvents} events) waiting, last error {l.LastError?.GetType().Name}: {l.LastError?.Message}"));

    /// <summary>Every messageId in the customers' buckets, with the bucket it is in; one that is in two fails.</summary>
    private static async Task<Dictionary<string, string>> LandedAsync(TestCustomer[] customers)
    {
        var landed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (TestCustomer customer in customers)
        {
            foreach ((string key, string[] lines) in await Objects.ReadAllAsync("segment-logs/", customer.Bucket))
            {
                string source = key.Split('/')[1];
                foreach (string messageId in Objects.MessageIds(lines))
                {
                    Assert.That(landed.TryAdd(messageId, customer.Bucket), Is.True, $"{messageId} landed twice (again in {key} of {customer.Bucket})");
                    Assert.That(source, Does.StartWith(customer.Bucket.Split('-')[0].TrimEnd('2') + "-"), $"{key} in {customer.Bucket} holds another customer's source");
                }
            }
        }

        return landed;
    }

    private static string[] Defaults()
    {
        S3RoleDestinationOptions local = Destinations.Options();
        return
        [
            $"Tenants:Defaults:Region={local.Region}",
            $"Tenants:Defaults:ServiceUrl={local.ServiceUrl}",
            $"Tenants:Defaults:StsServiceUrl={local.StsServiceUrl}",
            "Tenants:Defaults:RetryBaseDelay=00:00:00.020",
            "Tenants:Defaults:RetryMaxDelay=00:00:00.200",
        ];
    }

    /// <summary>Tenant <paramref name="name"/> at index <paramref name="at"/>, with its thousand sources <c>{name}-0000</c>...</summary>
    private static IEnumerable<string> Tenant(int at, string name, TestCustomer customer)
    {
        yield return $"Tenants:Tenants:{at}:Name={name}";
        yield return $"Tenants:Tenants:{at}:Bucket={customer.Bucket}";
        yield return $"Tenants:Tenants:{at}:RoleArn={customer.RoleArn}";
        yield return $"Tenants:Tenants:{at}:ExternalId={customer.ExternalId}";
        for (int i = 0; i < SourcesPerTenant; i++)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"Tenants:Tenants:{at}:Sources:{i}={name}-{i:D4}");
        }
    }
}
