namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// A worker of a group given a partition after its copiers' first pass (a rolling restart, a scale-down, a first pass
/// that ran mid-rebalance) tries that partition's parked staged batches at its next pass, as the first pass of a run
/// does: a customer fixed since they were parked gets them then, not on their hourly schedule. And a pass that leaves
/// parked batches says so in the log, with when they are tried next.
/// </summary>
[CancelAfter(120_000)]
public class KafkaStagedDeliveryParkedTests
{
    private const string Topic = "orders";
    private static readonly DateTimeOffset Start = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    [Test]
    public async Task Hold_OfAPartitionGainedAfterTheFirstPass_TriesItsParkedBatchesAtTheNextPassNotAnHourLater()
    {
        // QA F2: worker A held pk3[1] and made its first passes; B staged a batch of pk3[0] for a refusing customer, its
        // copier parked it; the customer was fixed, B stopped, A was given pk3[0]: the batch waited the full hour.
        await using Peers peers = await Peers.StartAsync();
        await peers.StageAsync(partition: 0, "parked-0");
        await peers.ParkAllAsync(); // B's copier: the customer refuses, the batch is parked for an hour
        await peers.StageAsync(partition: 1, "ready-1");
        peers.Refusing = false; // the customer is fixed

        await using StagedDelivery delivery = peers.Delivery(new CapturingLogger());
        delivery.Hold([1]); // A's first assignment: its first passes, which try parked batches at once (none of pk3[1])
        await peers.WaitUntilAsync(() => delivery.Copied == 1, "A's first pass delivered the batch of the partition it holds", advance: false);

        delivery.Hold([0]); // B stopped: A is given pk3[0]
        await peers.WaitUntilAsync(() => delivery.Copied == 2, "A's next pass delivered the parked batch of the partition it was given");

        Assert.That(peers.Time.GetUtcNow() - Start, Is.LessThan(TimeSpan.FromMinutes(30)), "long before the parked batch's schedule");
        Assert.That(await Objects.MessageIdsAsync("segment-logs/", peers.Customer), Is.EquivalentTo(new[] { "parked-0", "ready-1" }), "each event once");
    }

    [Test]
    public async Task Hold_OfAPartitionGainedAgainAfterAPassThatRanWhileItWasRevoked_TriesItsParkedBatchesAtTheNextPass()
    {
        // QA F2 (d1): the first assignment's passes ran after an eager rebalance had revoked the partitions; they came back
        // a moment later.
        await using Peers peers = await Peers.StartAsync();
        await peers.StageAsync(partition: 0, "parked-0");
        await peers.ParkAllAsync();
        peers.Refusing = false;

        await using StagedDelivery delivery = peers.Delivery(new CapturingLogger());
        peers.GateListings();
        delivery.Hold([0]); // the first assignment
        await peers.ListingStartedAsync(); // its first pass has begun: its try-parked-at-once is spent
        delivery.Release([0]); // revoked by the rebalance before the pass sees the batch
        peers.OpenListings();
        await peers.WaitUntilAsync(() => peers.Listings >= 4, "the first pass listed the stage while the partition was revoked (the tenant's own prefix and the one of batches staged without an identity, each followed by a listing of the earlier layout)", advance: false);
        Assert.That(delivery.Copied, Is.Zero, "the pass took nothing of a partition the worker did not hold");

        delivery.Hold([0]); // given back
        await peers.WaitUntilAsync(() => delivery.Copied == 1, "the next pass delivered the parked batch");
        Assert.That(peers.Time.GetUtcNow() - Start, Is.LessThan(TimeSpan.FromMinutes(30)), "long before the parked batch's schedule");
    }

    [Test]
    public async Task APassThatLeavesParkedBatches_LogsThatTheyAreParkedAndWhenTheyAreTriedNext_OnceUntilThatChanges_AndAgainAtTheStop()
    {
        await using Peers peers = await Peers.StartAsync();
        await peers.StageAsync(partition: 0, "parked-0");
        await peers.ParkAllAsync(); // parked at 09:00:00, next attempt 10:00:00
        peers.Time.Advance(TimeSpan.FromMinutes(5));
        var log = new CapturingLogger();
        StagedDelivery delivery = peers.Delivery(log);
        try
        {
            delivery.Hold([0]); // the first pass tries it at once: refused again at 09:05:00, next attempt 10:05:00
            await peers.WaitUntilAsync(() => ParkedLines(log).Count >= 1, "a line says the batch is parked", advance: false);
            for (int pass = 0; pass < 3; pass++)
            {
                int listings = peers.Listings;
                await peers.WaitUntilAsync(() => peers.Listings > listings, "another pass");
            }
        }
        finally
        {
            await delivery.DisposeAsync();
        }

        List<string> parked = ParkedLines(log);
        Assert.That(parked, Has.Count.EqualTo(2), "one line after the pass that parked it, none after the passes that left it so, one at the stop\n" + string.Join("\n", log.Lines));
        Assert.That(parked, Has.All.Contain("Tenant acme").And.All.Contain(" 1 (events ").And.All.Contain("2026-03-02 10:05:00Z"), string.Join("\n", parked));
    }

    private static List<string> ParkedLines(CapturingLogger log) =>
        [.. log.Lines.Where(l => l.Contains("Tenant acme", StringComparison.Ordinal) && l.Contains("parked", StringComparison.Ordinal))];

