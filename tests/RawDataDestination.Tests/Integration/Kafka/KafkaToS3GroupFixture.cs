namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// What the process tests that kill and restart workers of one group share: a topic of 400 records over a few customers
/// (one bucket, a folder each), a staging bucket, the tenants file, a Kafka configuration that notices a killed member
/// within 3 s, and the command line of a worker of the group.
/// </summary>
internal sealed class KafkaToS3GroupFixture : IDisposable
{
    private readonly string _tenants;
    private readonly string _kafkaConfig;

    private KafkaToS3GroupFixture(KafkaTopic topic, string customer, string stage, string tenants, string kafkaConfig)
    {
        Topic = topic;
        Customer = customer;
        Stage = stage;
        _tenants = tenants;
        _kafkaConfig = kafkaConfig;
        Ends = [.. Enumerable.Range(0, topic.Partitions).Select(topic.EndOffset)];
    }

    public KafkaTopic Topic { get; }

    /// <summary>Gets the customers' bucket: customer k writes under <c>t{k:00}/</c>.</summary>
    public string Customer { get; }

    public string Stage { get; }

    /// <summary>Gets each partition's end offset: where the group's commits end when every record is delivered or staged.</summary>
    public long[] Ends { get; }

    public static async Task<KafkaToS3GroupFixture> CreateAsync(int tenants)
    {
        KafkaTopic topic = await KafkaTopic.ProduceAsync(400, sources: tenants);
        string customer = await topic.NewCustomerBucketAsync();
        string stage = await StagingPeers.NewBucketAsync("stage");
        string tenantsFile = KafkaToS3Program.WriteTenantsFile(KafkaTopic.TenantsJson(topic.Tenants(k => string.Create(CultureInfo.InvariantCulture, $"{customer}/t{k:00}"))));
        string kafkaConfig = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"kafka-{Guid.NewGuid():N}.properties");
        await File.WriteAllTextAsync(kafkaConfig, "session.timeout.ms=3000\nheartbeat.interval.ms=100\n");
        return new KafkaToS3GroupFixture(topic, customer, stage, tenantsFile, kafkaConfig);
    }

    /// <summary>Whether <paramref name="request"/> is a PUT of customer <paramref name="tenant"/>'s objects.</summary>
    public bool IsPutOf(int tenant, ProxyRequest request) =>
        request.Method == "PUT" && request.Path.StartsWith(string.Create(CultureInfo.InvariantCulture, $"/{Customer}/t{tenant:00}/"), StringComparison.Ordinal);

    /// <summary>The command line of a worker of <paramref name="group"/> that reaches S3 at <paramref name="s3Url"/> (a fault proxy), with the stage, until stopped.</summary>
    public List<string> Arguments(string group, Uri s3Url) =>
    [
        .. KafkaToS3Program.Arguments(Topic, group, _tenants, s3Url.ToString(), untilCaughtUp: false),
        "--stage-bucket", Stage, "--stage-region", "us-east-1", "--stage-endpoint-url", SharedPeers.S3.ServiceUrl,
        "--kafka-config", _kafkaConfig, "--direct-step-aside", "60",
    ];

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
        File.Delete(_tenants);
        File.Delete(_kafkaConfig);
        Topic.Dispose();
    }
}
