using Microsoft.Extensions.Logging;
using Polly;
using RawDataDestination.Internal;
using RawDataDestination.Spool;

namespace RawDataDestination.Batching;

/// <summary>
/// Delivers pending batches by lane: each batch on its own, through its lane's resilience pipeline (retry with backoff
/// around a circuit breaker, one per lane), with upload slots shared fairly by lanes (<see cref="UploadSlots"/>) and the
/// in-memory bound shared fairly too. A failing lane backs off, fills its own share and holds at most one slot, while
/// the other lanes go on; a batch refused permanently is parked and tried again when <see cref="RetryRefused"/> is
/// called (scheduled seal, flush, shutdown). With a spool, a batch's bytes are loaded from disk for each attempt; one
/// whose file changed on disk since its seal is quarantined, never tried again (<see cref="SpooledBatchFiles.ThrowIfDamagedAsync"/>).
/// </summary>
/// <remarks>
/// The stage's jobs live in partial files: taking batches and the in-memory bound (this file), attempts and their
/// outcomes (<c>DeliveryStage.Attempts.cs</c>), the shutdown, waiting for deliveries and the retry budget
/// (<c>DeliveryStage.Waiting.cs</c>) and the status (<c>DeliveryStage.Status.cs</c>); its log lines are in
/// <see cref="Internal.LogEvents"/> with every other. Spool files are loaded and removed by <see cref="SpooledBatchFiles"/>.
/// </remarks>
internal sealed partial class DeliveryStage : IDisposable
{
    /// <summary>How long a lane with nothing to deliver is kept (its breaker and health) before it is forgotten.</summary>
    internal static readonly TimeSpan LaneIdleTime = TimeSpan.FromMinutes(10);

    /// <summary>How long shutdown waits for attempts that ignore their cancellation before it reports them and returns.</summary>
    internal static readonly TimeSpan AbandonAfter = TimeSpan.FromSeconds(2);

    private readonly ISealedBatchConsumer _consumer;
    private readonly Func<string, BatchRoute> _route;
    private readonly BatchSpool? _spool;
    private readonly SpoolQuarantine? _quarantine;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly DeliveryRetryPolicy _retryPolicy;
    private readonly ResiliencePipeline _attemptTimeout;
    private readonly UploadSlots _slots;
    private readonly int _maxInMemory;
    private readonly int _maxInMemoryPerLane;
    private readonly bool _failWhenFull;
    private readonly bool _tagLanes;
    private readonly TimeSpan _retryBudget;
    private readonly Action<BatchReceipt>? _batchDelivered;
    private readonly object _lock = new();
    private readonly HashSet<PendingBatch> _pending = [];
    private readonly Dictionary<LaneId, Lane> _lanes = [];
    private readonly HashSet<Task> _running = [];
    private readonly CancellationTokenSource _cancel = new();
    private readonly List<string> _deliveredJournalsLeft = []; // journals of batches delivered from memory that could be neither deleted nor marked
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _inMemory;
    private long _sequence;
    private long _deliveredBatches;
    private long _deliveredEvents;
    private long _quarantinedEvents;
    private Exception? _lastError;
    private DateTimeOffset? _lastErrorAt;
    private ClockReading? _lastDeliveredAt;
    private long _lastSweep;

    /// <summary>Creates the stage.</summary>
    /// <param name="options">The buffer's options.</param>
    /// <param name="consumer">Receives each attempt.</param>
    /// <param name="route">Gives each batch's lane and route state from its source id; throws <see cref="Ndjson.EventRejectedException"/> when the source has no route.</param>
    /// <param name="spool">The spool the batches' files are in, or <see langword="null"/>.</param>
    /// <param name="quarantine">Where a spooled file found changed on disk goes (with a spool), or <see langword="null"/>.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">Where deliveries are logged.</param>
    public DeliveryStage(BatchBufferOptions options, ISealedBatchConsumer consumer, Func<string, BatchRoute> route, BatchSpool? spool, SpoolQuarantine? quarantine, TimeProvider time, ILogger logger)
    {
        _consumer = consumer;
        _route = route;
        _batchDelivered = options.BatchDelivered;
        _spool = spool;
        _quarantine = quarantine;
        _time = time;
        _logger = logger;
        _slots = new UploadSlots(options.MaxConcurrentUploads, options.MaxConcurrentUploadsPerLane, time);
        _maxInMemory = options.MaxPendingBatches;
        _maxInMemoryPerLane = options.MaxPendingBatchesPerLane;
        _failWhenFull = options.BufferFullMode == BufferFullMode.Fail;
        _tagLanes = options.TagMetricsWithLane;
        _retryBudget = options.RetryBudget;
        _spoolFailWhenFull = options.SpoolFullMode == SpoolFullMode.Fail;
        GiveBackSpoolQuarter();
        _retryPolicy = new DeliveryRetryPolicy(options.RetryBaseDelay, options.RetryMaxDelay, Timeout.InfiniteTimeSpan, TimeLimit: null, CircuitBreaker: false);

        // The attempt timeout starts once the attempt has an upload slot: waiting behind other batches is not failing.
        _attemptTimeout = RetryPipelines.BuildAttemptTimeout(options.AttemptTimeout, time);
        _lastSweep = time.GetTimestamp();
        Telemetry.TrackLanes(this, static stage => stage.FailingLaneCount());
    }