    /// <summary>
    /// A stage, and a customer bucket behind a proxy that refuses PUTs (AccessDenied) while <see cref="Refusing"/>; a fake
    /// clock that the waits advance by the poll interval only, never near the parked batches' hour.
    /// </summary>
    private sealed class Peers : IAsyncDisposable
    {
        private readonly FaultProxy _customerSide;
        private readonly FaultProxy _stageSide;
        private readonly StagingOptions _staging;
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _listingStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private volatile bool _gated;
        private volatile bool _watching;
        private volatile bool _refusing = true;
        private int _listings;

        private Peers(string stage, string customer)
        {
            Customer = customer;
            _customerSide = MotoFaults.Proxy(request =>
                _refusing && request.Method == "PUT" && request.Path.StartsWith("/" + customer + "/", StringComparison.Ordinal) ? ProxyAction.AccessDenied : ProxyAction.Forward);
            _stageSide = MotoFaults.Proxy(request =>
            {
                if (_watching && request.Method == "GET" && request.Path.Contains("list-type=2", StringComparison.Ordinal) && request.Path.Contains(customer, StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref _listings);
                    _listingStarted.TrySetResult();
                    return new ProxyDecision(ProxyAction.Forward) { Gate = _gated ? _gate.Task : Task.CompletedTask };
                }

                return ProxyAction.Forward;
            });
            _staging = StagingPeers.Options(stage, _stageSide.ServiceUrl.ToString());
            _staging.ParkedRetryInterval = TimeSpan.FromHours(1);
            _staging.PollInterval = TimeSpan.FromSeconds(10);
            _staging.RequestTimeout = TimeSpan.FromHours(1); // the waits advance the fake clock: no request in flight may time out on it
        }

        public string Customer { get; }

        public FakeTimeProvider Time { get; } = new(Start);

        public bool Refusing { set => _refusing = value; }

        public int Listings => Volatile.Read(ref _listings);

        public static async Task<Peers> StartAsync() =>
            new(await StagingPeers.NewBucketAsync("stage"), await StagingPeers.NewBucketAsync("customer"));

        /// <summary>Stages one batch of one event, cut from <paramref name="partition"/> of the topic (its batch id says so).</summary>
        public async Task StageAsync(int partition, string messageId)
        {
            using var stager = new StagingConsumer(_staging, BucketLocation.Parse(Customer), StagingPeers.ServiceCredentials(), Time);
            using SealedBatch batch = await TestBatches.CreateAsync(
                "src-acme", new DateOnly(2023, 11, 24), BatchIdentity.For(Topic, partition, partition * 100, (partition * 100) + 9), [$"{{\"messageId\":\"{messageId}\"}}"]);
            await stager.StageAsync(batch);
        }

        /// <summary>A pass of another worker's copier over every staged batch, while the customer refuses: each is parked.</summary>
        public async Task ParkAllAsync()
        {
            using S3RoleDestination destination = Destinations.Create(CustomerOptions());
            using var copier = new StagedBatchCopier(_staging, destination, StagingPeers.ServiceCredentials(), Time);
            StagedCopyResult result = await copier.CopyOnceAsync();
            Assert.That((result.Delivered.Count, result.ParkedBatches), Is.EqualTo((0, 1)), "parked");
        }

        /// <summary>The worker's staged delivery, over the topic's partitions; the listings of the stage are counted from here on.</summary>
        public StagedDelivery Delivery(CapturingLogger log)
        {
            _watching = true;
            // The batches here are staged without an identity (as an earlier version staged them): taken for the tenant's source.
            var sources = new Dictionary<string, IReadOnlySet<string>> { ["acme"] = new HashSet<string> { "src-acme" } };
            return new(_staging, [new TenantDestination("acme", CustomerOptions())], StagingPeers.ServiceCredentials(), Destinations.BaseCredentials(), Time, log, new CopierShare(Topic), sources);
        }

        public void GateListings() => _gated = true;

        public void OpenListings()
        {
            _gated = false;
            _gate.TrySetResult();
        }

        public Task ListingStartedAsync() => _listingStarted.Task.WaitAsync(TimeSpan.FromSeconds(60));

        /// <summary>
        /// Waits (bounded, in real time) until <paramref name="condition"/> holds; with <paramref name="advance"/>, advances
        /// the fake clock by the poll interval between looks, so a copier waiting for its next pass makes it, up to 20
        /// minutes of fake time: far from the parked batches' hour.
        /// </summary>
        public async Task WaitUntilAsync(Func<bool> condition, string what, bool advance = true)
        {
            var waited = Stopwatch.StartNew();
            while (!condition())
            {
                Assert.That(waited.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)), () => what + "\n" + Requests());
                await Task.Delay(100, CancellationToken.None);
                if (advance && Time.GetUtcNow() - Start < TimeSpan.FromMinutes(20))
                {
                    Time.Advance(_staging.PollInterval);
                }
            }
        }

        /// <summary>The requests the stage and the customer's bucket saw, for a failure's message.</summary>
        public string Requests() => string.Join("\n", _customerSide.Log.Concat(_stageSide.Log).Select(l => $"{l.Request.Method} {l.Request.Path} {l.Action}"));

        public async ValueTask DisposeAsync()
        {
            OpenListings();
            await _customerSide.DisposeAsync();
            await _stageSide.DisposeAsync();
        }

        private S3RoleDestinationOptions CustomerOptions()
        {
            S3RoleDestinationOptions options = Destinations.Options(bucket: Customer, s3Url: _customerSide.ServiceUrl.ToString());
            options.RequestTimeout = options.ResponseTimeout = TimeSpan.FromHours(1); // as the stage's
            return options;
        }
    }
}
