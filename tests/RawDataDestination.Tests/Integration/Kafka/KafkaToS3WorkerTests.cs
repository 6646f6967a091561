namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// The KafkaToS3 sample's worker against librdkafka's mock cluster (real Kafka protocol, loopback sockets) and the
/// local S3: replays, rebalances and crashes all end with every record in the bucket exactly once.
/// </summary>
[CancelAfter(180_000)]
public class KafkaToS3WorkerTests
{
    [Test]
    public async Task KafkaToS3_ReplayOfTheWholeTopicByANewGroup_RebuildsIdenticalKeysAndBytes()
    {
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(42);

        // The first run is the program itself, in a child process, pointed at the mock brokers.
        var (exitCode, stdout, stderr) = await RunProgramAsync(topic, "first-group", SharedPeers.Bucket + "/first");
        Assert.That(exitCode, Is.EqualTo(0), stdout + stderr);
        Assert.That(stdout, Does.Contain("KafkaToS3 stopped: 42 records read, 3 refused (1 without a tenant), 10 objects uploaded, 0 staged"), stdout + stderr);
        Assert.That(stdout, Does.Contain("(InvalidJson)").And.Contain("(InvalidSourceId)").And.Contain("(NoDestination)"), "each refused record is reported with its reason");
        Assert.That(
            stdout,
            Does.Contain($"(NoDestination): Source '{topic.UnknownSource}' has no tenant: no tenant in the --tenants file lists it in its \"sources\".")
                .And.Contain("add it to its tenant's \"sources\" and restart the worker").And.Not.Contain("a tenant's Sources"),
            "the fix in the tenants file's words, and the restart the file needs");
        Assert.That(topic.CommittedOffsets("first-group"), Is.EqualTo(topic.EndOffsets));

        // The replay: a new group reads the whole topic again, in process, into another prefix.
        await using (TenantDelivery delivery = topic.Delivery(SharedPeers.Bucket + "/replay"))
        {
            var rejected = new List<RejectedRecord>();
            KafkaToS3Worker replay = topic.Worker("replay-group", delivery, new WorkerHooks { RecordRejected = rejected.Add });
            Assert.That(await replay.RunToEndAsync(), Is.EqualTo(ExitCodes.Success));
            Assert.That(rejected.Select(r => (r.Partition, r.Offset, r.Reason.ToString())), Is.EquivalentTo(new[]
            {
                (KafkaTopic.NotJsonRecord % 4, (long)(KafkaTopic.NotJsonRecord / 4), "InvalidJson"),
                (KafkaTopic.NoSourceRecord % 4, (long)(KafkaTopic.NoSourceRecord / 4), "InvalidSourceId"),
                (KafkaTopic.UnknownSourceRecord % 4, (long)(KafkaTopic.UnknownSourceRecord / 4), "NoDestination"),
            }));
            Assert.That(replay.RecordsWithoutTenant, Is.EqualTo(1));
        }

        Assert.That(await SharedPeers.S3.ListKeysAsync(SharedPeers.Bucket, $"first/segment-logs/{topic.UnknownSource}/"), Is.Empty, "a record without a tenant is sent nowhere");

        Dictionary<string, byte[]> first = await ReadObjectsAsync($"first/segment-logs/{topic.Source}/");
        Dictionary<string, byte[]> replayed = await ReadObjectsAsync($"replay/segment-logs/{topic.Source}/");
        Assert.That(replayed.Keys.Select(k => k["replay/".Length..]), Is.EquivalentTo(first.Keys.Select(k => k["first/".Length..])));
        foreach ((string key, byte[] bytes) in first)
        {
            Assert.That(replayed["replay/" + key["first/".Length..]], Is.EqualTo(bytes), key);
        }

        AssertEveryRecordOnce(topic, first);
        Assert.That(first.Keys.Select(k => k.Split('/')[^1]), Has.All.Match(@"^\d{13}\.orders_[0-9a-f]{8}-[0-3]-\d+-\d+\.gz$"));
        Assert.That(first.Keys.Select(BatchId), Is.EquivalentTo(topic.ExpectedBatchIds), "one object per offset window, the last one cut at the end offset the partition had at assignment");
    }

