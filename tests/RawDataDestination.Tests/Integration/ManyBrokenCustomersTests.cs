namespace RawDataDestination.Tests.Integration;

/// <summary>
/// Thirty customers in one process, set up as real customers on moto (IAM enforced: a role each, trusting the service
/// with an external id, allowed to put objects in its own bucket only), six of them broken in six ways at once.
/// </summary>
public class ManyBrokenCustomersTests
{
    private const int HealthyCount = 24;
    private const int EventsEach = 20;

    [Test]
    [CancelAfter(300_000)]
    public async Task Deliver_WithSixOfThirtyCustomersBrokenInSixWays_TheHealthyAsFastAsAloneEachEventOnceAndTheBrokenOnceFixedAfterARestart()
    {
        var healthy = new List<(string Name, TestCustomer Customer)>();
        for (int i = 0; i < HealthyCount; i++)
        {
            string name = $"healthy-{i:00}";
            healthy.Add((name, await TestCustomer.CreateAsync(name, $"{name}-ext")));
        }

        var broken = new Dictionary<string, TestCustomer>(StringComparer.Ordinal);
        foreach (string name in new[] { "revoked", "no-bucket", "throttled", "silent-s3", "silent-sts", "expiring" })
        {
            broken[name] = await TestCustomer.CreateAsync(name, $"{name}-ext");
        }

        using AmazonS3Client administrator = SharedPeers.S3.CreateClient(SharedPeers.S3.AdministratorCredentials);
        await administrator.DeleteBucketAsync(broken["no-bucket"].Bucket); // the customer deleted their bucket

        // One S3 proxy in front of moto for every customer: 503 SlowDown to the throttled one's PUTs until fixed, and one
        // ExpiredToken to the expiring one's third PUT (its session credentials expire mid-run).
        bool throttling = true;
        int expiringPuts = 0;
        await using FaultProxy proxy = MotoFaults.Proxy(request =>
        {
            if (request.Method != "PUT")
            {
                return ProxyAction.Forward;
            }

            if (Volatile.Read(ref throttling) && request.Path.StartsWith($"/{broken["throttled"].Bucket}/", StringComparison.Ordinal))
            {
                return ProxyDecision.Response(503, "SlowDown", "Please reduce your request rate.");
            }

            return request.Path.StartsWith($"/{broken["expiring"].Bucket}/", StringComparison.Ordinal) && Interlocked.Increment(ref expiringPuts) == 3
                ? ProxyDecision.Response(400, "ExpiredToken", "The provided token has expired.")
                : ProxyAction.Forward;
        });
        await using var silentS3 = new SilentEndpoint();
        await using var silentSts = new SilentEndpoint();

        Dictionary<string, TenantDestination> Destinations(bool fixedBroken)
        {
            var destinations = new Dictionary<string, TenantDestination>(StringComparer.Ordinal);
            foreach ((string name, TestCustomer customer) in healthy)
            {
                destinations[name] = new TenantDestination(name, CustomerOptions(customer, proxy.ServiceUrl.ToString()));
            }

            foreach ((string name, TestCustomer customer) in broken)
            {
                S3RoleDestinationOptions options = CustomerOptions(customer, proxy.ServiceUrl.ToString());
                if (!fixedBroken)
                {
                    switch (name)
                    {
                        case "revoked":
                            options.ExternalId = "the-old-external-id"; // the customer changed the external id in their trust policy
                            break;
                        case "silent-s3":
                            options.ServiceUrl = new Uri(silentS3.Url);
                            break;
                        case "silent-sts":
                            options.StsServiceUrl = new Uri(silentSts.Url);
                            break;
                    }
                }

                destinations[name] = new TenantDestination(name, options);
            }

            return destinations;
        }

        using var spool = new TempDirectory("rawdata-many-broken-");
        using var aloneSpool = new TempDirectory("rawdata-many-alone-");
        BatchBufferOptions BufferOptions(string directory) => new()
        {
            SpoolDirectory = directory, ShutdownTimeout = TimeSpan.FromSeconds(2), MaxBatchBytes = 2_000, MaxEventBytes = 1_024,
            RetryBaseDelay = TimeSpan.FromMilliseconds(100), RetryMaxDelay = TimeSpan.FromSeconds(1),
        };

        // Alone: the healthy customers, none broken, through the same proxy, with the same options. The bound below
        // compares with this.
        TimeSpan alone;
        using (var router = new DestinationRouter(new FixedResolver(Destinations(fixedBroken: true).Where(d => d.Key.StartsWith("healthy-", StringComparison.Ordinal)).ToDictionary()), baseCredentials: SharedPeers.ServiceCredentials()))
        {
            await using var buffer = new BatchBuffer(BufferOptions(aloneSpool.Path), router);
            await AppendAsync(buffer, healthy.Select(h => h.Name), "alone");
            var clock = Stopwatch.StartNew();
            await buffer.FlushAsync().WaitAsync(TimeSpan.FromSeconds(60));
            alone = clock.Elapsed;
        }

        // With the six broken: the healthy customers (and the expiring one, whose token is refreshed within its attempt)
        // land as fast as alone; throttling ends mid-run and the throttled customer's batches follow.
        var logs = new CapturingLogger();
        string[] everyone = [.. healthy.Select(h => h.Name), .. broken.Keys];
        long healthyEvents = (HealthyCount + 1) * EventsEach;
        TimeSpan withBroken, stopping;
        DeliveryStatus afterStop;
        using (var router = new DestinationRouter(new FixedResolver(Destinations(fixedBroken: false)), baseCredentials: SharedPeers.ServiceCredentials(), loggerFactory: logs))
        {
            var buffer = new BatchBuffer(BufferOptions(spool.Path), router, logger: new Logger<BatchBuffer>(logs));
            try
            {
                await AppendAsync(buffer, everyone, "run");
                var clock = Stopwatch.StartNew();
                _ = buffer.FlushAsync().ContinueWith(static t => t.Exception, TaskScheduler.Default); // seals; gives up on the refused at once
                while (buffer.GetStatus().DeliveredEvents < healthyEvents && clock.Elapsed < TimeSpan.FromSeconds(60))
                {
                    await Task.Delay(20);
                }

                withBroken = clock.Elapsed;
                TestContext.Out.WriteLine($"healthy delivered: alone {alone.TotalSeconds:F2} s, with six broken {withBroken.TotalSeconds:F2} s");
                Assert.That(buffer.GetStatus().DeliveredEvents, Is.EqualTo(healthyEvents), "every healthy event delivered");
                Assert.That(withBroken, Is.LessThan(alone + TimeSpan.FromSeconds(5)), $"the healthy customers as fast as alone ({alone})");

                Volatile.Write(ref throttling, false);
                while (buffer.GetStatus().FailingLanes.Select(l => l.Key).Order().ToList() is var failing
                    && !failing.SequenceEqual(["no-bucket", "revoked", "silent-s3", "silent-sts"]) && clock.Elapsed < TimeSpan.FromSeconds(60))
                {
                    await Task.Delay(50); // the silent ones fail after their 10 s response timeout; the throttled one recovers
                }

                Assert.That(buffer.GetStatus().FailingLanes.Select(l => l.Key), Is.EquivalentTo(new[] { "no-bucket", "revoked", "silent-s3", "silent-sts" }), "the four still broken, each failing; the throttled one recovered");
            }
            finally
            {
                var clock = Stopwatch.StartNew();
                await buffer.DisposeAsync();
                stopping = clock.Elapsed;
                afterStop = buffer.GetStatus();
            }
        }

        string log = string.Join("\n", logs.Lines);
        Assert.That(stopping, Is.LessThan(TimeSpan.FromSeconds(7)), "the stop within its 2 s deadline and the 2 s given to attempts to end");
        Assert.That(afterStop.OpenEvents, Is.Zero);
        Assert.That(afterStop.UndeliveredEvents, Is.EqualTo(4 * EventsEach), "the four still broken customers' events, kept in the spool");
        foreach (string name in new[] { "revoked", "no-bucket", "silent-s3", "silent-sts" })
        {
            Assert.That(logs.Lines.Count(l => l.StartsWith($"Warning: Lane {name} is failing", StringComparison.Ordinal)), Is.EqualTo(1), $"{name}: one line when it starts failing\n{log}");
        }

        Assert.That(logs.Lines.Count(l => l.StartsWith("Warning: Lane throttled is failing", StringComparison.Ordinal)), Is.LessThanOrEqualTo(1), "throttled: at most one line (its attempts retry SlowDown within themselves)\n" + log);

        Assert.That(logs.Lines, Has.None.StartWith("Error: Upload of"), "the destinations' refusals are the lanes' to say, once each, not an error per batch and round");
        List<string> loud = [.. logs.Lines.Where(l => l.StartsWith("Warning", StringComparison.Ordinal) || l.StartsWith("Error", StringComparison.Ordinal))];
        Assert.That(loud, Has.Count.LessThanOrEqualTo(8), "a line per broken customer and a few for the stop, none per batch:\n" + string.Join("\n", loud));
        foreach ((string name, TestCustomer customer) in healthy)
        {
            Assert.That(await MessageIdsAsync(customer.Bucket), Is.EquivalentTo(Ids(name, "alone").Concat(Ids(name, "run"))), $"{name}: each event once");
        }

        Assert.That(await MessageIdsAsync(broken["expiring"].Bucket), Is.EquivalentTo(Ids("expiring", "run")), "expiring: each event once, the batch refused with ExpiredToken sent again under a fresh token");
        Assert.That(await MessageIdsAsync(broken["throttled"].Bucket), Is.EquivalentTo(Ids("throttled", "run")), "throttled: each event once, after the throttling ended");
        Assert.That(await MessageIdsAsync(broken["revoked"].Bucket), Is.Empty);

        // The broken customers fixed (trust and bucket restored, endpoints answering), and a restart over the spool:
        // their kept batches land, each event once; nothing else is sent again.
        await SharedPeers.S3.CreateBucketAsync(broken["no-bucket"].Bucket);
        using (var router = new DestinationRouter(new FixedResolver(Destinations(fixedBroken: true)), baseCredentials: SharedPeers.ServiceCredentials()))
        {
            await using var buffer = new BatchBuffer(BufferOptions(spool.Path), router);
            await buffer.FlushAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.That(buffer.GetStatus().DeliveredEvents, Is.EqualTo(4 * EventsEach), "only the four fixed customers' events");
        }

        foreach (string name in new[] { "revoked", "no-bucket", "silent-s3", "silent-sts", "throttled", "expiring" })
        {
            Assert.That(await MessageIdsAsync(broken[name].Bucket), Is.EquivalentTo(Ids(name, "run")), $"{name}: each event once");
        }

        foreach ((string name, TestCustomer customer) in healthy)
        {
            Assert.That(await MessageIdsAsync(customer.Bucket), Has.Count.EqualTo(2 * EventsEach), $"{name}: nothing sent again");
        }
    }

