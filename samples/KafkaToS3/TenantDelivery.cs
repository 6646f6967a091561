using System.Collections.Concurrent;
using Amazon.Runtime;
using Microsoft.Extensions.Logging;
using Polly.CircuitBreaker;
using RawDataDestination.Batching;
using RawDataDestination.Routing;
using RawDataDestination.Staging;

namespace RawDataDestination.KafkaToS3;

/// <summary>
/// Delivers the batches of one window, each to its tenant's bucket, up to <see cref="KafkaToS3Options.MaxConcurrentDeliveries"/>
/// at once: through the library's <see cref="DestinationRouter"/> (one attempt per call), the tenant's retry and circuit
/// breaker (<see cref="TenantBreakers"/>), and, when that fails or the circuit is open, the operator's staging bucket.
/// </summary>
/// <remarks>
/// Routing is the router's: <see cref="Route"/> is <see cref="DestinationRouter.Route"/>, so a source no tenant lists is
/// refused with <see cref="Ndjson.EventRejectionReason.NoDestination"/> and sent nowhere. The direct attempt is not
/// cancelled by a stop: it is bounded by the destination's connect and response timeouts, and a window whose batches are
/// all delivered or staged is committed. A stop waits for a window at most <see cref="KafkaToS3Options.DirectStepAside"/>
/// from its signal, for all its batches together (a window of 40 slow customers, 8 at a time, took 5 step-asides): what
/// is not delivered or staged by then is left, and the window with it, uncommitted. A direct attempt is waited for only <see cref="KafkaToS3Options.DirectStepAside"/>,
/// whether the tenant delivered before or not (a customer that was healthy and went silent is the usual way an endpoint
/// stops answering): then its batch is staged (without a stage, its window held and tried again later) and the attempt
/// goes on without the window (the same key and bytes either way, so the copier's later PUT of the staged copy, or the
/// held window's next try, finds the object there, or writes the same bytes). While it goes on, the tenant's next batches
/// are staged (or their windows held) at once: one attempt at a time finds out when the customer answers again. A held
/// window's next try counts a batch whose attempt went on and delivered as delivered, without a second PUT
/// (<see cref="RoutedBatch.DirectGoingOn"/>). Such attempts are cancelled when the delivery is disposed.
/// </remarks>
internal sealed partial class TenantDelivery : IAsyncDisposable
{
    private readonly DestinationRouter _router;
    private readonly IDisposable? _resolver;
    private readonly StagedDelivery? _stage;
    private readonly TenantBreakers _breakers;
    private readonly int _maxConcurrent;
    private readonly TimeSpan _stepAside;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Whether each tenant's last direct attempt delivered; a tenant not in it has had none yet. Guarded by itself.</summary>
    private readonly Dictionary<string, bool> _proven = new(StringComparer.Ordinal);

    /// <summary>When each tenant's last direct attempt that delivered ended; guarded by <see cref="_proven"/>.</summary>
    private readonly Dictionary<string, DateTimeOffset> _deliveredAt = new(StringComparer.Ordinal);

    /// <summary>Each tenant's bucket (without its path prefix), by the tenant's name.</summary>
    private readonly IReadOnlyDictionary<string, string> _buckets;

    /// <summary>Each tenant's last direct failure when it was a refusal retrying cannot fix; guarded by <see cref="_proven"/>.</summary>
    private readonly Dictionary<string, Exception> _refusedBy = new(StringComparer.Ordinal);

    /// <summary>What each tenant's last direct attempt that did not deliver met, in the tenants file's words; guarded by <see cref="_proven"/>.</summary>
    private readonly Dictionary<string, string> _lastFailure = new(StringComparer.Ordinal);

    /// <summary>Direct attempts that went on after their batch was staged, with their tenants; each holds its batch until it ends.</summary>
    private readonly ConcurrentDictionary<Task, string> _goingOn = new();

    /// <summary>Cancels the attempts that went on, when the delivery is disposed: their batches are staged.</summary>
    private readonly CancellationTokenSource _abandon = new();

    /// <summary>Writes to the staging bucket that went on after their window stopped waiting; each holds its batch until it ends.</summary>
    private readonly ConcurrentDictionary<Task, string> _stagingGoingOn = new();

