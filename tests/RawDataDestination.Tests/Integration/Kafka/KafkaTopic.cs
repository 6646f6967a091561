using Confluent.Kafka;

namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// A topic on a fresh mock cluster, filled with <c>records</c> events spread over its 4 partitions (record i on
/// partition i % 4), with fixed timestamps, of one source or of several (record i of source <c>sourceOf(i)</c>; by
/// default every partition carries every source). Three records are bad on purpose: one is not JSON, one has no
/// <c>source-id</c> header and no key, one names a source no tenant lists. One has no header but its key names its
/// source (the documented fallback).
/// </summary>
internal sealed class KafkaTopic : IDisposable
{
    public const int NotJsonRecord = 7;
    public const int NoSourceRecord = 12;
    public const int UnknownSourceRecord = 17;
    public const int KeyFallbackRecord = 3;

    /// <summary>The batch window used by the tests: 5 offsets, so a handful of records spans several batches.</summary>
    public const int Window = 5;

    private static readonly DateTimeOffset FirstTimestamp = new(2026, 11, 30, 10, 0, 0, TimeSpan.Zero);

    private readonly Func<int, int> _sourceOf;

    private KafkaTopic(MockKafkaCluster cluster, string name, string[] sources, Func<int, int> sourceOf, int records)
    {
        Cluster = cluster;
        Name = name;
        Sources = sources;
        _sourceOf = sourceOf;
        Records = records;
    }

    /// <summary>Produces records <see cref="Records"/> to <paramref name="count"/> - 1 more.</summary>
    public async Task ProduceMoreAsync(int count)
    {
        using IProducer<string?, string> producer = Cluster.CreateProducer();
        int from = Records;
        for (int i = from; i < from + count; i++)
        {
            await producer.ProduceAsync(new TopicPartition(Name, i % Partitions), CreateMessage(i));
        }

        Records = from + count;
    }

    public MockKafkaCluster Cluster { get; }

    public string Name { get; }

    /// <summary>Gets the first source: the only one of a topic of one source.</summary>
    public string Source => Sources[0];

    /// <summary>Gets the sources, each listed by one tenant (<see cref="Tenants"/>).</summary>
    public string[] Sources { get; }

    /// <summary>Gets the source no tenant lists, of record <see cref="UnknownSourceRecord"/>.</summary>
    public string UnknownSource => Name.Replace("orders.", "nobody-", StringComparison.Ordinal);

    public int Records { get; private set; }

    public int Partitions { get; } = MockKafkaCluster.AutoCreatedPartitions;

    /// <summary>The messageIds that must land in the buckets, each exactly once.</summary>
    public IEnumerable<string> ExpectedMessageIds =>
        Enumerable.Range(0, Records).Where(IsAccepted).Select(MessageId);

    /// <summary>The messageIds that must land in the bucket of source <paramref name="source"/>'s tenant, each exactly once.</summary>
    public IEnumerable<string> ExpectedMessageIdsOf(int source) =>
        Enumerable.Range(0, Records).Where(i => IsAccepted(i) && _sourceOf(i) == source).Select(MessageId);

    /// <summary>The record numbers of source <paramref name="source"/>.</summary>
    public IEnumerable<int> RecordsOf(int source) => Enumerable.Range(0, Records).Where(i => IsAccepted(i) && _sourceOf(i) == source);

    /// <summary>The messageIds of the batches staged in <paramref name="stage"/> (parked batches' markers left out).</summary>
    public static async Task<List<string>> StagedMessageIdsAsync(string stage)
    {
        var ids = new List<string>();
        foreach (string key in (await StagingPeers.KeysAsync(stage)).Where(k => k.EndsWith(".gz", StringComparison.Ordinal)))
        {
            ids.AddRange(Objects.MessageIds(Support.Gzip.Lines(await SharedPeers.S3.GetObjectBytesAsync(stage, key))));
        }

        return ids;
    }

    /// <summary>How many batches a whole read cuts for source <paramref name="source"/>: one per window its accepted records fall in.</summary>
    public int BatchesOf(int source) => RecordsOf(source).Select(i => (i % Partitions, i / Partitions / Window)).Distinct().Count();

    /// <summary>How many batches a whole read cuts: one per window and source with an accepted record.</summary>
    public int BatchCount => Enumerable.Range(0, Sources.Length).Sum(BatchesOf);

    private static bool IsAccepted(int i) => i is not NotJsonRecord and not NoSourceRecord and not UnknownSourceRecord;

    /// <summary>
    /// The batch ids a run cuts when it reads the whole topic to its end: one per window of <see cref="Window"/>
    /// offsets, the last window of each partition cut at the partition's end offset.
    /// </summary>
    public IEnumerable<string> ExpectedBatchIds =>
        from partition in Enumerable.Range(0, Partitions)
        let end = EndOffset(partition)
        from first in Enumerable.Range(0, (int)((end + Window - 1) / Window)).Select(w => (long)w * Window)
        select BatchIdentity.For(Name, partition, first, Math.Min(first + Window, end) - 1);

