namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// A KafkaToS3 worker running over four tenants (source k on partition k, tenant k's bucket <c>{customer}/t0k</c>) whose
/// tenant 0 is throttled until <see cref="Release"/>: partition 0's windows are held while partitions 1 to 3 commit to
/// their ends.
/// </summary>
internal sealed class HeldTenantRun : IAsyncDisposable
{
    private readonly TenantPutFaults _faults;
    private readonly TenantDelivery _delivery;
    private readonly TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _othersDone = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private HeldTenantRun(KafkaTopic topic, string customer, string group)
    {
        Customer = customer;
        _faults = TenantPutFaults.Start(customer, (0, ProxyAction.SlowDown));
        TenantDestinationsOptions tenants = topic.Tenants(k => TenantBucket(customer, k), defaults: Destinations.Options(s3Url: _faults.ServiceUrl.ToString()));
        KafkaToS3Options options = topic.Options(group);
        options.HoldRetryDelay = TimeSpan.FromMilliseconds(100);
        options.HoldRetryMaxDelay = TimeSpan.FromMilliseconds(400);
        options.TenantBreakDuration = TimeSpan.FromSeconds(1);
        var hooks = new WorkerHooks
        {
            WindowHeld = commit => _held.TrySetResult(),
            BeforeCommit = commit =>
            {
                Committed[commit.Partition.Value] = commit.Offset.Value;
                if (new[] { 1, 2, 3 }.All(p => Committed.GetValueOrDefault(p) == topic.EndOffset(p)))
                {
                    _othersDone.TrySetResult();
                }
            },
        };
        _delivery = TenantDelivery.Create(options, tenants, null, Destinations.BaseCredentials(), null, null, null);
        Worker = new KafkaToS3Worker(options, _delivery, hooks: hooks);
        Run = Task.Run(() => Worker.RunAsync(CancellationToken.None));
    }

    /// <summary>The customer's bucket, which holds one folder per tenant.</summary>
    public string Customer { get; }

    /// <summary>The offset each partition last committed.</summary>
    public ConcurrentDictionary<int, long> Committed { get; } = new();

    public KafkaToS3Worker Worker { get; }

    /// <summary>The worker's run: its exit code.</summary>
    public Task<int> Run { get; }

    /// <summary>Starts the worker in consumer group <paramref name="group"/> over a new customer bucket.</summary>
    public static async Task<HeldTenantRun> StartAsync(KafkaTopic topic, string group) =>
        new(topic, await topic.NewCustomerBucketAsync(), group);

    /// <summary>The bucket (with its prefix) of tenant <paramref name="k"/>.</summary>
    public static string TenantBucket(string customer, int k) => string.Create(CultureInfo.InvariantCulture, $"{customer}/t{k:00}");

    /// <summary>The path of tenant <paramref name="k"/>'s requests as S3 sees them.</summary>
    public static string TenantPath(string customer, int k) => "/" + TenantBucket(customer, k) + "/";

    /// <summary>Waits (at most <paramref name="limit"/>) until a window of partition 0 is held and partitions 1 to 3 have committed to their ends.</summary>
    public Task HeldWhileOthersDoneAsync(TimeSpan limit) => Task.WhenAll(_held.Task, _othersDone.Task).WaitAsync(limit);

    /// <summary>Stops throttling tenant 0.</summary>
    public void Release() => _faults.Heal();

    /// <summary>The message ids in tenant <paramref name="k"/>'s objects, decompressed and read line by line.</summary>
    public Task<List<string>> MessageIdsAsync(int k) => TenantMessageIdsAsync(Customer, k);

    /// <summary>The message ids in the objects of tenant <paramref name="k"/> of <paramref name="customer"/>'s bucket, decompressed and read line by line.</summary>
    public static async Task<List<string>> TenantMessageIdsAsync(string customer, int k) =>
        [.. Objects.MessageIds((await Objects.ReadAllAsync(string.Create(CultureInfo.InvariantCulture, $"t{k:00}/"), customer)).Values.SelectMany(l => l))];

    /// <summary>
    /// Runs the KafkaToS3 program again with the same <paramref name="arguments"/> (a scheduled job's next run, once the
    /// customers answer): it must exit 0, commit group <paramref name="group"/> to the end of every partition, and leave
    /// each event of each of <paramref name="tenants"/> in <paramref name="customer"/>'s bucket exactly once over both runs.
    /// </summary>
    public static async Task RerunDeliversEveryEventOnceAsync(KafkaTopic topic, string group, List<string> arguments, string customer, params int[] tenants)
    {
        using (var rerun = KafkaToS3QaProcess.Start(arguments, SharedPeers.ServiceEnvironment()))
        {
            int exitCode = await rerun.WaitForExitAsync(TimeSpan.FromSeconds(90));
            TestContext.Out.WriteLine(rerun.Output);
            Assert.That(exitCode, Is.EqualTo(0), rerun.Output);
        }

        Assert.That(topic.CommittedOffsets(group), Is.EqualTo(Enumerable.Range(0, topic.Partitions).Select(p => topic.EndOffset(p))), "every offset committed");
        foreach (int k in tenants)
        {
            Assert.That(await TenantMessageIdsAsync(customer, k), Is.EquivalentTo(topic.ExpectedMessageIdsOf(k)), $"tenant {k}'s events, each once over both runs");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _delivery.DisposeAsync();
        await _faults.DisposeAsync();
    }
}