    /// <summary>A refusal of the staging bucket met by a write that went on after its window stopped waiting; thrown by the next write.</summary>
    private StageRefusedException? _stageRefused;

    private long _objectsUploaded;
    private long _batchesStaged;

    /// <summary>Creates the delivery of windows; it owns <paramref name="router"/>, <paramref name="resolver"/> and <paramref name="stage"/> and disposes them.</summary>
    /// <exception cref="ArgumentException">A setting of <paramref name="options"/> is out of its range (<see cref="KafkaToS3Options.ThrowIfInvalid"/>).</exception>
    /// <param name="router">The tenants' destinations.</param>
    /// <param name="resolver">What <paramref name="router"/> resolves through, disposed with it.</param>
    /// <param name="stage">The operator's staging bucket, or <see langword="null"/>.</param>
    /// <param name="options">The worker's options.</param>
    /// <param name="time">The clock. <see langword="null"/>: the system's.</param>
    /// <param name="loggers">Where deliveries are logged. <see langword="null"/>: nowhere.</param>
    /// <param name="buckets">Each tenant's bucket, by its name, for the lines about a bucket that went away. <see langword="null"/>: none known.</param>
    public TenantDelivery(DestinationRouter router, IDisposable? resolver, StagedDelivery? stage, KafkaToS3Options options, TimeProvider? time = null, ILoggerFactory? loggers = null, IReadOnlyDictionary<string, string>? buckets = null)
    {
        options.ThrowIfInvalid();
        _router = router;
        _resolver = resolver;
        _stage = stage;
        _maxConcurrent = options.MaxConcurrentDeliveries;
        _stepAside = options.DirectStepAside;
        _time = time ?? TimeProvider.System;
        _logger = (loggers ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger<TenantDelivery>();
        _buckets = buckets ?? new Dictionary<string, string>();
        _breakers = new TenantBreakers(options, _time, _logger, staging: stage is not null, Explain);
    }

    /// <summary>
    /// Builds the library's <see cref="TenantDestinationResolver"/> (fixed tenants) and <see cref="DestinationRouter"/> over
    /// <paramref name="tenants"/>, and the stage when <paramref name="staging"/> is given.
    /// </summary>
    /// <param name="options">The worker's options (concurrency, retries, breaker).</param>
    /// <param name="tenants">The customers, checked (see <see cref="TenantsFile"/>).</param>
    /// <param name="staging">The operator's staging bucket, or <see langword="null"/> to hold windows instead.</param>
    /// <param name="baseCredentials">The service's own credentials for STS. <see langword="null"/>: the AWS SDK's default chain.</param>
    /// <param name="stagingCredentials">The service's own credentials for the staging bucket. <see langword="null"/>: the AWS SDK's default chain.</param>
    /// <param name="time">The clock of the breakers, credentials and copiers. <see langword="null"/>: the system's.</param>
    /// <param name="loggers">Where deliveries are logged. <see langword="null"/>: nowhere.</param>
    /// <exception cref="ArgumentException">A setting of <paramref name="options"/> is out of its range, the staging settings are invalid, or a customer's staged keys would be too long.</exception>
    public static TenantDelivery Create(KafkaToS3Options options, TenantDestinationsOptions tenants, StagingOptions? staging, AWSCredentials? baseCredentials, AWSCredentials? stagingCredentials, TimeProvider? time, ILoggerFactory? loggers)
    {
        options.ThrowIfInvalid(); // before any client is built
        loggers ??= Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;
        time ??= TimeProvider.System;
        var resolver = new TenantDestinationResolver(tenants, loggers.CreateLogger<TenantDestinationResolver>());
        var router = new DestinationRouter(resolver, null, baseCredentials, time, loggers);
        try
        {
            StagedDelivery? stage = staging is null ? null : new StagedDelivery(
                staging,
                tenants.Tenants.Select(t => resolver.Resolve(t.Sources[0])!).DistinctBy(d => d.Tenant),
                stagingCredentials,
                baseCredentials,
                time,
                loggers,
                new CopierShare(options.Topic),
                SourcesByTenant(tenants, resolver));
            var buckets = tenants.Tenants
                .Where(t => t.Sources.Count > 0)
                .Select(t => resolver.Resolve(t.Sources[0])!)
                .DistinctBy(d => d.Tenant)
                .ToDictionary(d => d.Tenant, d => d.Options.Bucket.Split('/', 2)[0], StringComparer.Ordinal);
            return new TenantDelivery(router, resolver, stage, options, time, loggers, buckets);
        }
        catch
        {
            router.Dispose();
            resolver.Dispose();
            throw;
        }
    }

    /// <summary>Each tenant's sources, by the tenant's name (as the resolver names it).</summary>
    private static Dictionary<string, IReadOnlySet<string>> SourcesByTenant(TenantDestinationsOptions tenants, TenantDestinationResolver resolver) =>
        tenants.Tenants
            .Where(t => t.Sources.Count > 0)
            .GroupBy(t => resolver.Resolve(t.Sources[0])!.Tenant, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlySet<string>)g.SelectMany(t => t.Sources).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);