    /// <summary>How many records each partition holds: its end offset.</summary>
    public long EndOffset(int partition) => Enumerable.Range(0, Records).Count(i => i % Partitions == partition);

    /// <summary>Each partition's end offset, partition 0 first: what a group has committed once it delivered every record.</summary>
    public IEnumerable<long> EndOffsets => Enumerable.Range(0, Partitions).Select(EndOffset);

    /// <summary>Whether <paramref name="group"/> has committed every partition to its end offset.</summary>
    public bool EveryPartitionCommitted(string group) => CommittedOffsets(group).SequenceEqual(EndOffsets);

    /// <summary>
    /// Asserts the end of a run of <paramref name="group"/> over the whole topic for one customer, <paramref name="bucket"/>
    /// (its objects under <c>segment-logs/</c>): every partition committed to its end, and each accepted record there once.
    /// </summary>
    public async Task AssertEveryRecordOnceAndCommittedAsync(string group, string bucket)
    {
        Assert.That(CommittedOffsets(group), Is.EqualTo(EndOffsets));
        Assert.That(await Objects.MessageIdsAsync("segment-logs/", bucket), Is.EquivalentTo(ExpectedMessageIds).And.Unique);
    }

    /// <summary>
    /// What a group has committed when it committed nothing of partitions 0 and 1 (-1001: no offset) and partitions 2 and 3
    /// to their ends: a topic whose partitions 0 and 1 were held or given up (<see cref="OnPartitions0And1"/>).
    /// </summary>
    public long[] OnlyPartitions2And3Committed => [-1001L, -1001L, EndOffset(2), EndOffset(3)];

    /// <summary>
    /// The source of record i in a topic of two sources where <paramref name="source"/> has records only on partitions 0
    /// and 1, in every other window, between those of <paramref name="other"/>, which alone has partitions 2 and 3.
    /// </summary>
    public static Func<int, int> OnPartitions0And1(int source, int other) => i => i % 4 < 2 && i / 4 % 2 == 1 ? source : other;

    /// <summary>The messageIds of source <paramref name="source"/>'s records on partitions 2 and 3.</summary>
    public IEnumerable<string> MessageIdsOnPartitions2And3(int source) => RecordsOf(source).Where(i => i % 4 >= 2).Select(MessageId);

    /// <summary>Produces <paramref name="records"/> records of <paramref name="sources"/> sources to a new topic on a new mock cluster.</summary>
    /// <param name="records">How many records.</param>
    /// <param name="sources">How many sources.</param>
    /// <param name="sourceOf">The source of record i. The default, <c>(i / 4) % sources</c>, puts every source on every partition.</param>
    public static async Task<KafkaTopic> ProduceAsync(int records, int sources = 1, Func<int, int>? sourceOf = null)
    {
        var cluster = MockKafkaCluster.Start();
        string suffix = Guid.NewGuid().ToString("N")[..8];
        string[] names = sources == 1
            ? ["kafka-" + suffix]
            : [.. Enumerable.Range(0, sources).Select(k => string.Create(CultureInfo.InvariantCulture, $"kafka-{suffix}-{k:00}"))];
        var topic = new KafkaTopic(cluster, "orders." + suffix, names, sourceOf ?? (i => i / MockKafkaCluster.AutoCreatedPartitions % sources), 0);
        await topic.ProduceMoreAsync(records);
        return topic;
    }

    private Message<string?, string> CreateMessage(int i)
    {
        string source = i == UnknownSourceRecord ? UnknownSource : Sources[_sourceOf(i)];
        var message = new Message<string?, string>
        {
            Value = i == NotJsonRecord ? "{not json" : $"{{\"type\":\"track\",\"messageId\":\"{MessageId(i)}\",\"event\":\"Order Completed\",\"properties\":{{\"revenue\":{i}.5}}}}",
            Timestamp = new Timestamp(FirstTimestamp.AddSeconds(i)),
            Headers = [],
        };
        if (i == KeyFallbackRecord)
        {
            message.Key = source;
        }
        else if (i != NoSourceRecord)
        {
            message.Headers.Add(RecordSourceId.HeaderName, Encoding.UTF8.GetBytes(source));
        }

        return message;
    }

    public static string MessageId(int i) => "m-" + i.ToString(CultureInfo.InvariantCulture);

