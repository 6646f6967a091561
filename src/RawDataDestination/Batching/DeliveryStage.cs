using Microsoft.Extensions.Logging;
using Polly;
using RawDataDestination.Internal;
using RawDataDestination.S3;
using RawDataDestination.Spool;

namespace RawDataDestination.Batching;

/// <summary>
/// Delivers pending batches: each on its own, through the one retry pipeline (<see cref="RetryPipelines"/>), with at
/// most <see cref="BatchBufferOptions.MaxConcurrentUploads"/> attempts under way at once. A failing batch backs off
/// and retries continuously while the others go on; a batch refused permanently is parked and tried again when
/// <see cref="RetryRefused"/> is called (scheduled seal, flush, shutdown). With a spool, a batch's bytes are loaded from
/// disk for each attempt; without one, the batches kept in memory are bounded by
/// <see cref="BatchBufferOptions.MaxPendingBatches"/>.
/// </summary>
internal sealed partial class DeliveryStage : IDisposable
{
    private readonly ISealedBatchConsumer _consumer;
    private readonly BatchSpool? _spool;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _pipeline;
    private readonly ResiliencePipeline _attemptTimeout;
    private readonly SemaphoreSlim _uploadSlots;
    private readonly int _maxInMemory;
    private readonly bool _failWhenFull;
    private readonly TimeSpan _retryBudget;
    private readonly object _lock = new();
    private readonly List<PendingBatch> _pending = [];
    private readonly HashSet<Task> _running = [];
    private readonly CancellationTokenSource _cancel = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _deliveredBatches;
    private long _deliveredEvents;
    private Exception? _lastError;
    private DateTimeOffset? _lastErrorAt;
    private DateTimeOffset? _lastDeliveredAt;

    private readonly Action<BatchReceipt>? _batchDelivered;

    public DeliveryStage(BatchBufferOptions options, ISealedBatchConsumer consumer, BatchSpool? spool, TimeProvider time, ILogger logger)
    {
        _consumer = consumer;
        _batchDelivered = options.BatchDelivered;
        _spool = spool;
        _time = time;
        _logger = logger;
        _uploadSlots = new SemaphoreSlim(options.MaxConcurrentUploads, options.MaxConcurrentUploads);
        _maxInMemory = options.MaxPendingBatches;
        _failWhenFull = options.BufferFullMode == BufferFullMode.Fail;
        _retryBudget = options.RetryBudget;
        _pipeline = RetryPipelines.Build(
            new DeliveryRetryPolicy(options.RetryBaseDelay, options.RetryMaxDelay, Timeout.InfiniteTimeSpan, TimeLimit: null, CircuitBreaker: true),
            static (error, cancellationToken) => !cancellationToken.IsCancellationRequested && !IsPermanent(error),
            time);

        // The attempt timeout starts once the attempt has an upload slot: waiting behind other batches is not failing.
        _attemptTimeout = RetryPipelines.BuildAttemptTimeout(options.AttemptTimeout, time);
    }

    public long DeliveredBatches => Interlocked.Read(ref _deliveredBatches);

    /// <summary>Gets the batches held in memory, not delivered.</summary>
    public int InMemoryCount
    {
        get
        {
            lock (_lock)
            {
                return _pending.Count(p => p.InMemory is not null);
            }
        }
    }

    /// <summary>Throws <see cref="BufferFullException"/> when in-memory batches are at their bound and BufferFullMode is Fail.</summary>
    public void ThrowIfFull()
    {
        if (_failWhenFull && InMemoryCount >= _maxInMemory)
        {
            throw new BufferFullException($"{InMemoryCount} sealed batches are held in memory, not yet delivered (MaxPendingBatches is {_maxInMemory}): deliveries are behind or failing. Retry later, use BufferFullMode.Wait, or give the buffer a SpoolDirectory, where batches wait on disk.");
        }
    }

