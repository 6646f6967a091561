namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// What the process tests that kill and restart workers of one group share: a topic of 400 records over a few customers
/// (one bucket, a folder each), a staging bucket, the tenants file, a Kafka configuration that notices a killed member
/// within 3 s, and the command line of a worker of the group; and the runs killed at seeded random points.
/// </summary>
internal sealed class KafkaToS3GroupFixture : IDisposable
{
    private readonly KafkaToS3Customers _customers;
    private readonly string _kafkaConfig;

    private KafkaToS3GroupFixture(KafkaToS3Customers customers, string kafkaConfig)
    {
        _customers = customers;
        _kafkaConfig = kafkaConfig;
        Ends = [.. Enumerable.Range(0, Topic.Partitions).Select(Topic.EndOffset)];
    }

    public KafkaTopic Topic => _customers.Topic;

    /// <summary>Gets the customers' bucket: customer k writes under <c>t{k:00}/</c>.</summary>
    public string Customer => _customers.Customer;

    public string Stage => _customers.Stage;

    /// <summary>Gets each partition's end offset: where the group's commits end when every record is delivered or staged.</summary>
    public long[] Ends { get; }

    public static async Task<KafkaToS3GroupFixture> CreateAsync(int tenants)
    {
        KafkaToS3Customers customers = await KafkaToS3Customers.ProduceAsync(400, sources: tenants, withStage: true);
        return new KafkaToS3GroupFixture(customers, KafkaToS3Program.WriteShortSessionConfig());
    }

    /// <summary>
    /// The command line of a worker of <paramref name="group"/> that reaches S3 at <paramref name="s3Url"/> (a fault
    /// proxy), with the stage unless <paramref name="withStage"/> is <see langword="false"/>, reached at
    /// <paramref name="stageUrl"/> when given (another fault proxy; moto's S3 by default), until stopped.
    /// </summary>
    public List<string> Arguments(string group, Uri s3Url, bool withStage = true, Uri? stageUrl = null) =>
    [
        .. withStage ? _customers.Arguments(group, untilCaughtUp: false, s3Url, stageUrl) : KafkaToS3Program.Arguments(Topic, group, _customers.TenantsFile, s3Url.ToString(), untilCaughtUp: false),
        "--kafka-config", _kafkaConfig, "--direct-step-aside", "60",
    ];

    /// <summary>
    /// Runs a worker with <paramref name="arguments"/> <paramref name="kills"/> times, each killed with SIGKILL at a point
    /// drawn by <paramref name="pointOf"/> from a random source whose seed is logged (so a failure can be replayed);
    /// <paramref name="afterEachKill"/> checks what the killed run left.
    /// </summary>
    public async Task KillAtRandomPointsAsync(string group, List<string> arguments, int kills, Func<Random, KillPoint> pointOf, Action<KafkaToS3QaProcess>? afterEachKill = null)
    {
        int seed = Environment.TickCount;
        TestContext.Out.WriteLine($"seed {seed}");
        var random = new Random(seed);
        for (int kill = 1; kill <= kills; kill++)
        {
            KillPoint point = pointOf(random);
            using var run = KafkaToS3Customers.Start(arguments);
            await run.WaitForAsync(point.Ready, TimeSpan.FromSeconds(90), $"{point.What} in run {kill}");
            await Task.Delay(point.Delay); // real time: a random point after it
            await run.SignalAsync("KILL", TimeSpan.FromSeconds(30));
            TestContext.Out.WriteLine($"run {kill}: killed {point.Delay.TotalMilliseconds:0} ms after {point.What}; committed {string.Join(",", Topic.CommittedOffsets(group))}");
            afterEachKill?.Invoke(run);
        }
    }

    /// <summary>
    /// Runs a worker with <paramref name="arguments"/> until every partition of <paramref name="group"/> is committed to its
    /// end (a killed run may have committed some: this asks the group, not the run's log) and <paramref name="until"/>
    /// holds (when given), then stops it with SIGTERM: it must exit 0. Then every event must be in exactly one object.
    /// </summary>
    public async Task LastRunDeliversEveryEventInExactlyOneObjectAsync(string group, List<string> arguments, (Func<Task<bool>> Done, string What)? until = null)
    {
        using var last = KafkaToS3Customers.Start(arguments);
        await WaitUntilAsync(() => Task.FromResult(_customers.EveryPartitionCommitted(group)), TimeSpan.FromSeconds(120), () => "every partition committed to its end\n" + last.Output);
        if (until is { } also)
        {
            await WaitUntilAsync(also.Done, TimeSpan.FromSeconds(60), () => also.What + "\n" + last.Output);
        }

        await last.StopsCleanlyAsync("TERM");
        Assert.That(Topic.CommittedOffsets(group), Is.EqualTo(Ends));

        ILookup<string, string> objectsOf = await ObjectsOfEachEventAsync();
        Assert.That(objectsOf.Select(g => g.Key), Is.EquivalentTo(Topic.ExpectedMessageIds), "every event, none other");
        Assert.That(InTwoObjects(objectsOf), Is.Empty, "no event in two objects, nor twice in one");
    }

    /// <summary>Each event in the customers' bucket, with the keys of the objects that hold it.</summary>
    public async Task<ILookup<string, string>> ObjectsOfEachEventAsync()
    {
        Dictionary<string, string[]> objects = await Objects.ReadAllAsync("t", Customer);
        return objects.SelectMany(o => Objects.MessageIds(o.Value).Select(id => (Id: id, Key: o.Key))).ToLookup(x => x.Id, x => x.Key);
    }

    /// <summary>The events held by more than one object, or twice by one: none is the promise.</summary>
    public static IEnumerable<string> InTwoObjects(ILookup<string, string> objectsOfEachEvent) =>
        objectsOfEachEvent.Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(" ", g)}");

    /// <summary>Polls <paramref name="done"/> every 200 ms (real time: the program is another process), at most <paramref name="bound"/>.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> done, TimeSpan bound, Func<string> what)
    {
        var deadline = Stopwatch.StartNew();
        while (!await done())
        {
            if (deadline.Elapsed > bound)
            {
                Assert.Fail($"Not {what()} within {bound}");
            }

            await Task.Delay(200);
        }
    }

    public void Dispose()
    {
        _customers.Dispose(); // and the topic, theirs
        File.Delete(_kafkaConfig);
    }
}
