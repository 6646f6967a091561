namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// What the KafkaToS3 process tests build before they start the program: a customer bucket where tenant k of the topic
/// writes under <c>t{k:00}/</c> (<see cref="HeldTenantRun.TenantBucket"/>), the tenants file naming them, and, when asked,
/// a staging bucket; and the program's command line over them. Disposing it deletes the tenants file, and the topic when
/// it was made with it (<see cref="ProduceAsync"/>).
/// </summary>
internal sealed class KafkaToS3Customers : IDisposable
{
    private readonly string? _stage;
    private readonly bool _ownsTopic;

    private KafkaToS3Customers(KafkaTopic topic, string customer, string? stage, string tenantsFile, bool ownsTopic)
    {
        Topic = topic;
        Customer = customer;
        _stage = stage;
        TenantsFile = tenantsFile;
        _ownsTopic = ownsTopic;
    }

    public KafkaTopic Topic { get; }

    /// <summary>Gets the customer's bucket, which holds one folder per tenant.</summary>
    public string Customer { get; }

    /// <summary>Gets the staging bucket (only when created with one).</summary>
    public string Stage => _stage ?? throw new InvalidOperationException("Created without a staging bucket.");

    public string TenantsFile { get; }

    /// <summary>
    /// Makes a new customer bucket for <paramref name="topic"/>'s tenants, a staging bucket if <paramref name="withStage"/>,
    /// and the tenants file; tenant k's bucket is <paramref name="bucketOf"/>(k) where that is not <see langword="null"/>,
    /// and its external id <paramref name="externalIdOf"/>(k) where that is not (the peers' right one otherwise);
    /// <paramref name="configure"/>, given the customer bucket, changes the tenants further before the file is written.
    /// </summary>
    public static Task<KafkaToS3Customers> CreateAsync(
        KafkaTopic topic, bool withStage = false, Func<int, string?>? bucketOf = null, Func<int, string?>? externalIdOf = null, Func<string, TenantDestinationsOptions, Task>? configure = null) =>
        CreateAsync(topic, ownsTopic: false, withStage, bucketOf, externalIdOf, configure);

    /// <summary>
    /// Produces a topic as <see cref="KafkaTopic.ProduceAsync"/> does (<paramref name="records"/> records of
    /// <paramref name="sources"/> sources, record i of source <paramref name="sourceOf"/>(i)) and makes its customers as
    /// <see cref="CreateAsync(KafkaTopic, bool, Func{int, string?}?, Func{int, string?}?, Func{string, TenantDestinationsOptions, Task}?)"/>
    /// does; the topic is theirs (<see cref="Topic"/>), disposed with them.
    /// </summary>
    public static async Task<KafkaToS3Customers> ProduceAsync(
        int records, int sources = 1, Func<int, int>? sourceOf = null, bool withStage = false, Func<int, string?>? bucketOf = null, Func<int, string?>? externalIdOf = null)
    {
        KafkaTopic topic = await KafkaTopic.ProduceAsync(records, sources, sourceOf);
        try
        {
            return await CreateAsync(topic, ownsTopic: true, withStage, bucketOf, externalIdOf, configure: null);
        }
        catch
        {
            topic.Dispose();
            throw;
        }
    }

    private static async Task<KafkaToS3Customers> CreateAsync(
        KafkaTopic topic, bool ownsTopic, bool withStage, Func<int, string?>? bucketOf, Func<int, string?>? externalIdOf, Func<string, TenantDestinationsOptions, Task>? configure)
    {
        string customer = await topic.NewCustomerBucketAsync();
        string? stage = withStage ? await StagingPeers.NewBucketAsync("stage") : null;
        TenantDestinationsOptions tenants = topic.Tenants(k => bucketOf?.Invoke(k) ?? HeldTenantRun.TenantBucket(customer, k), externalIdOf);
        if (configure is not null)
        {
            await configure(customer, tenants);
        }

        return new KafkaToS3Customers(topic, customer, stage, KafkaToS3Program.WriteTenantsFile(KafkaTopic.TenantsJson(tenants)), ownsTopic);
    }

    /// <summary>A bucket that does not exist, which the peers' role may write (so S3 answers NoSuchBucket, not AccessDenied).</summary>
    public static async Task<string> MissingBucketAsync()
    {
        string missing = $"missing-{Guid.NewGuid():N}";
        await SharedPeers.S3.Account.PutRolePolicyAsync(SharedPeers.RoleName, $"write-{missing}-", Policies.CustomerPermissions(missing, [""], null));
        return missing;
    }

    /// <summary>
    /// The command line of a run of consumer group <paramref name="group"/> (<c>--until-caught-up</c> or until stopped)
    /// that reaches the customers at <paramref name="s3Url"/> (a fault proxy; moto's S3 by default) and, if there is one,
    /// the stage at <paramref name="stageUrl"/> (moto's S3 by default).
    /// </summary>
    public List<string> Arguments(string group, bool untilCaughtUp, Uri? s3Url = null, Uri? stageUrl = null) =>
    [
        .. KafkaToS3Program.Arguments(Topic, group, TenantsFile, s3Url?.ToString(), untilCaughtUp),
        .. _stage is null ? [] : KafkaToS3Program.StageArguments(_stage, stageUrl?.ToString() ?? SharedPeers.S3.ServiceUrl),
    ];

    /// <summary>Starts the program with <paramref name="arguments"/> and the service's own credentials in its environment.</summary>
    public static KafkaToS3QaProcess Start(List<string> arguments) => KafkaToS3QaProcess.Start(arguments, SharedPeers.ServiceEnvironment());

    /// <summary>
    /// Runs the program <c>--until-caught-up</c> as a scheduled job does, in consumer group <paramref name="group"/>, reaching
    /// the customers at <paramref name="s3Url"/> (moto's S3 by default), with <paramref name="extra"/> flags; bounded by
    /// <see cref="RawdataProgram.RunToEndAsync"/>.
    /// </summary>
    public async Task<(int ExitCode, string Stdout, string Stderr)> RunToEndAsync(string group, Uri? s3Url = null, params string[] extra)
    {
        using Process process = KafkaToS3Program.Start([.. Arguments(group, untilCaughtUp: true, s3Url), .. extra], SharedPeers.ServiceEnvironment());
        return await RawdataProgram.RunToEndAsync(process, stdin: "");
    }

    /// <summary>The message ids in tenant <paramref name="k"/>'s objects, decompressed and read line by line.</summary>
    public Task<List<string>> MessageIdsAsync(int k) => HeldTenantRun.TenantMessageIdsAsync(Customer, k);

    /// <summary>
    /// Asserts that the folder of each tenant k that <paramref name="which"/> takes (every tenant by default) holds each of
    /// its records once and no other, with the message <paramref name="because"/>(k) where it does not.
    /// </summary>
    public async Task EachTenantHasItsRecordsOnceAsync(Func<int, string> because, Func<int, bool>? which = null)
    {
        foreach (int k in Enumerable.Range(0, Topic.Sources.Length).Where(which ?? (_ => true)))
        {
            Assert.That(await MessageIdsAsync(k), Is.EquivalentTo(Topic.ExpectedMessageIdsOf(k)), because(k));
        }
    }

    /// <summary>Whether every partition of <paramref name="group"/> is committed to its end offset.</summary>
    public bool EveryPartitionCommitted(string group) =>
        Topic.EveryPartitionCommitted(group);

    public void Dispose()
    {
        File.Delete(TenantsFile);
        if (_ownsTopic)
        {
            Topic.Dispose();
        }
    }
}
