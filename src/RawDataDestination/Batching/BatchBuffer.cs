using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RawDataDestination.Encoding;
using RawDataDestination.Internal;
using RawDataDestination.S3;
using RawDataDestination.Spool;

namespace RawDataDestination.Batching;

/// <summary>
/// The standard <see cref="IBatchBuffer"/>: groups events by source and UTC received day, compresses them as they are
/// appended, and hands sealed batches, one at a time, to an <see cref="ISealedBatchConsumer"/>.
/// </summary>
/// <remarks>
/// <para>
/// Memory is bounded: each open batch holds only its compressed bytes plus a 64 KB pipe buffer; at most
/// <see cref="BatchBufferOptions.MaxPendingBatches"/> sealed batches wait for delivery, plus the one being delivered;
/// and at most <see cref="BatchBufferOptions.MaxPendingBatches"/> failed batches are kept for a retry before appends
/// wait (or fail, by <see cref="BatchBufferOptions.BufferFullMode"/>). When deliveries fall behind, sealing waits, and
/// so do appends that need a new batch.
/// </para>
/// <para>Time comes only from the <see cref="TimeProvider"/> given to the constructor.</para>
/// </remarks>
public sealed partial class BatchBuffer : IBatchBuffer
{
    private readonly ISealedBatchConsumer _consumer;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly long _maxBatchBytes;
    private readonly int _maxEventBytes;
    private readonly TimeSpan _flushInterval;
    private readonly TimeSpan _flushOffset;
    private readonly TimeSpan _shutdownTimeout;
    private readonly BatchBufferOptions _batchOptions;
    private readonly ConcurrentDictionary<PartitionKey, OpenBatch> _open = new();
    private readonly Channel<DeliveryItem> _sealed;
    private readonly List<(SealedBatch Batch, Exception Error)> _failed = [];
    private TaskCompletionSource _failedShrank = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopSchedule = new();
    private readonly CancellationTokenSource _cancelDeliveries = new();
    private readonly Task _schedule;
    private readonly Task _delivery;
    private readonly BatchSpool? _spool;
    private readonly BatchSpool? _journalSpool;
    private readonly int _maxPendingBatches;
    private readonly bool _failWhenFull;
    private int _disposed;
    private long _deliveredBatches;