    /// <summary>Gets whether batches a customer's bucket does not take go to a staging bucket.</summary>
    public bool Stages => _stage is not null;

    /// <summary>Gets the number of staged batches the worker's copiers delivered to customers' buckets.</summary>
    public long CopiedFromStage => _stage?.Copied ?? 0;

    /// <summary>
    /// Gets how many batches S3 confirmed in customers' buckets, delivered directly: counted as each one lands, so a
    /// window dropped by a stage's refusal, or a quit at once, still counts what of it is there.
    /// </summary>
    public long ObjectsUploaded => Interlocked.Read(ref _objectsUploaded);

    /// <summary>Gets how many batches the staging bucket took: counted as each one lands (see <see cref="ObjectsUploaded"/>).</summary>
    public long BatchesStaged => Interlocked.Read(ref _batchesStaged);

    /// <summary>Counts the batches left in the stage for the tenants' buckets, or says why not (no stage, a listing that failed); never throws.</summary>
    public Task<StageLeft> CountLeftInStageAsync(CancellationToken cancellationToken) => _stage?.CountLeftAsync(cancellationToken) ?? Task.FromResult(StageLeft.NotListedFor("no --stage-bucket"));

    /// <summary>Gets the tenant of <paramref name="sourceId"/>.</summary>
    /// <exception cref="Ndjson.EventRejectedException">No tenant lists the source (<see cref="Ndjson.EventRejectionReason.NoDestination"/>).</exception>
    public TenantDestination Route(string sourceId)
    {
        try
        {
            return (TenantDestination)_router.Route(sourceId).State!;
        }
        catch (Ndjson.EventRejectedException refused) when (refused.Reason == Ndjson.EventRejectionReason.NoDestination)
        {
            // The library's fix names its options ("a tenant's Sources") and a resolver that follows changes; the worker
            // reads its tenants file once, and the file refuses a source listed twice, so no tenant listing it is the one case.
            throw new Ndjson.EventRejectedException(
                Ndjson.EventRejectionReason.NoDestination,
                $"Source '{sourceId}' has no tenant: no tenant in the --tenants file lists it in its \"sources\". Its records are refused, sent nowhere and committed past; to deliver the ones that come later, add it to its tenant's \"sources\" and restart the worker (it reads the file at start).",
                refused);
        }
    }

    /// <summary>
    /// Throws the refusal a write to the staging bucket met after its window had stopped waiting for it (the window is
    /// held, uncommitted): the worker stops on it as on any refusal of the staging bucket, also when it is stopping anyway.
    /// </summary>
    /// <exception cref="StageRefusedException">The staging bucket refused a batch for a reason retrying cannot fix.</exception>
    public void ThrowIfStageRefused()
    {
        if (Interlocked.Exchange(ref _stageRefused, null) is { } refused)
        {
            throw refused;
        }
    }

    /// <summary>
    /// Notes the partitions the group gave this worker: its copiers take the staged batches cut from them
    /// (<see cref="CopierShare"/>), and make a pass over what earlier runs, or the partitions' earlier owners, left staged.
    /// </summary>
    public void Hold(IEnumerable<int> partitions) => _stage?.Hold(partitions);

    /// <summary>Notes the partitions the group took from this worker (revoked, or lost): their staged batches are their new owners' to copy.</summary>
    public void Release(IEnumerable<int> partitions) => _stage?.Release(partitions);

