using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RawDataDestination.Batching;
using RawDataDestination.Internal;
using RawDataDestination.Ndjson;

namespace RawDataDestination.KafkaToS3;

/// <summary>
/// One member of a consumer group that writes a topic to many customers' buckets with exactly-once objects: per
/// partition, it cuts batches at offset windows (one per source and day, each bound to its source's tenant), delivers
/// them, and commits a window's end only once every object of the window is in its customer's bucket or in the
/// operator's staging bucket.
/// </summary>
/// <remarks>
/// <para>
/// Any number of workers share the topic's partitions through the group. On a rebalance, a partition's open window is
/// dropped, not committed: its new owner reads it again from the committed offset and rebuilds the same objects (same
/// keys, same bytes), so a window uploaded but not committed is written again onto itself, never next to itself.
/// </para>
/// <para>
/// A broken customer never stops the others: its batches go to the staging bucket (directly while its circuit is open)
/// and the window is committed. Without a stage, or while the staging bucket fails for a transient reason, the window
/// is held: its partition is paused and the batches left are tried again later, while the other partitions go on. No
/// transient error ends the worker. A <see cref="KafkaToS3Options.UntilCaughtUp"/> run gives a partition up when a held
/// window's retry is refused for a reason retrying cannot fix (<see cref="BatchOutcome.Refused"/>), or when the window is
/// still not delivered <see cref="KafkaToS3Options.RetryTimeLimit"/> after its first hold: it ends with
/// <see cref="ExitCodes.Failed"/> once the other partitions are caught up, or when a stop comes first, that window uncommitted.
/// </para>
/// <para>
/// A stop (the token) drops the open and held windows and leaves the group; a delivery under way finishes first and is
/// committed; it is waited for at most <see cref="KafkaToS3Options.DirectStepAside"/> from the stop, all its batches
/// together (each batch's own step-aside does not start the wait again): what is not delivered or staged by then is
/// not sent or waited for, and its window is held, and dropped uncommitted. Each window still held
/// is named on stderr (an error line): its partition, the offset from which nothing is committed, its tenants and what
/// their last try met; the next run reads it again. The staging bucket refusing a batch (it does not exist, the service may not write it) leaves the group
/// without committing that window and ends with <see cref="ExitCodes.Failed"/>.
/// </para>
/// </remarks>
internal sealed partial class KafkaToS3Worker(
    KafkaToS3Options options,
    TenantDelivery delivery,
    ILogger? logger = null,
    WorkerHooks? hooks = null,
    TimeProvider? timeProvider = null)
{
    /// <summary>
    /// The event id of the line naming a window still held at a stop (a warning, which Program.cs sends to stderr): no other
    /// message of the program has it (<c>KafkaLogEventIdsTests</c>).
    /// </summary>
    internal const int HeldAtStopEventId = 20;

    /// <summary>The longest a consume waits while a window is held, so a stop is noticed within it.</summary>
    private static readonly TimeSpan HeldPoll = TimeSpan.FromMilliseconds(500);

    private readonly ILogger _logger = logger ?? NullLogger.Instance;
    private readonly WorkerHooks _hooks = hooks ?? new WorkerHooks();
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly long _createdAt = (timeProvider ?? TimeProvider.System).GetTimestamp();
    private readonly Dictionary<TopicPartition, PartitionWriter> _writers = [];
    private readonly List<PartitionWriter> _dropped = [];
    private readonly KafkaErrorLog _kafkaErrors = new(logger ?? NullLogger.Instance, timeProvider ?? TimeProvider.System);
    private readonly QuietLines<string> _withoutTenantLines = new(timeProvider ?? TimeProvider.System);

    /// <summary>
    /// Cancelled <see cref="KafkaToS3Options.DirectStepAside"/> after the stop: the one deadline of the stop's wait for the
    /// deliveries under way (<see cref="TenantDelivery.DeliverAsync(IReadOnlyList{RoutedBatch}, CancellationToken)"/>).
    /// </summary>
    private CancellationToken _stopWaitOver;
    private bool _assigned;
    private bool _everAssigned;

    /// <summary>
    /// When the group took this worker's last partitions from it as lost (its session ended: no heartbeat reached the
    /// coordinator within session.timeout.ms), on <see cref="Now"/>'s clock; <see langword="null"/> once a partition is
    /// assigned again. An <see cref="KafkaToS3Options.UntilCaughtUp"/> run waits for one at most <see cref="KafkaToS3Options.AssignTimeout"/>
    /// from then, as it waits for its first.
    /// </summary>
    private TimeSpan? _lostAt;

    /// <summary>Whether <see cref="_lostAt"/> came from a rebalance that revoked every partition and gave none back, not from a loss.</summary>
    private bool _revokedAll;

    /// <summary>
    /// Whether the group's last assignment to this worker, holding none, was empty: the group's other members hold every
    /// partition (more members than partitions, or a member run until stopped holds them). An empty assignment is not one:
    /// a run until caught up that was given nothing has caught up on nothing.
    /// </summary>
    private bool _givenNone;

    /// <summary>Gets the number of records read.</summary>
    public long RecordsRead { get; private set; }

    /// <summary>Gets the number of records refused, those without a tenant included.</summary>
    public long RecordsRejected { get; private set; }

    /// <summary>Gets the number of records refused because no tenant lists their source.</summary>
    public long RecordsWithoutTenant { get; private set; }

    /// <summary>Gets the number of objects S3 confirmed in customers' buckets (directly; not through the stage), each counted as it lands.</summary>
    public long ObjectsUploaded => delivery.ObjectsUploaded;

    /// <summary>Gets the number of batches written to the staging bucket, each counted as it lands.</summary>
    public long BatchesStaged => delivery.BatchesStaged;

    /// <summary>Gets the number of staged batches the worker's copiers delivered to customers' buckets.</summary>
    public long CopiedFromStage => delivery.CopiedFromStage;

    /// <summary>Gets the number of offsets committed.</summary>
    public long Commits { get; private set; }

    /// <summary>Gets the number of windows held (not every batch delivered or staged), each counted once.</summary>
    public long WindowsHeld { get; private set; }

    /// <summary>Gets the number of windows still held when a stop ended the run: dropped uncommitted, each named on stderr, read again by the next run.</summary>
    public long WindowsHeldAtStop { get; private set; }

    /// <summary>Gets the number of open or held windows dropped uncommitted (revoked, lost, or open at shutdown).</summary>
    public long BatchesDropped { get; private set; }

    /// <summary>Runs the worker until <paramref name="stoppingToken"/> is cancelled, or until caught up when asked.</summary>
    /// <returns>
    /// <see cref="ExitCodes.Success"/>, or <see cref="ExitCodes.Failed"/> when the staging bucket refused a batch, or a run
    /// until caught up gave a partition up (also when <paramref name="stoppingToken"/> stopped it before the others were caught up),
    /// or ended with a commit Kafka kept refusing (the commit rule, <c>KafkaToS3Worker.Commits.cs</c>).
    /// </returns>
    public async Task<int> RunAsync(CancellationToken stoppingToken)
    {
        using IConsumer<byte[]?, byte[]?> consumer = Build();
        using var stopWait = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
        using CancellationTokenRegistration onStop = stoppingToken.Register(() => stopWait.CancelAfter(options.DirectStepAside));
        _stopWaitOver = stopWait.Token;
        consumer.Subscribe(options.Topic); // the copiers' first passes come with the first assignment (delivery.Hold)
        TimeSpan started = Now;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                delivery.ThrowIfStageRefused(); // met by a write that went on after its window was held
                await RetryHeldAsync(consumer);
                RetryRefusedCommits(consumer);
                if (AllCaughtUp())
                {
                    // The last partition reached its end (or was given up) by a held window's retry: every partition is
                    // paused now, and a consume would wait for a record none of them can give.
                    break;
                }

                if (options.UntilCaughtUp && !_everAssigned && Now - started >= options.AssignTimeout)
                {
                    LogNotAssigned();
                    await LeaveAsync(consumer, "not assigned");
                    return ExitCodes.Failed;
                }

                if (options.UntilCaughtUp && _lostAt is { } lostAt && !_assigned && Now - lostAt >= options.AssignTimeout)
                {
                    // Its partitions lost mid-run (the coordinator away, say) and none given back: a run meant to end
                    // must not wait for as long as the coordinator is away.
                    if (_revokedAll)
                    {
                        Log.NotAssignedAfterRevoke(_logger, options.Topic, options.GroupId, options.AssignTimeout, KafkaCause(), options.BootstrapServers);
                    }
                    else
                    {
                        Log.NotAssignedAgain(_logger, options.Topic, options.GroupId, options.AssignTimeout, KafkaCause(), options.BootstrapServers);
                    }

                    await LeaveAsync(consumer, "not assigned again");
                    return ExitCodes.Failed;
                }

                ConsumeResult<byte[]?, byte[]?> result;
                try
                {
                    result = ConsumeWait() is { } wait ? consumer.Consume(wait) : consumer.Consume(stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    break;
                }
                catch (ConsumeException exception) when (!exception.Error.IsFatal)
                {
                    // For example a missed poll deadline: the group moves on, the partitions come back as lost and
                    // are dropped, and the consumer joins again by itself.
                    _kafkaErrors.Report(exception.Error);
                    await DisposeDroppedAsync();
                    continue;
                }

                await DisposeDroppedAsync();
                if (result is not null && _writers.TryGetValue(result.TopicPartition, out PartitionWriter? writer) && writer.Held is null && writer.GivenUp is null)
                {
                    if (result.IsPartitionEOF)
                    {
                        await OnEndOfPartitionAsync(consumer, writer, result.Offset.Value);
                    }
                    else
                    {
                        await OnRecordAsync(consumer, writer, result);
                    }
                }

                if (AllCaughtUp())
                {
                    break;
                }
            }

            // A refusal met since the last check: the stop does not hide it (its window is held, and dropped uncommitted).
            delivery.ThrowIfStageRefused();
        }
        catch (StageRefusedException exception)
        {
            // One line that says why, and what to do; the AWS SDK's stack trace only at Debug.
            Log.StageRefused(_logger, exception.Message);
            Log.StageRefusedDetail(_logger, exception.InnerException!);
            await LeaveAsync(consumer, "stage refused");
            return ExitCodes.Failed;
        }

        // Held when a signal stopped the run: dropped uncommitted as it leaves the group, which an operator stopping the
        // service reads on stderr (it was only an info line on stdout), before the give-up lines that end a run.
        LogHeldAtStop();

        // A commit still refused: named on stderr; a run until caught up did not do what it is for.
        bool commitsLeftRefused = LogCommitsLeftRefused(consumer);

        // Given up by this run, also when a signal stopped it before the other partitions were caught up: their windows
        // are not delivered, and a stop must not hide it behind exit 0.
        List<PartitionWriter> givenUp = [.. _writers.Values.Where(w => w.GivenUp is not null).OrderBy(w => w.Partition.Partition.Value)];
        if (givenUp.Count == 0)
        {
            if (AllCaughtUp() && !commitsLeftRefused)
            {
                Log.CaughtUp(_logger, _writers.Count);
            }

            await LeaveAsync(consumer, "shutdown");
            return commitsLeftRefused && options.UntilCaughtUp ? ExitCodes.Failed : ExitCodes.Success;
        }

        int caughtUp = _writers.Values.Count(w => w.CaughtUp);
        int stopped = _writers.Count - givenUp.Count - caughtUp;
        await LeaveAsync(consumer, "shutdown");
        foreach (PartitionWriter writer in givenUp)
        {
            HeldWindow window = writer.GivenUp!;
            Log.NotCaughtUp(_logger, window.Commit.Topic, window.Commit.Partition.Value, window.FirstOffset, Clauses(window.Reasons));
        }

        Log.GaveUp(
            _logger,
            $"{Counted.Of(givenUp.Count, "partition")} given up, {caughtUp} caught up" + (stopped == 0 ? string.Empty : $", {stopped} stopped by the signal before their end"),
            WhatToDo(givenUp.Any(w => !w.GivenUp!.KeptFailing), givenUp.Any(w => w.GivenUp!.KeptFailing)));
        return ExitCodes.Failed;
    }

    /// <summary>
    /// Names, on stderr (a warning line, StderrWarningsLoggerFactory), each window still held when a stop ends the run: its partition, the offset from
    /// which nothing is committed, and what its batches left met at their last try, per tenant. The windows are dropped
    /// uncommitted as the worker leaves the group, and the next run reads and delivers them again: the exit code is not
    /// changed by them (a worker run until stopped gives nothing up).
    /// </summary>
    private void LogHeldAtStop()
    {
        foreach (PartitionWriter writer in _writers.Values.Where(w => w.Held is not null).OrderBy(w => w.Partition.Partition.Value))
        {
            HeldWindow window = writer.Held!;
            WindowsHeldAtStop++;
            string reasons = Clauses(LastTries(window.Batches));
            Log.HeldAtStop(_logger, window.Commit.Topic, window.Commit.Partition.Value, window.FirstOffset, reasons);
        }
    }

    /// <summary>Reasons as clauses of one line: joined by semicolons, each without its full stop.</summary>
    private static string Clauses(IEnumerable<string> reasons) => string.Join("; ", reasons.Select(reason => reason.TrimEnd().TrimEnd('.')));

    /// <summary>
    /// What the batches left in a held window met at their last try, one clause per distinct reason naming its tenants (up
    /// to 5, then how many more): a stop's wait that ended before 40 tenants' batches were sent is one clause, not 40.
    /// </summary>
    private IEnumerable<string> LastTries(IEnumerable<RoutedBatch> batches) =>
        batches
            .GroupBy(b => (Refused: b.Refusal is not null, Why: b.Refusal is { } refusal ? delivery.Explain(b.Tenant, refusal) : b.Failure ?? "not delivered"))
            .Select(g => (g.Key, Tenants: g.Select(b => b.Tenant).Distinct(StringComparer.Ordinal).ToList()))
            .Select(g => $"{(g.Key.Refused ? "refused by " : string.Empty)}{TenantsNamed(g.Tenants)}: {g.Key.Why}");

    /// <summary><c>tenant acme</c>, <c>tenants acme, globex</c>, or <c>tenants a, b, c, d, e and 3 more</c>.</summary>
    private static string TenantsNamed(List<string> tenants) =>
        tenants.Count == 1 ? $"tenant {tenants[0]}"
        : $"tenants {string.Join(", ", tenants.Take(5))}{(tenants.Count > 5 ? $" and {tenants.Count - 5} more" : string.Empty)}";

    /// <summary>A refusal retrying cannot fix, naming the tenant: <c>refused by tenant acme: Bucket 'acme-logs' does not exist ...</c>.</summary>
    private string RefusedBy(RoutedBatch routed) =>
        $"refused by tenant {routed.Tenant}: {(routed.Refusal is { } refusal ? delivery.Explain(routed.Tenant, refusal) : "refused")}";

    /// <summary>What to do about the given-up partitions: fix a refusing customer's setup, wait for a failing one (or the staging bucket).</summary>
    private string WhatToDo(bool refused, bool keptFailing)
    {
        var steps = new List<string>();
        if (refused)
        {
            steps.Add("Fix the customer's setup named above (its bucket, its role and the role's policy)");
        }

        if (keptFailing)
        {
            string limit = TenantDelivery.Seconds(options.RetryTimeLimit);
            steps.Add(delivery.Stages
                ? $"{(refused ? "run" : "Run")} again once the staging bucket (--stage-bucket) and the customers named above answer again, or raise --retry-time-limit (now {limit})"
                : $"{(refused ? "run" : "Run")} again once the customer named above answers again, or raise --retry-time-limit (now {limit})");
        }

        return string.Join("; ", steps) + (delivery.Stages
            ? "."
            : ", or run with --stage-bucket so that a broken customer's batches are staged instead of holding its partitions.");
    }

    /// <summary>
    /// Whether an <see cref="KafkaToS3Options.UntilCaughtUp"/> run has every assigned partition done (each paused): caught
    /// up, or given up (<see cref="PartitionWriter.GivenUp"/>).
    /// </summary>
    private bool AllCaughtUp() => options.UntilCaughtUp && _assigned && _writers.Values.All(w => (w.CaughtUp && w.RefusedCommit is not { GivenUp: false }) || w.GivenUp is not null);

    private IConsumer<byte[]?, byte[]?> Build()
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = options.BootstrapServers,
            GroupId = options.GroupId,
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnablePartitionEof = true,
            ClientId = "KafkaToS3",
        };
        foreach ((string name, string value) in options.ConsumerSettings)
        {
            config.Set(name, value);
        }

        ConsumerBuilder<byte[]?, byte[]?> builder = new ConsumerBuilder<byte[]?, byte[]?>(config)
            .SetPartitionsAssignedHandler((consumer, partitions) =>
            {
                if (partitions.Count > 0)
                {
                    _assigned = true;
                    _everAssigned = true;
                    _lostAt = null;
                    _revokedAll = false;
                    _givenNone = false;
                }
                else if (_writers.Count == 0)
                {
                    // An eager rebalance gives every member an assignment, an empty one to those left over: that is not
                    // being assigned, and a run until caught up waits for a partition up to --assign-timeout (it said
                    // "Caught up on every partition (0)" and exited 0, having read nothing).
                    _givenNone = true;
                }

                // The staged batches cut from these partitions are this worker's copiers' now, also those an earlier
                // owner left: a pass for every tenant finds them.
                delivery.Hold(partitions.Select(p => p.Partition.Value));
                foreach (TopicPartition partition in partitions)
                {
                    long? end = options.UntilCaughtUp ? consumer.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(10)).High.Value : null;
                    _writers[partition] = new PartitionWriter(partition, options.MaxBatchRecords, end, delivery.Route, options.MaxEventBytes);
                    if (end is { } caughtUpAt)
                    {
                        Log.Assigned(_logger, partition.Topic, partition.Partition.Value, caughtUpAt);
                    }
                    else
                    {
                        Log.AssignedUntilStopped(_logger, partition.Topic, partition.Partition.Value); // it said "(end offset -1)"
                    }
                }
            })
            .SetPartitionsRevokedHandler((consumer, partitions) => Revoke(consumer, partitions, "revoked"))
            .SetPartitionsLostHandler((consumer, partitions) => Revoke(consumer, partitions, "lost"))
            .SetErrorHandler((_, error) => _kafkaErrors.Report(error))
            .SetLogHandler((_, message) => Log.Kafka(_logger, message.Facility, message.Message));
        try
        {
            return builder.Build();
        }
        catch (Exception exception) when (exception is (InvalidOperationException or ArgumentException) && options.ConsumerSettings.Count > 0)
        {
            // librdkafka checks its settings only here: an unknown name or a bad value from --kafka-config.
            throw new UsageException($"The Kafka consumer refused its settings: {exception.Message}. Check --kafka-config (librdkafka's consumer settings, one name=value per line).");
        }
    }

    private async Task OnRecordAsync(IConsumer<byte[]?, byte[]?> consumer, PartitionWriter writer, ConsumeResult<byte[]?, byte[]?> record)
    {
        long offset = record.Offset.Value;
        if (writer.IsOpen && offset >= writer.WindowEnd)
        {
            await DeliverAsync(consumer, writer); // a gap (compaction, transaction markers) hid the window's last offsets
            if (writer.Held is not null)
            {
                return; // this record is read again once the held window is committed
            }
        }

        if (writer.CaughtUp || offset >= writer.EndAtAssignment)
        {
            MarkCaughtUp(consumer, writer); // written after the worker was assigned the partition: the next run's
            return;
        }

        _hooks.RecordRead?.Invoke(record);
        RecordsRead++;
        WorkerMetrics.RecordsRead.Add(1);
        if (await writer.AppendAsync(record, CancellationToken.None) is { } rejected)
        {
            RecordsRejected++;
            WorkerMetrics.RecordsRejected.Add(1, new KeyValuePair<string, object?>("reason", rejected.Reason.ToString()));
            string why = rejected.Describe(TenantWords.Words); // a setting named as the worker's user sets it (--max-event-bytes)
            _hooks.RecordRejected?.Invoke(new RejectedRecord(record.Topic, record.Partition.Value, offset, rejected.Reason, why));
            if (rejected.Reason != EventRejectionReason.NoDestination)
            {
                Log.Rejected(_logger, record.Topic, record.Partition.Value, offset, rejected.Reason, why);
            }
            else
            {
                // A source no tenant lists is the operator's setup, not the record: every record of it is refused alike, so
                // its lines are one a minute (as Kafka's errors are), each with how many it skipped; the counters count all.
                RecordsWithoutTenant++;
                WorkerMetrics.RecordsWithoutTenant.Add(1);
                bool write = _withoutTenantLines.TryWrite(RecordSourceId.Of(record.Message), out int skipped);
                if (write && skipped == 0)
                {
                    Log.Rejected(_logger, record.Topic, record.Partition.Value, offset, rejected.Reason, why);
                }
                else if (write)
                {
                    Log.RejectedWithoutTenant(_logger, record.Topic, record.Partition.Value, offset, why, skipped);
                }
            }
        }

        if (offset + 1 >= writer.WindowEnd)
        {
            await DeliverAsync(consumer, writer);
        }

        if (offset + 1 >= writer.EndAtAssignment)
        {
            MarkCaughtUp(consumer, writer);
        }
    }

    private async Task OnEndOfPartitionAsync(IConsumer<byte[]?, byte[]?> consumer, PartitionWriter writer, long position)
    {
        if (writer.IsOpen && position >= writer.WindowEnd)
        {
            await DeliverAsync(consumer, writer);
        }

        if (!writer.IsOpen && position >= writer.EndAtAssignment)
        {
            MarkCaughtUp(consumer, writer);
        }
    }

    /// <summary>Seals the open window and delivers it; see <see cref="DeliverWindowAsync"/>.</summary>
    private async Task DeliverAsync(IConsumer<byte[]?, byte[]?> consumer, PartitionWriter writer)
    {
        var commit = new TopicPartitionOffset(writer.Partition, writer.WindowEnd);
        long first = writer.FirstOffset;
        List<RoutedBatch> batches = await writer.SealAsync(CancellationToken.None);
        await DeliverWindowAsync(consumer, writer, new HeldWindow(commit, first, batches));
    }

    /// <summary>
    /// Delivers (or stages) a window's batches, then commits the window's end: never the other way round. A window with
    /// batches left is held, its partition paused, and tried again after a backoff; once it is committed, the partition
    /// is sought to the commit and resumed, so the records read after the window are read again.
    /// </summary>
    private async Task DeliverWindowAsync(IConsumer<byte[]?, byte[]?> consumer, PartitionWriter writer, HeldWindow window)
    {
        BatchOutcome[] outcomes;
        try
        {
            outcomes = await delivery.DeliverAsync(window.Batches, _stopWaitOver);
        }
        catch
        {
            window.Batches.ForEach(b => b.Dispose());
            writer.Held = null;
            throw;
        }

        var left = new List<RoutedBatch>();
        var refusals = new List<string>();
        for (int i = 0; i < outcomes.Length; i++)
        {
            RoutedBatch routed = window.Batches[i];
            switch (outcomes[i])
            {
                case BatchOutcome.Delivered:
                    window.Delivered++;
                    routed.Dispose();
                    break;
                case BatchOutcome.Staged:
                    window.Staged++;
                    routed.Dispose();
                    break;
                case BatchOutcome.Refused:
                    refusals.Add(RefusedBy(routed));
                    left.Add(routed);
                    break;
                default:
                    left.Add(routed);
                    break;
            }
        }

        window.Batches.Clear();
        window.Batches.AddRange(left);
        if (left.Count > 0 && options.UntilCaughtUp && writer.Held is not null && refusals.Count > 0)
        {
            GiveUp(writer, window, [.. refusals.Distinct(StringComparer.Ordinal)]);
            return;
        }

        if (left.Count > 0 && options.UntilCaughtUp && writer.Held is not null && Now - window.HeldSince >= options.RetryTimeLimit)
        {
            // A run meant to end must not wait for a customer (or the staging bucket) forever, however transient its errors.
            string limit = TenantDelivery.Seconds(options.RetryTimeLimit);
            window.KeptFailing = true;
            GiveUp(writer, window, [.. left.Select(b => $"tenant {b.Tenant} kept failing for {limit} (--retry-time-limit): {b.Failure ?? "not delivered"}").Distinct(StringComparer.Ordinal)]);
            return;
        }

        if (left.Count > 0)
        {
            Hold(consumer, writer, window);
            return;
        }

        bool wasHeld = writer.Held is not null;
        writer.Held = null;
        Commit(consumer, writer, window);
        if (wasHeld)
        {
            consumer.Resume([writer.Partition]);
            consumer.Seek(window.Commit);
            Log.Released(_logger, window.Commit.Topic, window.Commit.Partition.Value, window.Commit.Offset.Value, window.Holds);
            if (window.Commit.Offset.Value >= writer.EndAtAssignment)
            {
                MarkCaughtUp(consumer, writer);
            }
        }
    }

    private void Hold(IConsumer<byte[]?, byte[]?> consumer, PartitionWriter writer, HeldWindow window)
    {
        window.Holds++;
        double factor = Math.Pow(2, Math.Min(window.Holds - 1, 20));
        TimeSpan delay = TimeSpan.FromTicks((long)Math.Min(options.HoldRetryDelay.Ticks * factor, options.HoldRetryMaxDelay.Ticks));
        TimeSpan now = Now;
        if (writer.Held is null)
        {
            window.HeldSince = now;
        }

        window.RetryAt = now + delay;
        TimeSpan limitEnds = window.HeldSince + options.RetryTimeLimit;
        if (options.UntilCaughtUp && limitEnds > now && limitEnds < window.RetryAt)
        {
            // The last try comes when the retry time limit ends, not up to a whole backoff later (and never at once again
            // after it: a retry due now, every time, would spin the loop).
            window.RetryAt = limitEnds;
        }

        if (writer.Held is null)
        {
            writer.Held = window;
            consumer.Pause([writer.Partition]);
            WindowsHeld++;
            WorkerMetrics.WindowsHeld.Add(1);
            Log.Held(_logger, window.Commit.Topic, window.Commit.Partition.Value, window.FirstOffset, window.Commit.Offset.Value, window.Batches.Count, string.Join(", ", window.Batches.Select(b => b.Tenant).Distinct()), delay);
        }

        _hooks.WindowHeld?.Invoke(window.Commit);
    }

    /// <summary>
    /// Gives up, for this <see cref="KafkaToS3Options.UntilCaughtUp"/> run, a held window whose retry a customer refused
    /// again for a reason retrying cannot fix, or that kept failing for <see cref="KafkaToS3Options.RetryTimeLimit"/>
    /// (<see cref="HeldWindow.KeptFailing"/>): a run meant to end must not wait for a change of setup, nor for a customer
    /// that does not answer. Its other customers' batches left in it are given up with it, uncommitted. Nothing of the
    /// window is committed and the partition stays paused; the next run reads it again from the committed offset (its
    /// batches that were delivered are written again onto the same keys).
    /// </summary>
    private void GiveUp(PartitionWriter writer, HeldWindow window, IReadOnlyList<string> reasons)
    {
        window.Batches.ForEach(b => b.Dispose());
        window.Batches.Clear();
        window.Reasons = reasons;
        writer.Held = null;
        writer.GivenUp = window;
        if (window.KeptFailing)
        {
            Log.GivenUpAfterTimeLimit(_logger, window.Commit.Topic, window.Commit.Partition.Value, window.FirstOffset, window.Commit.Offset.Value, window.Holds, Clauses(reasons));
        }
        else
        {
            Log.GivenUp(_logger, window.Commit.Topic, window.Commit.Partition.Value, window.FirstOffset, window.Commit.Offset.Value, window.Holds, Clauses(reasons));
        }
    }

    /// <summary>Tries the held windows whose retry is due.</summary>
    private async Task RetryHeldAsync(IConsumer<byte[]?, byte[]?> consumer)
    {
        TimeSpan now = Now;
        foreach (PartitionWriter writer in _writers.Values.Where(w => w.Held is { } held && held.RetryAt <= now).ToList())
        {
            await DeliverWindowAsync(consumer, writer, writer.Held!);
        }
    }

    /// <summary>
    /// Gets the time since the worker was made, on the monotonic clock (<see cref="TimeProvider.GetTimestamp"/>): the
    /// retry time limit, the held windows' retries and the wait for a first partition are durations, which a wall clock
    /// set back or forward must not stretch or cut.
    /// </summary>
    private TimeSpan Now => _time.GetElapsedTime(_createdAt);

    /// <summary>
    /// How long the next consume may wait, or <see langword="null"/> for as long as it takes: until the next held
    /// window's retry, and at most <see cref="HeldPoll"/> while a window is held or an <see cref="KafkaToS3Options.UntilCaughtUp"/>
    /// run waits for its first partition, or for one after it lost them all (so its deadline, and a stop, are noticed).
    /// </summary>
    private TimeSpan? ConsumeWait() =>
        Earliest(UntilNextRetry(), UntilNextCommitRetry()) is { } wait ? wait
        : options.UntilCaughtUp && (!_everAssigned || _lostAt is not null) ? HeldPoll
        : null;

    private static TimeSpan? Earliest(TimeSpan? a, TimeSpan? b) => a is null ? b : b is null ? a : a < b ? a : b;

    /// <summary>How long until the next held window's retry (at most <see cref="HeldPoll"/>), or <see langword="null"/> when none is held.</summary>
    private TimeSpan? UntilNextRetry()
    {
        TimeSpan? next = null;
        foreach (PartitionWriter writer in _writers.Values)
        {
            if (writer.Held is { } held && (next is null || held.RetryAt < next))
            {
                next = held.RetryAt;
            }
        }

        if (next is null)
        {
            return null;
        }

        TimeSpan wait = next.Value - Now;
        return wait <= TimeSpan.Zero ? TimeSpan.Zero : wait < HeldPoll ? wait : HeldPoll;
    }

    private void MarkCaughtUp(IConsumer<byte[]?, byte[]?> consumer, PartitionWriter writer)
    {
        if (options.UntilCaughtUp && !writer.CaughtUp && !writer.IsOpen && writer.Held is null && writer.GivenUp is null)
        {
            writer.CaughtUp = true;
            consumer.Pause([writer.Partition]);
        }
    }

    private void Revoke(IConsumer<byte[]?, byte[]?> consumer, List<TopicPartitionOffset> partitions, string cause)
    {
        List<TopicPartition> paused = [.. partitions.Select(p => p.TopicPartition).Where(p => _writers.GetValueOrDefault(p) is { } w && (w.Held is not null || w.CaughtUp || w.GivenUp is not null))];
        if (paused.Count > 0)
        {
            // librdkafka keeps a partition paused across a rebalance: one given back to this worker would never be read
            // again. Resume it while it is still assigned (pausing or resuming needs an assigned partition).
            try
            {
                consumer.Resume(paused);
            }
            catch (KafkaException exception)
            {
                _kafkaErrors.Report(exception.Error);
            }
        }

        if (cause == "lost")
        {
            LogLost(partitions.Select(p => p.TopicPartition));
        }

        Drop(partitions.Select(p => p.TopicPartition), cause);
        delivery.Release(partitions.Select(p => p.Partition.Value)); // their staged batches are their next owners' to copy
        _assigned = _writers.Count > 0; // "caught up on every assigned partition" waits for the next assignment
        if (!_assigned && partitions.Count > 0 && _lostAt is null)
        {
            // Lost (the session ended) or revoked by a rebalance: either way a run until caught up waits for a partition
            // given back at most --assign-timeout from now, and says which it was.
            _lostAt = Now;
            _revokedAll = cause != "lost";
        }
    }

    /// <summary>
    /// Says, for each partition the group took from this worker as lost, that it did, and what of it is dropped: a commit
    /// Kafka refused (its records are read again by the partition's next owner, from the last committed offset, onto the
    /// same keys). Said on stdout; without it a worker left with nothing looks the same as one stuck.
    /// </summary>
    private void LogLost(IEnumerable<TopicPartition> partitions)
    {
        foreach (TopicPartition partition in partitions.OrderBy(p => p.Partition.Value))
        {
            string refused = _writers.GetValueOrDefault(partition)?.RefusedCommit is { } commit
                ? $"its commit at {commit.Offset.Offset.Value}, refused ({commit.Reason}), is dropped with it, and the records before that offset are read again by the partition's next owner from the last committed offset and written again onto the same keys"
                : "what of it is not committed is read again by its next owner from the last committed offset";
            Log.Lost(_logger, partition.Topic, partition.Partition.Value, LostCause(), refused);
        }
    }

    /// <summary>Kafka's last error, as the lines that end a run for want of a partition name it; or, when the group gave this worker an empty assignment, that.</summary>
    private string KafkaCause() =>
        _givenNone ? "The group gave this worker an empty assignment: its other members hold every partition of the topic (more members than partitions, or a member run until stopped holds them)"
        : _kafkaErrors.Last is { } error ? $"Kafka's last error was {error.Code}: {error.Reason}"
        : "Kafka reported no error, so the topic may not exist or the group's other members hold all its partitions";

    /// <summary>Kafka's last error as a clause of the "Lost" line (<c>; Kafka's last error was ...</c>), or nothing: the worker read the partition a moment before, so "the topic may not exist" is not a cause there.</summary>
    private string LostCause() => _kafkaErrors.Last is { } error ? $"; Kafka's last error was {error.Code}: {error.Reason}" : string.Empty;

    private void Drop(IEnumerable<TopicPartition> partitions, string cause)
    {
        foreach (TopicPartition partition in partitions)
        {
            if (_writers.Remove(partition, out PartitionWriter? writer))
            {
                if (writer.IsOpen)
                {
                    BatchesDropped++;
                    WorkerMetrics.BatchesDropped.Add(1, new KeyValuePair<string, object?>("cause", cause));
                    Log.Dropped(_logger, partition.Topic, partition.Partition.Value, writer.FirstOffset, writer.RecordCount, cause);
                }

                if (writer.Held is { } held)
                {
                    BatchesDropped++;
                    WorkerMetrics.BatchesDropped.Add(1, new KeyValuePair<string, object?>("cause", cause));
                    Log.DroppedHeld(_logger, partition.Topic, partition.Partition.Value, held.FirstOffset, held.Batches.Count, cause);
                    held.Batches.ForEach(b => b.Dispose());
                    writer.Held = null;
                }

                _dropped.Add(writer);
            }
        }
    }

    private async Task DisposeDroppedAsync()
    {
        foreach (PartitionWriter writer in _dropped)
        {
            await writer.DropAsync();
        }

        _dropped.Clear();
    }

    private void LogNotAssigned() => Log.NotAssigned(_logger, options.Topic, options.GroupId, options.AssignTimeout, KafkaCause(), options.BootstrapServers);

    private async Task LeaveAsync(IConsumer<byte[]?, byte[]?> consumer, string cause)
    {
        Drop([.. _writers.Keys], cause);
        await DisposeDroppedAsync();
        consumer.Close(); // leaves the group at once, committing nothing more
    }

    private static partial class Log
    {
        /// <summary>How the lines of a window left uncommitted at the end of a run name it: the give-up lines and the stop's share it.</summary>
        private const string NothingCommitted = "{Topic}[{Partition}], nothing committed from offset {FirstOffset} on; {Reasons}";

        [LoggerMessage(1, LogLevel.Warning, "Refused record {Topic}[{Partition}]@{Offset} ({Reason}): {Message}")]
        public static partial void Rejected(ILogger logger, string topic, int partition, long offset, EventRejectionReason reason, string message);

        [LoggerMessage(21, LogLevel.Warning, "Refused record {Topic}[{Partition}]@{Offset} (NoDestination): {Message} ({Skipped} more records of this source were refused since its last line, not logged: a source no tenant lists gets one line a minute)")]
        public static partial void RejectedWithoutTenant(ILogger logger, string topic, int partition, long offset, string message, int skipped);

        [LoggerMessage(2, LogLevel.Information, "Committed {Topic}[{Partition}] at {Offset} (objects confirmed {Objects}, staged {Staged})")]
        public static partial void Committed(ILogger logger, string topic, int partition, long offset, int objects, int staged);

        [LoggerMessage(4, LogLevel.Information, "Dropped the open batch of {Topic}[{Partition}] from offset {FirstOffset} ({Records} records, {Cause}); uncommitted, it is rebuilt by the next owner")]
        public static partial void Dropped(ILogger logger, string topic, int partition, long firstOffset, int records, string cause);

        [LoggerMessage(5, LogLevel.Information, "Assigned {Topic}[{Partition}] (read up to its end offset {End}, --until-caught-up)")]
        public static partial void Assigned(ILogger logger, string topic, int partition, long end);

        [LoggerMessage(15, LogLevel.Information, "Assigned {Topic}[{Partition}]")]
        public static partial void AssignedUntilStopped(ILogger logger, string topic, int partition);

        [LoggerMessage(6, LogLevel.Information, "Caught up on every partition ({Partitions}): stopping")]
        public static partial void CaughtUp(ILogger logger, int partitions);

        [LoggerMessage(7, LogLevel.Error, "Stopping: {Message} Nothing of the window is committed; the next run rebuilds it.")]
        public static partial void StageRefused(ILogger logger, string message);

        [LoggerMessage(22, LogLevel.Debug, "The staging bucket's refusal, as the AWS SDK threw it")]
        public static partial void StageRefusedDetail(ILogger logger, Exception exception);

        [LoggerMessage(9, LogLevel.Debug, "librdkafka {Facility}: {Message}")]
        public static partial void Kafka(ILogger logger, string facility, string message);

        [LoggerMessage(14, LogLevel.Error, "Stopping: no partition of topic {Topic} was assigned to this member of group {GroupId} within {Timeout} (--assign-timeout). {Cause}. Nothing was read or committed; check --bootstrap-servers ({Servers}), the topic and the group, then run again.")]
        public static partial void NotAssigned(ILogger logger, string topic, string groupId, TimeSpan timeout, string cause, string servers);

        [LoggerMessage(26, LogLevel.Warning, "Lost {Topic}[{Partition}]: the group took it from this worker, which it no longer counts as a member (its session ended: the group's coordinator was away, or this process was paused or starved past session.timeout.ms{Cause}); {Dropped}")]
        public static partial void Lost(ILogger logger, string topic, int partition, string cause, string dropped);

        [LoggerMessage(27, LogLevel.Error, "Stopping: the partitions of topic {Topic} were lost (this worker's session in group {GroupId} ended) and none was assigned again within {Timeout} (--assign-timeout). {Cause}. What is committed stays committed; the rest is read again by the next run, or by the group's other members, from the last committed offset. Check that the group's coordinator answers (--bootstrap-servers {Servers}), then run again.")]
        public static partial void NotAssignedAgain(ILogger logger, string topic, string groupId, TimeSpan timeout, string cause, string servers);

        [LoggerMessage(45, LogLevel.Error, "Stopping: the partitions of topic {Topic} were revoked from this worker by a rebalance of group {GroupId} and none was assigned again within {Timeout} (--assign-timeout). {Cause}. What is committed stays committed; the rest is read by the group's other members, or by the next run, from the last committed offset. This run did not read the topic to its end: run it again once the group's other members have left, or with fewer members than partitions (--bootstrap-servers {Servers}).")]
        public static partial void NotAssignedAfterRevoke(ILogger logger, string topic, string groupId, TimeSpan timeout, string cause, string servers);

        [LoggerMessage(10, LogLevel.Warning, "Held the window of {Topic}[{Partition}] from offset {FirstOffset} to {End}: batches of {Tenants} neither delivered nor staged ({Batches}); the partition waits (the others go on) and is tried again in {Delay}")]
        public static partial void Held(ILogger logger, string topic, int partition, long firstOffset, long end, int batches, string tenants, TimeSpan delay);

        [LoggerMessage(11, LogLevel.Information, "Released {Topic}[{Partition}] at {Offset} (holds {Holds}): the held window is committed and reading goes on from there")]
        public static partial void Released(ILogger logger, string topic, int partition, long offset, int holds);

        [LoggerMessage(16, LogLevel.Warning, "Gave up {Topic}[{Partition}] for this run (--until-caught-up): the held window from offset {FirstOffset} to {End} was refused again at its retry (holds {Holds}) for a reason retrying cannot fix ({Refusals}); nothing of it is committed and the partition is read no further")]
        public static partial void GivenUp(ILogger logger, string topic, int partition, long firstOffset, long end, int holds, string refusals);

        [LoggerMessage(19, LogLevel.Warning, "Gave up {Topic}[{Partition}] for this run (--until-caught-up): the held window from offset {FirstOffset} to {End} was still not delivered at its last retry (holds {Holds}): {Reasons}; nothing of it is committed and the partition is read no further")]
        public static partial void GivenUpAfterTimeLimit(ILogger logger, string topic, int partition, long firstOffset, long end, int holds, string reasons);

        [LoggerMessage(17, LogLevel.Error, "Not caught up: " + NothingCommitted + ".")]
        public static partial void NotCaughtUp(ILogger logger, string topic, int partition, long firstOffset, string reasons);

        [LoggerMessage(18, LogLevel.Error, "Stopping with exit 1: {Partitions}. {WhatToDo} The next run reads the given-up windows again from the committed offset, and writes the objects already delivered from them again onto the same keys; but a window this run cut short at the partition's end, if records were added after it since, is cut whole by the next run, and the events of it already delivered land a second time.")]
        public static partial void GaveUp(ILogger logger, string partitions, string whatToDo);

        [LoggerMessage(HeldAtStopEventId, LogLevel.Warning, "Held at the stop: " + NothingCommitted + ". Dropped uncommitted, it is read again and delivered by the next run: nothing is lost")]
        public static partial void HeldAtStop(ILogger logger, string topic, int partition, long firstOffset, string reasons);

        [LoggerMessage(12, LogLevel.Information, "Dropped the held window of {Topic}[{Partition}] from offset {FirstOffset} (batches left {Batches}; {Cause}); uncommitted, it is rebuilt by the next owner")]
        public static partial void DroppedHeld(ILogger logger, string topic, int partition, long firstOffset, int batches, string cause);
    }
}