    /// <summary>
    /// Throws <see cref="BufferFullException"/> when BufferFullMode is Fail and <paramref name="laneKey"/>'s lane may not
    /// hold another batch in memory.
    /// </summary>
    public void ThrowIfFull(string laneKey)
    {
        if (!_failWhenFull)
        {
            return;
        }

        lock (_lock)
        {
            int held = _lanes.TryGetValue(new LaneId(laneKey, Unrouted: false), out Lane? lane) ? lane.InMemory : 0;
            if (!HasRoomLocked(held, held > 0))
            {
                throw new BufferFullException($"Lane '{laneKey}' holds {Counted.Of(held, "sealed batch")} in memory, not yet delivered ({_inMemory} in all; MaxPendingBatchesPerLane is {_maxInMemoryPerLane} and MaxPendingBatches is {_maxInMemory}): its deliveries are behind or failing. Retry later, use BufferFullMode.Wait, or give the buffer a SpoolDirectory, where batches wait on disk.");
            }
        }
    }

    /// <summary>Whether a batch of <paramref name="sourceId"/> held in memory would be taken now, without waiting for room in its lane.</summary>
    public bool HasRoomFor(string sourceId)
    {
        LaneId laneId = RouteOf(sourceId).Lane;
        lock (_lock)
        {
            int held = _lanes.TryGetValue(laneId, out Lane? lane) ? lane.InMemory : 0;
            return laneId.Unrouted || HasRoomLocked(held, held > 0);
        }
    }