    /// <summary>Delivers a window's batches, concurrently; returns where each one ended up, in order.</summary>
    /// <param name="batches">The window's batches.</param>
    /// <param name="stopWaitOver">
    /// Cancelled when a stop's wait for the delivery under way is over (<see cref="KafkaToS3Options.DirectStepAside"/>
    /// after the signal, one deadline for every batch of the window, not one step-aside per batch): from then on nothing
    /// more is sent, staged or waited for, and each batch not yet delivered or staged ends <see cref="BatchOutcome.NotDelivered"/>
    /// (its window is held, and dropped uncommitted by the stop; an attempt under way goes on without it, as after a step-aside).
    /// </param>
    /// <exception cref="StageRefusedException">The staging bucket refused a batch for a reason retrying cannot fix.</exception>
    public async Task<BatchOutcome[]> DeliverAsync(IReadOnlyList<RoutedBatch> batches, CancellationToken stopWaitOver)
    {
        var outcomes = new BatchOutcome[batches.Count];

        // The loop is not cancelled by a stop: each batch started after the stop's wait is over ends at once, not sent, and
        // a PUT under way is never cancelled by it (its object would then land uncounted).
        await Parallel.ForEachAsync(
            Enumerable.Range(0, batches.Count),
            new ParallelOptions { MaxDegreeOfParallelism = _maxConcurrent },
            async (i, _) => outcomes[i] = Counted(await DeliverAsync(batches[i], stopWaitOver)));
        return outcomes;
    }

    /// <summary>Counts a batch that landed, in a customer's bucket or the stage, as it lands; returns <paramref name="outcome"/>.</summary>
    private BatchOutcome Counted(BatchOutcome outcome)
    {
        if (outcome == BatchOutcome.Delivered)
        {
            Interlocked.Increment(ref _objectsUploaded);
            WorkerMetrics.ObjectsUploaded.Add(1);
        }
        else if (outcome == BatchOutcome.Staged)
        {
            Interlocked.Increment(ref _batchesStaged);
            WorkerMetrics.BatchesStaged.Add(1);
        }

        return outcome;
    }

    public async ValueTask DisposeAsync()
    {
        // The attempts that went on hold staged batches: cancel them, and let them end before their clients go.
        await _abandon.CancelAsync();
        await Task.WhenAll(_goingOn.Keys);
        await Task.WhenAll(_stagingGoingOn.Keys);
        _abandon.Dispose();
        if (_stage is not null)
        {
            await _stage.DisposeAsync();
        }

        await _breakers.DisposeAsync();
        _router.Dispose();
        _resolver?.Dispose();
    }