    /// <summary>
    /// Takes a batch and starts its delivery. A batch held in memory first waits for room under
    /// <see cref="BatchBufferOptions.MaxPendingBatches"/>; if that wait is cancelled the batch is still taken (never
    /// lost) and the cancellation is thrown.
    /// </summary>
    public async ValueTask AddAsync(PendingBatch batch, CancellationToken cancellationToken)
    {
        bool added = false;
        try
        {
            while (true)
            {
                Task changed;
                lock (_lock)
                {
                    // Room is checked and taken under one lock: two partitions sealing at once cannot both pass a
                    // bound with one place left.
                    if (batch.InMemory is null || _pending.Count(p => p.InMemory is not null) < _maxInMemory)
                    {
                        _pending.Add(batch);
                        added = true;
                        Start(batch);
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
                    _pending.Add(batch);
                    Start(batch);
                }
            }
        }
    }

    /// <summary>Tries every parked (permanently refused) batch again.</summary>
    public void RetryRefused()
    {
        lock (_lock)
        {
            foreach (PendingBatch batch in _pending.Where(p => p.State == DeliveryState.Parked).ToList())
            {
                Start(batch);
            }
        }
    }

    /// <summary>Gets the batches not delivered now.</summary>
    public List<PendingBatch> Snapshot()
    {
        lock (_lock)
        {
            return [.. _pending];
        }
    }

    /// <summary>
    /// Waits until every batch of <paramref name="batches"/> is delivered. Throws <see cref="BatchDeliveryException"/>
    /// as soon as one of them is refused permanently, or has failed without a break for
    /// <see cref="BatchBufferOptions.RetryBudget"/>; the batches are kept and their delivery goes on.
    /// </summary>
    public async Task WaitDeliveredAsync(List<PendingBatch> batches, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            DateTimeOffset? nextDeadline = null;
            lock (_lock)
            {
                batches.RemoveAll(p => p.State == DeliveryState.Delivered);
                if (batches.Count == 0)
                {
                    return;
                }

                DateTimeOffset now = _time.GetUtcNow();
                bool givenUp = false;
                foreach (PendingBatch batch in batches)
                {
                    givenUp |= IsPastRetryBudget(batch, now);
                    if (RetryBudgetEndsAt(batch) is { } deadline)
                    {
                        nextDeadline = nextDeadline is null || deadline < nextDeadline ? deadline : nextDeadline;
                    }
                }

                if (givenUp)
                {
                    Exception? last = batches.Select(b => b.LastError).LastOrDefault(e => e is not null) ?? _lastError;
                    throw new BatchDeliveryException(batches.Count, batches.Sum(b => b.EventCount), last);
                }

                changed = _changed.Task;
            }

            if (nextDeadline is { } due)
            {
                using var wake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                Task timer = Task.Delay(Max(due - _time.GetUtcNow(), TimeSpan.Zero), _time, wake.Token);
                await Task.WhenAny(changed, timer).ConfigureAwait(false);
                await wake.CancelAsync().ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
            }
            else
            {
                await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// At shutdown: tries parked batches once more, waits for every delivery until <paramref name="deadline"/> fires,
    /// then cancels the deliveries still under way and waits for them to stop. What is not delivered stays in the
    /// spool, or in memory for <see cref="TakeUndelivered"/>.
    /// </summary>
    public async Task StopAsync(CancellationToken deadline)
    {
        RetryRefused();
        try
        {
            await WaitAllAsync(deadline).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
        }

        await _cancel.CancelAsync().ConfigureAwait(false);
        Task[] running;
        lock (_lock)
        {
            running = [.. _running];
        }

        await Task.WhenAll(running).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>Releases the cancellation source and the upload slots; call after <see cref="StopAsync"/>.</summary>
    public void Dispose()
    {
        _cancel.Dispose();
        _uploadSlots.Dispose();
    }

    /// <summary>Takes the batches held in memory and not delivered; the caller owns them.</summary>
    public List<SealedBatch> TakeUndelivered()
    {
        lock (_lock)
        {
            var taken = new List<SealedBatch>();
            foreach (PendingBatch batch in _pending.Where(p => p.InMemory is not null && p.State != DeliveryState.Uploading).ToList())
            {
                taken.Add(batch.TakeInMemory()!);
                _pending.Remove(batch);
            }

            SignalLocked();
            return taken;
        }
    }

    public DeliveryStatus GetStatus(long openEvents, int quarantined)
    {
        DateTimeOffset now = _time.GetUtcNow();
        lock (_lock)
        {
            DateTimeOffset? triedSince = _pending.Min(p => p.FailingSince ?? p.AttemptStartedAt);
            return new DeliveryStatus
            {
                DeliveredBatches = _deliveredBatches,
                DeliveredEvents = _deliveredEvents,
                WaitingBatches = _pending.Count(p => p.State == DeliveryState.Waiting),
                UploadingBatches = _pending.Count(p => p.State == DeliveryState.Uploading),
                FailingBatches = _pending.Count(p => p.State == DeliveryState.Failing),
                RefusedBatches = _pending.Count(p => p.State == DeliveryState.Parked),
                UndeliveredEvents = _pending.Sum(p => p.EventCount),
                OpenEvents = openEvents,
                SpooledBatches = _spool?.SealedCount ?? 0,
                QuarantinedFiles = quarantined,
                LastError = _lastError,
                LastErrorAt = _lastErrorAt,
                NextRetryAt = _pending.Where(p => p.State == DeliveryState.Failing).Min(p => p.NextAttemptAt),
                StalledSince = triedSince is { } since && _lastDeliveredAt is { } delivered && delivered > since ? delivered : triedSince,
                RetryBudgetEndsAt = _pending.Min(RetryBudgetEndsAt),
                RetryBudgetSpent = _pending.Any(p => IsPastRetryBudget(p, now)),
            };
        }
    }

    /// <summary>When a failing batch spends the retry budget, counted from the start of its run of failures; call with the lock held.</summary>
    private DateTimeOffset? RetryBudgetEndsAt(PendingBatch batch) =>
        batch.State != DeliveryState.Parked && batch.FailingSince is { } since && _retryBudget != Timeout.InfiniteTimeSpan ? since + _retryBudget : null;

    /// <summary>The one rule of giving up on a batch (a flush's, and the status'): refused, or failing for the retry budget. Call with the lock held.</summary>
    private bool IsPastRetryBudget(PendingBatch batch, DateTimeOffset now) =>
        batch.State == DeliveryState.Parked || RetryBudgetEndsAt(batch) <= now;

    private static bool IsPermanent(Exception error) => error is DestinationException { IsPermanent: true } or SpoolDamagedException;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private async Task WaitAllAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (_pending.All(p => p.State == DeliveryState.Parked) && _running.Count == 0)
                {
                    return;
                }

                changed = _changed.Task;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Starts a delivery run for a batch not running. Call with the lock held.</summary>
    private void Start(PendingBatch batch)
    {
        batch.State = DeliveryState.Waiting;
        Task run = Task.Run(() => RunAsync(batch));
        _running.Add(run);
        _ = run.ContinueWith(
            finished =>
            {
                lock (_lock)
                {
                    _running.Remove(finished);
                    SignalLocked();
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        SignalLocked();
    }

    private async Task RunAsync(PendingBatch batch)
    {
        try
        {
            await RetryPipelines.ExecuteAsync(
                _pipeline,
                static async (s, ct) =>
                {
                    await s.Stage.AttemptAsync(s.Batch, ct).ConfigureAwait(false);
                    return true;
                },
                (Stage: this, Batch: batch),
                new RetryLog(this, batch),
                _time,
                _cancel.Token).ConfigureAwait(false);
        }
        catch (Exception) when (_cancel.IsCancellationRequested)
        {
            lock (_lock)
            {
                batch.State = DeliveryState.Waiting; // shutdown: stays in the spool, or goes to the host
                SignalLocked();
            }

            return;
        }
#pragma warning disable CA1031 // Only permanent refusals leave the pipeline: the batch is parked, never dropped.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            await ParkAsync(batch, exception).ConfigureAwait(false);
            return;
        }

        await DeliveredAsync(batch).ConfigureAwait(false);
    }

    /// <summary>One attempt: an upload slot, the bytes (from the spool if not in memory), one call to the consumer.</summary>
    private async Task AttemptAsync(PendingBatch batch, CancellationToken cancellationToken)
    {
        await _uploadSlots.WaitAsync(cancellationToken).ConfigureAwait(false);
        SealedBatch? loaded = null;
        try
        {
            lock (_lock)
            {
                batch.State = DeliveryState.Uploading;
                batch.AttemptStartedAt = _time.GetUtcNow();
                SignalLocked();
            }

            loaded = await _attemptTimeout.ExecuteAsync(
                static async (s, ct) =>
                {
                    SealedBatch? fromDisk = null;
                    try
                    {
                        SealedBatch content = s.Batch.InMemory ?? (fromDisk = await LoadAsync(s.Batch, ct).ConfigureAwait(false));
                        BatchReceipt receipt = await s.Stage._consumer.ConsumeAsync(content, ct).ConfigureAwait(false);
                        s.Stage._batchDelivered?.Invoke(receipt);
                        return fromDisk;
                    }
                    catch
                    {
                        fromDisk?.Dispose();
                        throw;
                    }
                },
                (Stage: this, Batch: batch),
                cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            loaded?.Dispose();
            _uploadSlots.Release();
        }
    }

    private static async Task<SealedBatch> LoadAsync(PendingBatch batch, CancellationToken cancellationToken)
    {
        try
        {
            return batch.Load(await BatchSpool.ReadSealedAsync(batch.SpoolPath!, cancellationToken).ConfigureAwait(false));
        }
        catch (FileNotFoundException exception)
        {
            throw new SpoolDamagedException($"The spooled batch '{batch.SpoolPath}' is gone from the spool; it cannot be delivered.", exception);
        }
    }

    private async Task DeliveredAsync(PendingBatch batch)
    {
        try
        {
            // The journal goes first: a journal left without its sealed file would be resealed at the next start and
            // sent again under a new key, while a sealed file left behind is sent again under the same key.
            if (batch.AfterDelivery is { } after)
            {
                await after().ConfigureAwait(false);
            }

            if (batch.SpoolPath is { } path)
            {
                _spool!.DeleteSealed(path, batch.CompressedBytes);
            }
        }
#pragma warning disable CA1031 // The batch is delivered; a file left behind is logged (its key is the same if sent again).
        catch (Exception exception)
#pragma warning restore CA1031
        {
            Log.CleanupFailed(_logger, exception, batch.SourceId, batch.FileName);
        }

        lock (_lock)
        {
            batch.State = DeliveryState.Delivered;
            batch.FailingSince = null;
            batch.NextAttemptAt = null;
            _pending.Remove(batch);
            batch.TakeInMemory()?.Dispose();
            _deliveredBatches++;
            _deliveredEvents += batch.EventCount;
            _lastDeliveredAt = _time.GetUtcNow();
            SignalLocked();
        }

        Log.Delivered(_logger, batch.SourceId, batch.FileName, batch.EventCount, batch.FailedAttempts + 1);
    }

    private Task ParkAsync(PendingBatch batch, Exception exception)
    {
        lock (_lock)
        {
            batch.State = DeliveryState.Parked;
            batch.LastError = exception;
            batch.NextAttemptAt = null;
            _lastError = exception;
            _lastErrorAt = _time.GetUtcNow();
            SignalLocked();
        }

        Log.Refused(_logger, exception, batch.SourceId, batch.FileName, batch.EventCount);
        return Task.CompletedTask;
    }

    private void SignalLocked()
    {
        TaskCompletionSource changed = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
    }

    /// <summary>Records each failed attempt of one batch: its state, the status, a log line and a metric.</summary>
    private sealed class RetryLog(DeliveryStage stage, PendingBatch batch) : IRetryObserver
    {
        public void OnRetry(int failedAttempt, Exception error, TimeSpan delay)
        {
            DateTimeOffset now = stage._time.GetUtcNow();
            lock (stage._lock)
            {
                batch.State = DeliveryState.Failing;
                batch.FailedAttempts++;
                batch.FailingSince ??= batch.AttemptStartedAt ?? now; // the failed attempt's own time counts
                batch.NextAttemptAt = now + delay;
                batch.LastError = error;
                stage._lastError = error;
                stage._lastErrorAt = now;
                stage.SignalLocked();
            }

            Telemetry.DeliveryRetries.Add(1);
            Log.AttemptFailed(stage._logger, error, batch.SourceId, batch.FileName, batch.EventCount, batch.FailedAttempts, error.Message, now + delay);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(10, LogLevel.Warning, "Delivery of batch {FileName} of source {SourceId} ({EventCount} events) failed on attempt {Attempt} ({Error}); next try at {NextTry:o}. Other batches go on.")]
        public static partial void AttemptFailed(ILogger logger, Exception exception, string sourceId, string fileName, long eventCount, int attempt, string error, DateTimeOffset nextTry);

        [LoggerMessage(11, LogLevel.Error, "Delivery of batch {FileName} of source {SourceId} ({EventCount} events) was refused permanently; the batch is kept and tried again at the next scheduled seal, flush or shutdown.")]
        public static partial void Refused(ILogger logger, Exception exception, string sourceId, string fileName, long eventCount);

        [LoggerMessage(12, LogLevel.Debug, "Delivered batch {FileName} of source {SourceId} ({EventCount} events) on attempt {Attempt}.")]
        public static partial void Delivered(ILogger logger, string sourceId, string fileName, long eventCount, int attempt);

        [LoggerMessage(13, LogLevel.Warning, "Batch {FileName} of source {SourceId} was delivered, but removing its spool files failed.")]
        public static partial void CleanupFailed(ILogger logger, Exception exception, string sourceId, string fileName);
    }
}