    /// <summary>Creates a buffer that delivers sealed batches to <paramref name="consumer"/>.</summary>
    /// <param name="options">The size, schedule and memory limits. Copied now; later changes have no effect.</param>
    /// <param name="consumer">Receives sealed batches, one at a time.</param>
    /// <param name="timeProvider">The clock for received times, seal times and the schedule. The default is <see cref="TimeProvider.System"/>.</param>
    /// <param name="logger">Where delivery problems are logged. The default logs nothing.</param>
    /// <exception cref="ArgumentException">An option is out of range; the message names it.</exception>
    public BatchBuffer(BatchBufferOptions options, ISealedBatchConsumer consumer, TimeProvider? timeProvider = null, ILogger<BatchBuffer>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(consumer);
        if (options.Validate() is { } problem)
        {
            throw new ArgumentException(problem, nameof(options));
        }

        _batchOptions = new BatchBufferOptions
        {
            MaxBatchBytes = options.MaxBatchBytes,
            MaxEventBytes = options.MaxEventBytes,
            CompressionLevel = options.CompressionLevel,
            CompressionThreads = options.CompressionThreads,
        };
        _maxBatchBytes = options.MaxBatchBytes;
        _maxEventBytes = options.MaxEventBytes;
        _flushInterval = options.FlushInterval;
        _flushOffset = options.FlushOffset;
        _shutdownTimeout = options.ShutdownTimeout;
        _consumer = consumer;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _maxPendingBatches = options.MaxPendingBatches;
        _failWhenFull = options.BufferFullMode == BufferFullMode.Fail;
        if (options.SpoolDirectory is { } spoolDirectory)
        {
            _spool = new BatchSpool(spoolDirectory, options.MaxSpoolBytes, options.SpoolFullMode);
            _journalSpool = options.DurableAppends ? _spool : null;
            Telemetry.TrackSpool(_spool);
        }

        _sealed = Channel.CreateBounded<DeliveryItem>(new BoundedChannelOptions(options.MaxPendingBatches)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _delivery = Task.Run(RunDeliveriesAsync);
        _schedule = RunScheduleAsync(_stopSchedule.Token);
    }

    /// <summary>Gets the number of sealed batches in the spool, waiting for delivery (zero without a spool).</summary>
    public int SpooledBatchCount => _spool?.SealedCount ?? 0;

    /// <summary>Gets the number of batches delivered so far.</summary>
    public long DeliveredBatchCount => Interlocked.Read(ref _deliveredBatches);

    /// <summary>Gets the number of events in batches that are still open (not yet sealed).</summary>
    public long OpenEventCount => _open.Values.Sum(batch => batch.EventCount);

    /// <inheritdoc />
    public ValueTask AppendAsync(string sourceId, ReadOnlyMemory<byte> utf8Json, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        DateTimeOffset now = _timeProvider.GetUtcNow();
        DateTimeOffset? receivedAt;
        try
        {
            if (SettingRules.SourceIdError(sourceId) is { } problem)
            {
                throw new EventRejectedException(EventRejectionReason.InvalidSourceId, problem);
            }

            receivedAt = EventJson.Validate(utf8Json.Span, _maxEventBytes);
        }
        catch (EventRejectedException exception)
        {
            Telemetry.EventsRejected.Add(1, Telemetry.Tag("reason", exception.Reason.ToString()));
            throw;
        }

        var partition = new PartitionKey(sourceId, DateOnly.FromDateTime((receivedAt ?? now).UtcDateTime));
        return WriteAsync(partition, utf8Json, receivedAt is null ? now : null, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask AppendAsync(string sourceId, JsonElement json, CancellationToken cancellationToken = default)
    {
        using var bytes = JsonElementBytes.Get(json);
        await AppendAsync(sourceId, bytes.Memory, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await SealAllAsync(SealCause.Flush, cancellationToken).ConfigureAwait(false);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _sealed.Writer.WriteAsync(DeliveryItem.Marker(done), cancellationToken).ConfigureAwait(false);
        await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Seals every open batch and delivers what it can within <see cref="BatchBufferOptions.ShutdownTimeout"/>. Batches
    /// still not delivered then are logged with their counts and listed by <see cref="TakeUndeliveredBatches"/>.
    /// </summary>
    /// <returns>A task that completes when the buffer has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // The deadline covers the whole shutdown, sealing included, and starts now.
        using var deadline = new CancellationTokenSource(_shutdownTimeout, _timeProvider);
        await _stopSchedule.CancelAsync().ConfigureAwait(false);
        await _schedule.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await SealAllAsync(SealCause.Shutdown, CancellationToken.None).ConfigureAwait(false);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _sealed.Writer.WriteAsync(DeliveryItem.Marker(done), CancellationToken.None).ConfigureAwait(false);
        _sealed.Writer.Complete();
        try
        {
            await _delivery.WaitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            Log.ShutdownDeadlinePassed(_logger, _shutdownTimeout);
            await _cancelDeliveries.CancelAsync().ConfigureAwait(false);
            await _delivery.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        lock (_failed)
        {
            if (_failed.Count > 0 && _spool is not null)
            {
                Log.LeftInSpool(_logger, _failed.Count, _failed.Sum(f => f.Batch.EventCount), _spool.Directory);
            }
            else if (_failed.Count > 0)
            {
                Log.NotDeliveredAtShutdown(_logger, _failed.Count, _failed.Sum(f => f.Batch.EventCount));
            }
        }

        _stopSchedule.Dispose();
        _cancelDeliveries.Dispose();
        _spool?.Dispose();
    }

    /// <summary>
    /// Takes the batches that could not be delivered, so the host can keep them (for example on disk). The caller owns
    /// and disposes them; the buffer forgets them.
    /// </summary>
    /// <returns>The undelivered batches, oldest first.</returns>
    public IReadOnlyList<SealedBatch> TakeUndeliveredBatches()
    {
        lock (_failed)
        {
            var batches = _failed.Select(f => f.Batch).ToList();
            _failed.Clear();
            FailedShrankLocked();
            return batches;
        }
    }

    /// <summary>The next time the schedule fires after <paramref name="now"/>.</summary>
    internal static DateTimeOffset NextScheduledFlush(DateTimeOffset now, TimeSpan interval, TimeSpan offset)
    {
        long sinceEpoch = (now - DateTimeOffset.UnixEpoch - offset).Ticks;
        long periods = (long)Math.Floor(sinceEpoch / (double)interval.Ticks) + 1;
        var next = DateTimeOffset.UnixEpoch + offset + TimeSpan.FromTicks(periods * interval.Ticks);
        return next > now ? next : next + interval;
    }

    private async ValueTask WriteAsync(PartitionKey partition, ReadOnlyMemory<byte> utf8Json, DateTimeOffset? stamp, CancellationToken cancellationToken)
    {
        long lineBound = utf8Json.Length + EventJson.MaxLineOverhead;
        if (_failWhenFull && (_sealed.Reader.Count >= _maxPendingBatches || FailedCount >= _maxPendingBatches))
        {
            throw new BufferFullException($"{_sealed.Reader.Count} sealed batches wait for delivery and {FailedCount} wait to be retried after a failed delivery (MaxPendingBatches is {_maxPendingBatches}): deliveries are behind. Retry later, or use BufferFullMode.Wait.");
        }

        await WaitWhileTooManyFailedAsync(cancellationToken).ConfigureAwait(false);

        if (_spool is not null)
        {
            await _spool.WaitForRoomAsync(lineBound, cancellationToken).ConfigureAwait(false);
        }

        Task durable = Task.CompletedTask;
        while (true)
        {
            OpenBatch batch = _open.GetOrAdd(partition, static (key, buffer) => new OpenBatch(key, buffer._timeProvider.GetUtcNow(), ObjectKeyLayout.NewBatchId(buffer._timeProvider), buffer._batchOptions, buffer._journalSpool), this);
            await batch.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            SealedBatch? full = null;
            try
            {
                if (batch.IsSealed)
                {
                    continue;
                }

                if (batch.EventCount > 0 && batch.UncompressedBytes + lineBound > _maxBatchBytes)
                {
                    full = await SealLockedAsync(batch, SealCause.Size).ConfigureAwait(false);
                    continue;
                }

                int lineBytes = batch.Write(utf8Json.Span, stamp, out durable);
                Telemetry.EventsAppended.Add(1);
                Telemetry.BytesIn.Add(lineBytes);
                await batch.FlushIfNeededAsync().ConfigureAwait(false);
                break;
            }
            finally
            {
                batch.Gate.Release();
                if (full is not null)
                {
                    await EnqueueAsync(full, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        // With durable appends, acknowledge only once the line is on disk (group commit with concurrent appends).
        await durable.ConfigureAwait(false);
    }

    private int FailedCount
    {
        get
        {
            lock (_failed)
            {
                return _failed.Count;
            }
        }
    }

    /// <summary>
    /// Failed batches stay in memory until retried (at the next flush, scheduled seal or shutdown). So that a long
    /// outage can't grow them without bound, appends wait while <see cref="BatchBufferOptions.MaxPendingBatches"/> or
    /// more of them are kept.
    /// </summary>
    private async ValueTask WaitWhileTooManyFailedAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task shrank;
            lock (_failed)
            {
                if (_failed.Count < _maxPendingBatches)
                {
                    return;
                }

                shrank = _failedShrank.Task;
            }

            await shrank.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Wakes appends waiting in <see cref="WaitWhileTooManyFailedAsync"/>. Call with the lock on the failed list held.</summary>
    private void FailedShrankLocked()
    {
        TaskCompletionSource shrank = _failedShrank;
        _failedShrank = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        shrank.TrySetResult();
    }

    private async Task<SealedBatch> SealLockedAsync(OpenBatch batch, SealCause cause)
    {
        _open.TryRemove(KeyValuePair.Create(batch.Partition, batch));
        DateTimeOffset sealedAt = _timeProvider.GetUtcNow();
        SealedBatch sealedBatch = await batch.SealAsync(cause, sealedAt).ConfigureAwait(false);
        if (_spool is not null)
        {
            // On disk before the first upload attempt; only then may the journal go.
            await _spool.SaveSealedAsync(sealedBatch).ConfigureAwait(false);
            await batch.DeleteJournalAsync().ConfigureAwait(false);
        }

        Telemetry.BatchesSealed.Add(1, Telemetry.Tag("cause", CauseTag(cause)));
        Telemetry.BatchAge.Record((sealedAt - batch.OpenedAt).TotalSeconds);
        return sealedBatch;
    }

    private static string CauseTag(SealCause cause) => cause switch
    {
        SealCause.Size => "size",
        SealCause.Schedule => "schedule",
        SealCause.Flush => "flush",
        _ => "shutdown",
    };

    private async Task SealAllAsync(SealCause cause, CancellationToken cancellationToken)
    {
        foreach (OpenBatch batch in _open.Values)
        {
            SealedBatch? sealedBatch = null;
            await batch.Gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            try
            {
                if (!batch.IsSealed && batch.EventCount > 0)
                {
                    sealedBatch = await SealLockedAsync(batch, cause).ConfigureAwait(false);
                }
                else if (!batch.IsSealed)
                {
                    _open.TryRemove(KeyValuePair.Create(batch.Partition, batch));
                    await batch.DiscardAsync().ConfigureAwait(false);
                }
            }
            finally
            {
                batch.Gate.Release();
            }

            if (sealedBatch is not null)
            {
                await EnqueueAsync(sealedBatch, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async ValueTask EnqueueAsync(SealedBatch batch, CancellationToken cancellationToken)
    {
        try
        {
            await _sealed.Writer.WriteAsync(DeliveryItem.Of(batch), cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException exception)
        {
            // Sealed but not queued: keep it with the failures so it is retried and never silently lost.
            lock (_failed)
            {
                _failed.Add((batch, exception));
            }

            throw;
        }
    }

    /// <summary>Seals every open batch at each scheduled time. Runs synchronously up to its first wait, so the first timer starts with the buffer.</summary>
    private async Task RunScheduleAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            DateTimeOffset now = _timeProvider.GetUtcNow();
            TimeSpan wait = NextScheduledFlush(now, _flushInterval, _flushOffset) - now;
            await Task.Delay(wait, _timeProvider, stopping).ConfigureAwait(false);
            await SealAllAsync(SealCause.Schedule, stopping).ConfigureAwait(false);

            // Batches that failed earlier are tried again at each scheduled time, so a host that never calls
            // FlushAsync still gets them delivered once S3 is reachable again.
            await _sealed.Writer.WriteAsync(DeliveryItem.RetryFailed, stopping).ConfigureAwait(false);
        }
    }

    /// <summary>Delivers what an earlier run left in the spool: sealed batches with their original keys, then open batches' journals.</summary>
    private async Task RecoverSpoolAsync(BatchSpool spool)
    {
        foreach (string path in spool.SealedAtStart)
        {
            await DeliverAsync(await spool.LoadSealedAsync(path).ConfigureAwait(false)).ConfigureAwait(false);
        }

        foreach (string path in spool.JournalsAtStart)
        {
            SealedBatch? recovered = await spool.RecoverJournalAsync(path, _timeProvider.GetUtcNow(), _batchOptions).ConfigureAwait(false);
            if (recovered is not null)
            {
                await spool.SaveSealedAsync(recovered).ConfigureAwait(false);
            }

            spool.DeleteJournal(path);
            if (recovered is not null)
            {
                Log.RecoveredJournal(_logger, recovered.SourceId, recovered.FileName, recovered.EventCount);
                await DeliverAsync(recovered).ConfigureAwait(false);
            }
        }
    }

    private async Task RunDeliveriesAsync()
    {
        if (_spool is not null)
        {
            await RecoverSpoolAsync(_spool).ConfigureAwait(false);
        }

        await foreach (DeliveryItem item in _sealed.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            if (item.Batch is { } batch)
            {
                await DeliverAsync(batch).ConfigureAwait(false);
            }
            else
            {
                await RetryFailedAsync().ConfigureAwait(false);
                if (item.Done is { } done)
                {
                    CompleteMarker(done);
                }
            }
        }
    }

    private async Task<bool> DeliverAsync(SealedBatch batch)
    {
        try
        {
            await _consumer.ConsumeAsync(batch, _cancelDeliveries.Token).ConfigureAwait(false);
            Interlocked.Increment(ref _deliveredBatches);
            _spool?.DeleteSealed(batch);
            batch.Dispose();
            return true;
        }
#pragma warning disable CA1031 // A consumer's failure must not stop deliveries: the batch is kept and reported.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            Log.DeliveryFailed(_logger, exception, batch.SourceId, batch.FileName, batch.EventCount);
            lock (_failed)
            {
                _failed.Add((batch, exception));
            }

            return false;
        }
    }

    private async Task RetryFailedAsync()
    {
        List<SealedBatch> retry;
        lock (_failed)
        {
            retry = _failed.Select(f => f.Batch).ToList();
            _failed.Clear();
            FailedShrankLocked();
        }

        foreach (SealedBatch batch in retry)
        {
            await DeliverAsync(batch).ConfigureAwait(false);
        }
    }

    private void CompleteMarker(TaskCompletionSource done)
    {
        lock (_failed)
        {
            if (_failed.Count == 0)
            {
                done.TrySetResult();
            }
            else
            {
                done.TrySetException(new BatchDeliveryException(_failed.Count, _failed.Sum(f => f.Batch.EventCount), _failed[^1].Error));
            }
        }
    }

    private readonly record struct DeliveryItem(SealedBatch? Batch, TaskCompletionSource? Done)
    {
        public static DeliveryItem Of(SealedBatch batch) => new(batch, null);

        /// <summary>Retries the failed batches, then completes <paramref name="done"/> with the outcome.</summary>
        public static DeliveryItem Marker(TaskCompletionSource done) => new(null, done);

        /// <summary>Retries the failed batches; nobody waits for the outcome.</summary>
        public static DeliveryItem RetryFailed => new(null, null);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "Delivery of batch {FileName} of source {SourceId} ({EventCount} events) failed; the batch is kept and retried at the next flush, scheduled seal or shutdown.")]
        public static partial void DeliveryFailed(ILogger logger, Exception exception, string sourceId, string fileName, long eventCount);

        [LoggerMessage(2, LogLevel.Warning, "Deliveries did not finish within the shutdown timeout of {Timeout}; cancelling them.")]
        public static partial void ShutdownDeadlinePassed(ILogger logger, TimeSpan timeout);

        [LoggerMessage(4, LogLevel.Warning, "{BatchCount} batch(es) holding {EventCount} event(s) were not delivered by shutdown; they stay in the spool at {Directory} and the next start delivers them.")]
        public static partial void LeftInSpool(ILogger logger, int batchCount, long eventCount, string directory);

        [LoggerMessage(5, LogLevel.Information, "Recovered batch {FileName} of source {SourceId} ({EventCount} events) from the spool's journal.")]
        public static partial void RecoveredJournal(ILogger logger, string sourceId, string fileName, long eventCount);

        [LoggerMessage(3, LogLevel.Error, "{BatchCount} batch(es) holding {EventCount} event(s) were not delivered at shutdown. Take them with TakeUndeliveredBatches to keep them.")]
        public static partial void NotDeliveredAtShutdown(ILogger logger, int batchCount, long eventCount);
    }
}