    private async Task<BatchOutcome> DeliverAsync(RoutedBatch routed, CancellationToken stopWaitOver)
    {
        if (routed.DirectGoingOn is { IsCompleted: true } attempt)
        {
            // A direct attempt of this very batch went on after its window stopped waiting: once it delivered, the batch
            // is in the customer's bucket, and a second PUT would only upload it again.
            routed.DirectGoingOn = null;
            if (attempt.IsCompletedSuccessfully)
            {
                Log.DeliveredLate(_logger, routed.Tenant, routed.Batch.FileName);
                return BatchOutcome.Delivered;
            }
        }

        if (routed.StagingGoingOn is { } earlier)
        {
            // A write of this very batch to the staging bucket went on after its window stopped waiting: wait for it (the
            // window stays held) rather than send or stage the batch a second time, and count it once it landed.
            if (!earlier.IsCompleted)
            {
                Log.StillStaging(_logger, routed.Tenant, routed.Batch.FileName);
                return NotStaged(routed, $"the staging bucket has not answered its write (waited for {Seconds(_stepAside)} at first)");
            }

            routed.StagingGoingOn = null;
            if (earlier.IsCompletedSuccessfully)
            {
                Log.StagedLate(_logger, routed.Tenant, routed.Batch.FileName);
                return BatchOutcome.Staged;
            }

            // It failed: the batch is tried again as any other (a refusal was kept, and is thrown before it is staged).
        }

        if (stopWaitOver.IsCancellationRequested)
        {
            // The stop has waited for this window as long as it waits: nothing more is sent; the next run delivers it.
            routed.Failure = $"not sent: {StopWaitEnded}";
            return BatchOutcome.NotDelivered;
        }

        if (_goingOn.Values.Contains(routed.Tenant, StringComparer.Ordinal))
        {
            // The tenant has not answered an earlier batch yet: one attempt at a time is enough to find out when it does.
            if (_stage is null)
            {
                Log.HeldBehindAttempt(_logger, routed.Tenant, routed.Batch.FileName);
                routed.Failure = LastFailure(routed.Tenant) ?? $"an earlier batch's direct attempt has had no answer for {Seconds(_stepAside)} or more";
                return BatchOutcome.NotDelivered;
            }

            Log.StagedBehindAttempt(_logger, routed.Tenant, routed.Batch.FileName);
            return await StageAsync(routed, stopWaitOver);
        }

        Task direct = DirectAsync(routed);
        Waited waited = await WaitAsync(direct, stopWaitOver);
        if (waited == Waited.StopWaitOver)
        {
            // The stop's wait ended before the customer answered: the attempt goes on without its window, which the stop
            // leaves uncommitted; nothing is staged now (a write would be waited for past the stop's bound).
            GoOnWithoutWindow(direct, routed, _goingOn, static attempt => _ = attempt.Exception);
            routed.DirectGoingOn = direct;
            routed.Failure = $"no answer yet when {StopWaitEnded}";
            return BatchOutcome.NotDelivered;
        }

        if (waited == Waited.SteppedAside)
        {
            // The tenant has not answered in time: its batch is staged (or, without a stage, its window held), and the window
            // does not wait for it. Not even for a tenant that delivered until now: one that goes silent would otherwise hold
            // the worker's loop, and with it every partition, for its response timeout.
            GoOnWithoutWindow(direct, routed, _goingOn, static attempt => _ = attempt.Exception); // observed: its outcome was counted by DirectAsync
            routed.DirectGoingOn = direct;
            NoteNoAnswer(routed.Tenant);
            if (_stage is null)
            {
                Log.HeldSteppedAside(_logger, routed.Tenant, routed.Batch.FileName, _stepAside);
                routed.Failure = LastFailure(routed.Tenant);
                return BatchOutcome.NotDelivered;
            }

            Log.SteppedAside(_logger, routed.Tenant, routed.Batch.FileName, _stepAside);
            return await StageAsync(routed, stopWaitOver);
        }

        try
        {
            await direct;
            return BatchOutcome.Delivered;
        }
        catch (Exception error)
        {
            bool open = error is BrokenCircuitException or IsolatedCircuitException;
            if (_stage is null)
            {
                if (!open)
                {
                    Log.NotDelivered(_logger, routed.Tenant, routed.Batch.FileName, Explain(routed.Tenant, error));
                }

                routed.Refusal = PermanentRefusal(error, routed.Tenant);
                routed.Failure = open ? LastFailure(routed.Tenant) ?? "its circuit is open after failed attempts" : Explain(routed.Tenant, error);
                return routed.Refusal is null ? BatchOutcome.NotDelivered : BatchOutcome.Refused;
            }

            if (!open)
            {
                Log.Staging(_logger, routed.Tenant, routed.Batch.FileName, Explain(routed.Tenant, error));
            }

            return await StageAsync(routed, stopWaitOver);
        }
    }

    /// <summary>How a wait for a direct attempt or a staging write ended.</summary>
    private enum Waited
    {
        /// <summary>The attempt or write ended (delivered, staged, or failed).</summary>
        Ended,

        /// <summary>It had not ended within <see cref="KafkaToS3Options.DirectStepAside"/>.</summary>
        SteppedAside,

        /// <summary>It had not ended when a stop's wait for the window was over.</summary>
        StopWaitOver,
    }

    /// <summary>What a batch's failure says when the stop's wait for its window ended before it was delivered or staged.</summary>
    private string StopWaitEnded => $"the stop's wait for the window ended ({Seconds(_stepAside)} after the signal, --direct-step-aside)";