    [Test]
    public async Task KafkaToS3_ManyRecordsOfASourceNoTenantLists_LogsOneLineForItAndCountsEveryRecord()
    {
        // 60 records, half of them of a source whose tenant is left out of the file: each is refused, one line says so
        // (a line a minute at most; the run takes seconds), and the counts say how many.
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(60, sources: 2, sourceOf: i => i % 2);
        TenantDestinationsOptions tenants = topic.Tenants(_ => SharedPeers.Bucket);
        tenants.Tenants.RemoveAt(1);
        var log = new CapturingLogger();
        var rejected = new List<RejectedRecord>();

        var (exitCode, worker) = await WorkerRuns.RunToEndAsync(topic.Options("no-tenant-lines"), tenants, log: log, hooks: new WorkerHooks { RecordRejected = rejected.Add });

        Assert.That(exitCode, Is.EqualTo(ExitCodes.Success), string.Join("\n", log.Lines));
        int withoutTenant = Enumerable.Range(0, 60).Count(i => i % 2 == 1 || i == KafkaTopic.UnknownSourceRecord);
        Assert.That(worker.RecordsWithoutTenant, Is.EqualTo(withoutTenant), "every record of the source counts");
        Assert.That(rejected.Count(r => r.Reason == EventRejectionReason.NoDestination), Is.EqualTo(withoutTenant), "and reaches the hook");
        List<string> lines = log.Lines.Where(line => line.Contains("(NoDestination)", StringComparison.Ordinal)).Select(line => line.Split(" | ")[0]).ToList();
        Assert.That(lines, Has.Count.EqualTo(2).And.Exactly(1).Contains($"Source '{topic.Sources[1]}'").And.Exactly(1).Contains($"Source '{topic.UnknownSource}'"), "one line per source, not one per record");
    }

    [Test]
    public async Task KafkaToS3_TwoWorkersAndARebalanceMidStream_DropTheOpenBatchesAndDeliverEveryRecordExactlyOnce()
    {
        // Three records on each partition: the first worker holds an open batch on all four when the second joins.
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(12);
        await using TenantDelivery delivery = topic.Delivery();
        const string group = "two-workers";
        var committed = new System.Collections.Concurrent.ConcurrentDictionary<int, long>();
        var allCommitted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reads = new int[2];
        var firstReadAll = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondRereadItsPartitions = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        WorkerHooks Hooks(int worker, int readsToSignal, TaskCompletionSource signal) => new()
        {
            RecordRead = _ =>
            {
                if (Interlocked.Increment(ref reads[worker]) == readsToSignal)
                {
                    signal.TrySetResult();
                }
            },
            BeforeCommit = commit =>
            {
                committed[commit.Partition.Value] = commit.Offset.Value;
                if (committed.Count == topic.Partitions && committed.Values.All(offset => offset == 10))
                {
                    allCommitted.TrySetResult();
                }
            },
        };

        using var stop = new CancellationTokenSource();
        KafkaToS3Worker first = topic.Worker(group, delivery, Hooks(0, 12, firstReadAll), untilCaughtUp: false);
        Task<int> firstRun = Task.Run(() => first.RunAsync(stop.Token));
        await firstReadAll.Task.WaitAsync(WorkerRuns.Limit);

        KafkaToS3Worker second = topic.Worker(group, delivery, Hooks(1, 6, secondRereadItsPartitions), untilCaughtUp: false);
        Task<int> secondRun = Task.Run(() => second.RunAsync(stop.Token));
        await secondRereadItsPartitions.Task.WaitAsync(WorkerRuns.Limit); // the rebalance is done: the second worker owns two partitions

        await topic.ProduceMoreAsync(28); // the stream goes on: 10 records per partition, two windows each
        await allCommitted.Task.WaitAsync(WorkerRuns.Limit);
        await stop.CancelAsync();
        Assert.That((await firstRun.WaitAsync(WorkerRuns.Limit), await secondRun.WaitAsync(WorkerRuns.Limit)), Is.EqualTo((0, 0)));

        Assert.That(topic.CommittedOffsets(group), Is.EqualTo(new long[] { 10, 10, 10, 10 }));
        Dictionary<string, byte[]> objects = await ReadObjectsAsync($"segment-logs/{topic.Source}/");
        AssertEveryRecordOnce(topic, objects);
        Assert.That(objects.Keys.Select(BatchId), Is.EquivalentTo(topic.ExpectedBatchIds), "the rebalance changed no batch: the same windows as one worker alone");
        Assert.That(first.BatchesDropped, Is.GreaterThanOrEqualTo(4), "the rebalance dropped the first worker's four open batches, uncommitted (a second rebalance may drop more)");
        Assert.That(second.RecordsRead, Is.GreaterThan(0), "the second worker took partitions over mid-stream");
    }