    private static S3RoleDestinationOptions CustomerOptions(TestCustomer customer, string s3Url)
    {
        S3RoleDestinationOptions options = Integration.Destinations.Options(customer.Bucket, customer.ExternalId!, s3Url);
        options.RoleArn = customer.RoleArn;
        return options;
    }

    private static async Task AppendAsync(BatchBuffer buffer, IEnumerable<string> sources, string run)
    {
        string[] all = [.. sources];
        for (int i = 0; i < EventsEach; i++)
        {
            foreach (string source in all)
            {
                await buffer.AppendAsync(source, Encoding.UTF8.GetBytes($"{{\"messageId\":\"{source}-{run}-{i}\",\"pad\":\"{new string('x', 200)}\"}}"));
            }
        }
    }

    private static IEnumerable<string> Ids(string source, string run) => Enumerable.Range(0, EventsEach).Select(i => $"{source}-{run}-{i}");

    private static Task<List<string>> MessageIdsAsync(string bucket) => Objects.MessageIdsAsync("segment-logs/", bucket);

    /// <summary>Customers fixed in code, each with a destination of its own (even its own S3 and STS endpoints).</summary>
    private sealed class FixedResolver(Dictionary<string, TenantDestination> destinations) : IDestinationResolver
    {
        public TenantDestination? Resolve(string sourceId) => destinations.GetValueOrDefault(sourceId);
    }
}