    /// <summary>
    /// Waits for <paramref name="write"/> at most <see cref="KafkaToS3Options.DirectStepAside"/>, and not past the end of a
    /// stop's wait (<paramref name="stopWaitOver"/>); says which came first.
    /// </summary>
    private async Task<Waited> WaitAsync(Task write, CancellationToken stopWaitOver)
    {
        if (write.IsCompleted)
        {
            return Waited.Ended;
        }

        if (stopWaitOver.IsCancellationRequested)
        {
            return Waited.StopWaitOver;
        }

        using var ended = new CancellationTokenSource();
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task first;
        using (stopWaitOver.Register(static state => ((TaskCompletionSource)state!).TrySetResult(), stopped))
        {
            Task stepAside = Task.Delay(_stepAside, _time, ended.Token);
            first = await Task.WhenAny(write, stepAside, stopped.Task);
            await ended.CancelAsync();
        }

        return first == write ? Waited.Ended : stopWaitOver.IsCancellationRequested ? Waited.StopWaitOver : Waited.SteppedAside;
    }

    /// <summary>One direct delivery through the tenant's pipeline; its outcome proves the tenant, or not.</summary>
    private async Task DirectAsync(RoutedBatch routed)
    {
        try
        {
            await _breakers.ExecuteAsync(routed.Tenant, token => _router.ConsumeAsync(routed.Batch, token), _abandon.Token);
            NoteDirectOutcome(routed.Tenant, delivered: true, error: null);
        }
        catch (Exception error) when (error is not (BrokenCircuitException or IsolatedCircuitException) && !_abandon.IsCancellationRequested)
        {
            NoteDirectOutcome(routed.Tenant, delivered: false, error);
            throw;
        }
    }

    /// <summary>
    /// The refusal retrying cannot fix behind <paramref name="error"/> (<see cref="IDeliveryRefusal.IsPermanent"/>), or,
    /// when the tenant's circuit is open (no attempt was made), behind its last direct attempt; otherwise <see langword="null"/>.
    /// </summary>
    private Exception? PermanentRefusal(Exception error, string tenant)
    {
        if (error is BrokenCircuitException or IsolatedCircuitException)
        {
            lock (_proven)
            {
                return _refusedBy.GetValueOrDefault(tenant);
            }
        }

        for (Exception? current = error; current is not null; current = current.InnerException)
        {
            if (current is IDeliveryRefusal refusal)
            {
                return refusal.IsPermanent ? current : null;
            }
        }

        return null;
    }

    /// <summary>Records a direct attempt's outcome; the first success after a failure tells the tenant's copier to try its parked batches at once.</summary>
    private void NoteDirectOutcome(string tenant, bool delivered, Exception? error)
    {
        bool recovered;
        lock (_proven)
        {
            recovered = delivered && _proven.TryGetValue(tenant, out bool was) && !was;
            _proven[tenant] = delivered;
            if (delivered)
            {
                _deliveredAt[tenant] = _time.GetUtcNow();
            }

            if (error is not null)
            {
                _lastFailure[tenant] = Explain(tenant, error);
            }
            else
            {
                _lastFailure.Remove(tenant);
            }

            if (error is not null && PermanentRefusal(error, tenant) is { } refusal)
            {
                _refusedBy[tenant] = refusal;
            }
            else
            {
                _refusedBy.Remove(tenant);
            }
        }

        if (recovered)
        {
            _stage?.NoteRecovered(tenant);
        }
    }

    /// <summary>
    /// What <paramref name="error"/> of a direct attempt of <paramref name="tenant"/> means, in the tenants file's words
    /// (<see cref="TenantWords.Explain"/>); but a bucket that does not exist, into which this worker delivered earlier in
    /// the run, is said to have gone (the customer deleted or renamed it), not to be misspelt in the file, which the
    /// worker read at start and has not changed since.
    /// </summary>
    internal string Explain(string tenant, Exception error)
    {
        DateTimeOffset? deliveredAt;
        lock (_proven)
        {
            deliveredAt = _deliveredAt.TryGetValue(tenant, out DateTimeOffset at) ? at : null;
        }

        if (deliveredAt is { } last && IsNoSuchBucket(error))
        {
            string bucket = _buckets.TryGetValue(tenant, out string? name) ? $"'{name}' " : string.Empty;
            string then = _stage is null ? "the windows waiting for it are delivered" : "its batches staged meanwhile are delivered from the staging bucket";
            return $"The customer's bucket {bucket}does not exist any more (NoSuchBucket), though this worker delivered into it until {last.UtcDateTime.ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture)} UTC: " +
                $"the customer may have deleted or renamed it; ask them to create it again (with its role's access to it): {then} once it exists";
        }

        return TenantWords.Explain(error);
    }