    [Test]
    public async Task KafkaToS3_WorkerKilledBetweenUploadAndCommit_NextOwnerRewritesTheSameObjectAndEveryRecordLandsOnce()
    {
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(42);
        await using TenantDelivery delivery = topic.Delivery();
        const string group = "killed-before-commit";
        string prefix = $"segment-logs/{topic.Source}/";

        Confluent.Kafka.TopicPartitionOffset? killedAt = null;
        int commits = 0;
        KafkaToS3Worker killed = topic.Worker(group, delivery, new WorkerHooks
        {
            BeforeCommit = commit =>
            {
                if (++commits == 3)
                {
                    killedAt = commit;
                    throw new SimulatedCrashException(); // the object is in S3; its offset is never committed
                }
            },
        });
        Assert.ThrowsAsync<SimulatedCrashException>(async () => await killed.RunToEndAsync());
        Assert.That(killedAt, Is.Not.Null);
        int partition = killedAt!.Partition.Value;
        long windowEnd = killedAt.Offset.Value;
        long windowStart = (windowEnd - 1) / KafkaTopic.Window * KafkaTopic.Window; // a window cut at the end offset is shorter
        Assert.That(topic.CommittedOffsets(group)[partition], Is.LessThan(windowEnd), "the killed worker did not commit the uploaded window");
        string orphanKey = (await SharedPeers.S3.ListKeysAsync(SharedPeers.Bucket, prefix))
            .Single(k => BatchId(k).EndsWith($"-{partition}-{windowStart}-{windowEnd - 1}", StringComparison.Ordinal));
        byte[] orphan = await SharedPeers.S3.GetObjectBytesAsync(SharedPeers.Bucket, orphanKey);

        KafkaToS3Worker next = topic.Worker(group, delivery);
        Assert.That(await next.RunToEndAsync(), Is.EqualTo(ExitCodes.Success));

        Dictionary<string, byte[]> objects = await AssertEveryBatchOnceAndCommittedAsync(topic, group, prefix);
        Assert.That(objects[orphanKey], Is.EqualTo(orphan), "the next owner rebuilt the window onto the same key with the same bytes");
    }

    [Test]
    public async Task KafkaToS3_WorkerCrashedMidBatch_NextOwnerRebuildsTheOpenBatchAndEveryRecordLandsOnce()
    {
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(42);
        await using TenantDelivery delivery = topic.Delivery();
        const string group = "crashed-mid-batch";

        int read = 0;
        KafkaToS3Worker crashed = topic.Worker(group, delivery, new WorkerHooks
        {
            RecordRead = record =>
            {
                if (++read == 13)
                {
                    throw new SimulatedCrashException(); // windows are open on every partition read so far
                }
            },
        });
        Assert.ThrowsAsync<SimulatedCrashException>(async () => await crashed.RunToEndAsync());
        Assert.That(crashed.RecordsRead, Is.EqualTo(12));

        KafkaToS3Worker next = topic.Worker(group, delivery);
        Assert.That(await next.RunToEndAsync(), Is.EqualTo(ExitCodes.Success));

        await AssertEveryBatchOnceAndCommittedAsync(topic, group, $"segment-logs/{topic.Source}/");
    }