    public KafkaToS3Options Options(string group, bool untilCaughtUp = true)
    {
        var options = new KafkaToS3Options
        {
            BootstrapServers = Cluster.BootstrapServers,
            Topic = Name,
            GroupId = group,
            MaxBatchRecords = Window,
            UntilCaughtUp = untilCaughtUp,
        };

        // A dead member is noticed after 3 s instead of 45, and rebalances are noticed within 100 ms.
        options.ConsumerSettings["session.timeout.ms"] = "3000";
        options.ConsumerSettings["heartbeat.interval.ms"] = "100";

        // These tests count what goes direct and what is staged, on a loaded machine: an upload is waited for as
        // long as it takes. The step-aside has its own tests (KafkaToS3TenantsTests).
        options.DirectStepAside = TimeSpan.FromMinutes(1);
        return options;
    }

    public KafkaToS3Worker Worker(string group, TenantDelivery delivery, WorkerHooks? hooks = null, ILogger? logger = null, bool untilCaughtUp = true) =>
        new(Options(group, untilCaughtUp), delivery, logger, hooks);

    /// <summary>
    /// One tenant per source, named after it, on the local peers (<see cref="Destinations.Options"/>): tenant k writes to
    /// <c>bucketOf(k)</c> and presents <c>externalIdOf(k)</c> (the peers' by default).
    /// </summary>
    public TenantDestinationsOptions Tenants(Func<int, string> bucketOf, Func<int, string?>? externalIdOf = null, S3RoleDestinationOptions? defaults = null)
    {
        S3RoleDestinationOptions shared = defaults ?? Destinations.Options();
        var tenants = new TenantDestinationsOptions { Defaults = shared };
        for (int k = 0; k < Sources.Length; k++)
        {
            var tenant = new TenantOptions
            {
                Region = shared.Region,
                Bucket = bucketOf(k),
                RoleArn = shared.RoleArn,
                ExternalId = externalIdOf?.Invoke(k) ?? shared.ExternalId,
            };
            tenant.Sources.Add(Sources[k]);
            tenants.Tenants.Add(tenant);
        }

        return tenants;
    }

    /// <summary>
    /// A customer bucket of its own (<see cref="StagingPeers.NewBucketAsync"/>) where tenant k writes under the prefix
    /// <c>t{k:00}</c>, which the customer's role may write under (<see cref="SharedPeers.AllowRoleToWriteAsync"/>).
    /// </summary>
    public async Task<string> NewCustomerBucketAsync()
    {
        string bucket = await StagingPeers.NewBucketAsync("customer");
        for (int k = 0; k < Sources.Length; k++)
        {
            await SharedPeers.AllowRoleToWriteAsync(bucket, string.Create(CultureInfo.InvariantCulture, $"t{k:00}"));
        }

        return bucket;
    }

    /// <summary>The delivery of one tenant (this topic's only source) to <paramref name="bucket"/> on the local peers, without a stage.</summary>
    public TenantDelivery Delivery(string bucket = SharedPeers.Bucket) =>
        TenantDelivery.Create(Options("unused"), Tenants(_ => bucket), staging: null, Destinations.BaseCredentials(), stagingCredentials: null, time: null, loggers: null);

    /// <summary>The tenants file of <see cref="Tenants"/>, as the program reads it.</summary>
    public static string TenantsJson(TenantDestinationsOptions tenants) =>
        System.Text.Json.JsonSerializer.Serialize(new
        {
            tenants = tenants.Tenants.Select(t => new { sources = t.Sources, region = t.Region, bucket = t.Bucket, roleArn = t.RoleArn, externalId = t.ExternalId }),
        });

    /// <summary>The offsets the group committed, per partition (-1001 when none).</summary>
    public long[] CommittedOffsets(string group)
    {
        using IConsumer<Ignore, Ignore> consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = Cluster.BootstrapServers, GroupId = group }).Build();
        List<TopicPartitionOffset> committed = consumer.Committed(Enumerable.Range(0, Partitions).Select(p => new TopicPartition(Name, p)), TimeSpan.FromSeconds(10));
        return [.. committed.OrderBy(c => c.Partition.Value).Select(c => c.Offset.Value)];
    }

    /// <summary>
    /// Joins <paramref name="group"/> as another member (a 6 s session) and consumes until the group gives it partitions
    /// (at most 60 s): once a paused worker's session has ended, it takes that worker's partitions. The caller closes it.
    /// </summary>
    public IConsumer<Ignore, Ignore> JoinUntilAssigned(string group)
    {
        IConsumer<Ignore, Ignore> other = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
        {
            BootstrapServers = Cluster.BootstrapServers,
            GroupId = group,
            EnableAutoCommit = false,
            SessionTimeoutMs = 6000,
            HeartbeatIntervalMs = 100,
        }).Build();
        other.Subscribe(Name);
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (other.Assignment.Count == 0)
        {
            bound.Token.ThrowIfCancellationRequested();
            other.Consume(TimeSpan.FromMilliseconds(100));
        }

        return other;
    }

    public void Dispose() => Cluster.Dispose();
}