    /// <summary>Whether S3 answered that the bucket does not exist.</summary>
    private static bool IsNoSuchBucket(Exception error)
    {
        for (Exception? current = error; current is not null; current = current.InnerException)
        {
            if (current is S3.DestinationException { ErrorCode: "NoSuchBucket" })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Records that a direct attempt of <paramref name="tenant"/> had no answer within the step-aside (it goes on).</summary>
    private void NoteNoAnswer(string tenant)
    {
        lock (_proven)
        {
            _lastFailure[tenant] = $"no answer within {Seconds(_stepAside)}";
        }
    }

    /// <summary>What the tenant's last direct attempt that did not deliver met, or <see langword="null"/>.</summary>
    private string? LastFailure(string tenant)
    {
        lock (_proven)
        {
            return _lastFailure.GetValueOrDefault(tenant);
        }
    }

    /// <summary>A batch neither delivered nor staged: its <see cref="RoutedBatch.Failure"/> says why the customer's bucket did not take it, and why the stage did not.</summary>
    private BatchOutcome NotStaged(RoutedBatch routed, string why)
    {
        routed.Failure = (LastFailure(routed.Tenant) is { } direct ? direct.TrimEnd('.') + "; and not staged: " : "not staged: ") + why;
        return BatchOutcome.NotDelivered;
    }

    /// <summary>A duration as the worker's flags give it: <c>2 s</c>.</summary>
    internal static string Seconds(TimeSpan duration) => duration.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) + " s";

    /// <summary>
    /// Writes the batch to the staging bucket; a failure that retrying may fix holds its window. A write is waited for
    /// only <see cref="KafkaToS3Options.DirectStepAside"/>, as a direct attempt is, whether the staging bucket took the
    /// last one or not (one that worked and goes silent is the usual way it stops answering): then the window is held
    /// and the write goes on without it, and while it goes on the next batches' windows are held at once; the held
    /// window's next try waits for that write (<see cref="RoutedBatch.StagingGoingOn"/>) and counts the batch staged once
    /// it landed, rather than writing it again. So a staging
    /// bucket that never answers costs the worker's loop (every partition) and a stop the step-aside per probe, not its
    /// client's timeouts and the SDK's retries.
    /// </summary>
    /// <exception cref="StageRefusedException">The staging bucket refused the batch (or an earlier one whose window had moved on) for a reason retrying cannot fix.</exception>
    private async Task<BatchOutcome> StageAsync(RoutedBatch routed, CancellationToken stopWaitOver)
    {
        ThrowIfStageRefused();
        if (stopWaitOver.IsCancellationRequested)
        {
            return NotStaged(routed, StopWaitEnded);
        }

        if (!_stagingGoingOn.IsEmpty)
        {
            // The staging bucket has not answered an earlier batch yet: one write at a time finds out when it does.
            Log.StageBusy(_logger, routed.Tenant, routed.Batch.FileName);
            return NotStaged(routed, $"the staging bucket has not answered an earlier write (waited for {Seconds(_stepAside)} at first)");
        }

        Task staging = StageCoreAsync(routed);
        Waited waited = await WaitAsync(staging, stopWaitOver);
        if (waited != Waited.Ended)
        {
            GoOnWithoutWindow(staging, routed, _stagingGoingOn, write =>
            {
                if (write.Exception?.InnerException is StageRefusedException late)
                {
                    _stageRefused = late;
                }
            });
            routed.StagingGoingOn = staging;
            if (waited == Waited.StopWaitOver)
            {
                return NotStaged(routed, $"the staging bucket had not answered when {StopWaitEnded}");
            }

            Log.StageSteppedAside(_logger, routed.Tenant, routed.Batch.FileName, _stepAside);
            return NotStaged(routed, $"the staging bucket had no answer within {Seconds(_stepAside)}");
        }

        try
        {
            await staging;
            return BatchOutcome.Staged;
        }
        catch (Exception error) when (error is not StageRefusedException)
        {
            string why = _stage!.ExplainNotStaged(error);
            Log.StagingFailed(_logger, error, routed.Tenant, routed.Batch.FileName, why);
            return NotStaged(routed, why);
        }
    }

    /// <summary>
    /// Lets <paramref name="write"/> go on after its window stopped waiting for it: it holds the batch until it ends, then
    /// <paramref name="ended"/> sees its outcome, and it stays in <paramref name="goingOn"/> (which dispose waits for) until then.
    /// </summary>
    private static void GoOnWithoutWindow(Task write, RoutedBatch routed, ConcurrentDictionary<Task, string> goingOn, Action<Task> ended)
    {
        RoutedBatch held = routed.Retain();
        Task tracked = write.ContinueWith(
            (finished, state) =>
            {
                ended(finished);
                ((RoutedBatch)state!).Dispose();
            },
            held,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        goingOn.TryAdd(tracked, routed.Tenant);
        _ = tracked.ContinueWith(done => goingOn.TryRemove(done, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>One write to the staging bucket, cancelled when the delivery is disposed.</summary>
    private Task StageCoreAsync(RoutedBatch routed) => _stage!.StageAsync(routed, _abandon.Token);

    private static partial class Log
    {
        [LoggerMessage(30, LogLevel.Information, "Tenant {Tenant}: batch {File} not delivered ({Error}); it goes to the staging bucket")]
        public static partial void Staging(ILogger logger, string tenant, string file, string error);

        [LoggerMessage(31, LogLevel.Warning, "Tenant {Tenant}: batch {File} not delivered ({Error}); its window waits and is tried again")]
        public static partial void NotDelivered(ILogger logger, string tenant, string file, string error);

        [LoggerMessage(32, LogLevel.Warning, "Tenant {Tenant}: batch {File} could not be staged either: {Why}. Its window waits and is tried again")]
        public static partial void StagingFailed(ILogger logger, Exception exception, string tenant, string file, string why);

        [LoggerMessage(33, LogLevel.Information, "Tenant {Tenant}: batch {File} had no answer within {StepAside}; it goes to the staging bucket, and the direct attempt goes on without its window")]
        public static partial void SteppedAside(ILogger logger, string tenant, string file, TimeSpan stepAside);

        [LoggerMessage(35, LogLevel.Warning, "Tenant {Tenant}: batch {File} had no answer from the staging bucket within {StepAside}; its window waits and is tried again, and the write goes on without it")]
        public static partial void StageSteppedAside(ILogger logger, string tenant, string file, TimeSpan stepAside);

        [LoggerMessage(36, LogLevel.Information, "Tenant {Tenant}: batch {File} is not staged now: the staging bucket has not answered an earlier batch yet; its window waits and is tried again")]
        public static partial void StageBusy(ILogger logger, string tenant, string file);

        [LoggerMessage(34, LogLevel.Information, "Tenant {Tenant}: batch {File} goes to the staging bucket at once: the direct attempt of an earlier batch has had no answer yet")]
        public static partial void StagedBehindAttempt(ILogger logger, string tenant, string file);

        [LoggerMessage(37, LogLevel.Warning, "Tenant {Tenant}: batch {File} had no answer within {StepAside}; without a staging bucket its window waits and is tried again, and the direct attempt goes on without it")]
        public static partial void HeldSteppedAside(ILogger logger, string tenant, string file, TimeSpan stepAside);

        [LoggerMessage(39, LogLevel.Information, "Tenant {Tenant}: batch {File} is still being written to the staging bucket by an earlier try; its window waits for that write instead of writing it again")]
        public static partial void StillStaging(ILogger logger, string tenant, string file);

        [LoggerMessage(43, LogLevel.Information, "Tenant {Tenant}: batch {File} was staged by a write that went on after its window stopped waiting; counted staged, not written again")]
        public static partial void StagedLate(ILogger logger, string tenant, string file);

        [LoggerMessage(44, LogLevel.Information, "Tenant {Tenant}: batch {File} was delivered by a direct attempt that went on after its window stopped waiting; counted delivered, not sent again")]
        public static partial void DeliveredLate(ILogger logger, string tenant, string file);

        [LoggerMessage(38, LogLevel.Information, "Tenant {Tenant}: batch {File} is not sent now: the direct attempt of an earlier batch has had no answer yet; its window waits and is tried again")]
        public static partial void HeldBehindAttempt(ILogger logger, string tenant, string file);
    }
}