    [Test]
    public async Task KafkaToS3_WorkerThatMissesItsPollDeadlineAfterAnUpload_HasItsCommitRefusedAndRewritesTheSameObjectOnRejoining()
    {
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(42);
        await using TenantDelivery delivery = topic.Delivery();
        const string group = "missed-poll-deadline";
        KafkaToS3Options options = topic.Options(group);
        options.ConsumerSettings["max.poll.interval.ms"] = "5000"; // also the rebalance timeout: the mock cluster takes about 3 s to complete a join
        var log = new CapturingLogger();
        bool stalled = false;
        var worker = new KafkaToS3Worker(options, delivery, log, new WorkerHooks
        {
            BeforeCommit = _ =>
            {
                if (!stalled)
                {
                    stalled = true;

                    // The poll deadline is wall-clock time in the protocol itself: stall past it (bounded) once,
                    // after the first window's upload and before its commit.
                    Thread.Sleep(TimeSpan.FromSeconds(7));
                }
            },
        });

        int exit = await worker.RunToEndAsync();

        Assert.That(exit, Is.EqualTo(ExitCodes.Success));
        Assert.That(log.Lines, Has.Some.Contains("Local_MaxPollExceeded"), "the worker missed its poll deadline and left the group");
        Assert.That(log.Lines, Has.Some.Contains("Commit of " + topic.Name).And.Contains("refused"), "the stalled worker's commit was refused: it was no longer a member");
        await AssertEveryBatchOnceAndCommittedAsync(topic, group, $"segment-logs/{topic.Source}/");
    }

    /// <summary>
    /// The end every recovery must reach: under <paramref name="prefix"/>, one object per batch of the topic, every record
    /// once, and every partition committed by <paramref name="group"/> to its end. Returns the objects.
    /// </summary>
    private static async Task<Dictionary<string, byte[]>> AssertEveryBatchOnceAndCommittedAsync(KafkaTopic topic, string group, string prefix)
    {
        Dictionary<string, byte[]> objects = await ReadObjectsAsync(prefix);
        Assert.That(objects.Keys.Select(BatchId), Is.EquivalentTo(topic.ExpectedBatchIds));
        Assert.That(topic.CommittedOffsets(group), Is.EqualTo(topic.EndOffsets));
        AssertEveryRecordOnce(topic, objects);
        return objects;
    }

    private static void AssertEveryRecordOnce(KafkaTopic topic, Dictionary<string, byte[]> objects)
    {
        var ids = Objects.MessageIds(objects.Values.SelectMany(Gzip.Lines)).ToList();
        Assert.That(ids, Is.Unique, "no record twice");
        Assert.That(ids, Is.EquivalentTo(topic.ExpectedMessageIds), "every accepted record once");
    }

    /// <summary>The batch id in a key: <c>.../{sealed-at}.{batch-id}.gz</c>.</summary>
    private static string BatchId(string key) => key[(key.LastIndexOf('/') + 1)..].Split('.')[1];

    private static async Task<Dictionary<string, byte[]>> ReadObjectsAsync(string prefix)
    {
        var objects = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (string key in await SharedPeers.S3.ListKeysAsync(SharedPeers.Bucket, prefix))
        {
            objects[key] = await SharedPeers.S3.GetObjectBytesAsync(SharedPeers.Bucket, key);
        }

        return objects;
    }

    internal static async Task<(int ExitCode, string Stdout, string Stderr)> RunProgramAsync(KafkaTopic topic, string group, string bucket) =>
        await KafkaToS3Program.RunAsync(topic, group, topic.Tenants(_ => bucket));

    private sealed class SimulatedCrashException : Exception;
}