    /// <summary>
    /// Takes a batch, routes it (its lane and route state, unless it has them), and starts its delivery. A batch held in
    /// memory may first wait for room in its lane's share of <see cref="BatchBufferOptions.MaxPendingBatches"/>
    /// (<see cref="WaitsForRoom"/> says which do); the others are taken at once, over the bound if their lane is full. If
    /// the wait is cancelled the batch is still taken (never lost) and the cancellation is thrown.
    /// </summary>
    public async ValueTask AddAsync(PendingBatch batch, (LaneId Lane, object? State) route, CancellationToken cancellationToken)
    {
        bool waitForRoom = WaitsForRoom(batch, route.Lane);
        bool added = false;
        try
        {
            while (true)
            {
                Task changed;
                lock (_lock)
                {
                    Lane lane = LaneLocked(route.Lane);
                    if (!waitForRoom || HasRoomLocked(lane.InMemory, lane.InMemory > 0))
                    {
                        AddLocked(batch, lane, route.State);
                        added = true;
                        return;
                    }

                    changed = _changed.Task;
                }

                await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            if (!added)
            {
                // The wait was cancelled: the batch is still taken (never lost), one over the bound.
                lock (_lock)
                {
                    AddLocked(batch, LaneLocked(route.Lane), route.State);
                }
            }
        }
    }

    /// <summary>
    /// The hand-off rule: whether <paramref name="batch"/> waits for room in <paramref name="lane"/> before it is taken.
    /// Only a batch held in memory and sealed by its size, a flush or the shutdown waits (and so holds up the append or
    /// flush that sealed it). These never wait:
    /// <list type="bullet">
    /// <item>a spooled batch: it holds no memory;</item>
    /// <item>a batch with no route: its lane's kept batches are refused at each retry and give no room back, while the
    /// appends of an unrouted source are refused, so only batches opened before their route went (a bounded number) are
    /// taken over the bound;</item>
    /// <item>a capacity or scheduled seal's batch: the seal chose it where its lane had room (<see cref="HasRoomFor"/>),
    /// but the room may be gone by the hand-off (another seal took it, a reload moved the source). A wait could be for
    /// ever: a lane of refused batches gives room back only when the schedule, the one waiting, tries them again.</item>
    /// </list>
    /// </summary>
    private static bool WaitsForRoom(PendingBatch batch, LaneId lane) =>
        batch.InMemory is not null && !lane.Unrouted && batch.Manifest.Cause is not (SealCause.Capacity or SealCause.Schedule);

    /// <summary>
    /// Tries every parked (permanently refused) batch again; says how many batches with no route are kept, per cause,
    /// when that changed. A spooled batch with no route that the consumer says it would refuse again now
    /// (<see cref="IUnroutedBatchRefusal"/>: its source still has no destination) stays parked, unread. Returns the
    /// batches tried again.
    /// </summary>
    public HashSet<PendingBatch> RetryRefused()
    {
        List<(Lane Lane, int Batches, long Events, int Sources)> unrouted;
        List<PendingBatch> parked;
        lock (_lock)
        {
            parked = [.. _pending.Where(p => p.State == DeliveryState.Parked)];
        }

        // Asked outside the lock (the consumer's code); a batch whose state changed meanwhile is left to its new state.
        HashSet<PendingBatch> stillRefused = _consumer is IUnroutedBatchRefusal refusal
            ? [.. parked.Where(p => p.Lane!.Unrouted && p.InMemory is null && WouldRefuse(refusal, p.Manifest.SourceId))]
            : [];
        HashSet<PendingBatch> asked = [.. parked];
        HashSet<PendingBatch> triedAgain;
        lock (_lock)
        {
            parked = [.. _pending.Where(p => p.State == DeliveryState.Parked)];
            unrouted = UnroutedChangedLocked(parked);

            // A batch parked since the first look was refused a moment ago, and not asked about: it waits for the next round.
            triedAgain = [.. parked.Where(p => asked.Contains(p) && !stillRefused.Contains(p))];
            foreach (PendingBatch batch in triedAgain)
            {
                Start(batch);
            }
        }

        foreach ((Lane lane, int batches, long events, int sources) in unrouted)
        {
            LogEvents.UnroutedKept(_logger, batches, events, sources, lane.Key, lane.LastError?.Message ?? string.Empty);
        }

        return triedAgain;
    }

    /// <summary>The consumer's answer; one that throws (a host's resolver failing, say) is no answer, and the batch is tried as before.</summary>
    private static bool WouldRefuse(IUnroutedBatchRefusal refusal, string sourceId)
    {
        try
        {
            return refusal.WouldRefuseUnrouted(sourceId);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            return false;
        }
    }

    /// <summary>Releases the cancellation source and the slots' timer; call after <see cref="StopAsync"/>.</summary>
    public void Dispose()
    {
        _cancel.Dispose();
        _slots.Dispose();
    }

    /// <summary>
    /// Takes the batches held in memory and not delivered, but those whose journal the spool keeps (the next start's); the
    /// caller owns them. One whose last attempt was left behind at shutdown is handed over as a copy, as that may read it.
    /// </summary>
    public List<SealedBatch> TakeUndelivered()
    {
        lock (_lock)
        {
            var taken = new List<SealedBatch>();
            foreach (PendingBatch batch in _pending.Where(p => p.InMemory is not null && !p.InSpool).ToList()) // a kept journal: the next start's
            {
                SealedBatch content = batch.State == DeliveryState.Uploading ? batch.InMemory!.Copy() : batch.TakeInMemory()!;
                content.Lane = ConsumerLane(batch.Lane, batch.Manifest.SourceId);
                content.RouteState = batch.RouteState;
                taken.Add(content);
                RemoveLocked(batch);
            }

            SignalLocked();
            return taken;
        }
    }

    /// <summary>
    /// The lane and route state of a source now. A source with no route (or whose router throws: its settings broken, or
    /// its customer removed, since the events were appended) keeps its batch, with no route state, for the consumer to
    /// deliver or refuse; such batches share one lane per cause (the rejection's reason, or the exception's type), apart
    /// from every routed lane, so a thousand sources of a removed customer are one failing lane, not a thousand. A batch
    /// is never dropped for its route.
    /// </summary>
    private (LaneId Lane, object? State) RouteOf(string sourceId)
    {
        try
        {
            BatchRoute route = _route(sourceId);
            return (new LaneId(route.Lane, Unrouted: false), route.State);
        }
#pragma warning disable CA1031 // A router's failure must not lose a sealed batch: the consumer refuses it (parked, kept).
        catch (Exception error)
#pragma warning restore CA1031
        {
            string cause = error is Ndjson.EventRejectedException rejected ? rejected.Reason.ToString() : error.GetType().Name;
            return (new LaneId($"(no route: {cause})", Unrouted: true), null);
        }
    }

    /// <summary>The lane a consumer sees on a batch: its lane's key, or, for a batch with no route, its own source id.</summary>
    private static string ConsumerLane(Lane? lane, string sourceId) => lane is { Unrouted: false } ? lane.Key : sourceId;

    /// <summary>
    /// The one rule of the in-memory bound: a lane under <see cref="BatchBufferOptions.MaxPendingBatchesPerLane"/> may hold
    /// one more while the total is under <see cref="BatchBufferOptions.MaxPendingBatches"/>, or while it holds less than its
    /// fair share of that (at least one), so a failing lane fills its own share and never a healthy one's.
    /// </summary>
    private bool HasRoomLocked(int heldByLane, bool laneHolds)
    {
        if (heldByLane >= _maxInMemoryPerLane)
        {
            return false;
        }

        if (_inMemory < _maxInMemory)
        {
            return true;
        }

        int holdingLanes = _lanes.Values.Count(l => l.InMemory > 0) + (laneHolds ? 0 : 1);
        return heldByLane < Math.Max(1, _maxInMemory / Math.Max(1, holdingLanes));
    }

    /// <summary>The lane of <paramref name="id"/>, created on first use with its own pipeline; sweeps idle lanes now and then.</summary>
    private Lane LaneLocked(LaneId id)
    {
        long now = _time.GetTimestamp();
        if (_time.GetElapsedTime(_lastSweep, now) > TimeSpan.FromMinutes(1))
        {
            _lastSweep = now;
            foreach (Lane idle in _lanes.Values.Where(l => l.Undelivered == 0 && _time.GetElapsedTime(l.LastActiveTimestamp, now) > LaneIdleTime).ToList())
            {
                SetFailingSinceLocked(idle, null);
                _lanes.Remove(new LaneId(idle.Key, idle.Unrouted));
            }
        }

        if (!_lanes.TryGetValue(id, out Lane? lane))
        {
            // Like Polly's ResiliencePipelineRegistry, one pipeline per key from one recipe; unlike it, forgotten with
            // the lane when idle, so thousands of customers coming and going never pile up breakers.
            lane = new Lane(id.Key, RetryPipelines.Build(_retryPolicy, IsRetryable, _time), RetryPipelines.BuildCircuitBreaker(IsRetryable, _time)) { LastActiveTimestamp = now, Unrouted = id.Unrouted };
            _lanes.Add(id, lane);
        }

        return lane;
    }

    private void AddLocked(PendingBatch batch, Lane lane, object? routeState)
    {
        batch.Taken?.Invoke();
        batch.Taken = null;
        batch.Lane = lane;
        batch.RouteState = routeState;
        batch.Sequence = ++_sequence;
        if (batch.InMemory is { } content)
        {
            content.Lane = ConsumerLane(lane, batch.Manifest.SourceId);
            content.RouteState = routeState;
            batch.CountsInMemory = true;
            lane.InMemory++;
            _inMemory++;
        }

        lane.Undelivered++;
        lane.UndeliveredEvents += batch.Manifest.EventCount;
        CountSpooledLocked(batch, lane, 1);
        lane.LastActiveTimestamp = _time.GetTimestamp();
        _pending.Add(batch);
        Start(batch);
    }

    /// <summary>Forgets a batch: delivered, or taken by the host.</summary>
    private void RemoveLocked(PendingBatch batch)
    {
        if (!_pending.Remove(batch))
        {
            return;
        }

        Lane lane = batch.Lane!;
        lane.Undelivered--;
        lane.UndeliveredEvents -= batch.Manifest.EventCount;
        CountSpooledLocked(batch, lane, -1);
        lane.LastActiveTimestamp = _time.GetTimestamp();
        if (batch.CountsInMemory)
        {
            batch.CountsInMemory = false;
            lane.InMemory--;
            _inMemory--;
        }
    }

    /// <summary>A lane's identity: a routed lane by its router's key; the lane of the batches with no route by its cause, apart from every routed key.</summary>
    internal readonly record struct LaneId(string Key, bool Unrouted);

    private void SignalLocked()
    {
        TaskCompletionSource changed = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
    }
}
