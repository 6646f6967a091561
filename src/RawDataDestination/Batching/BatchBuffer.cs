using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RawDataDestination.Ndjson;
using RawDataDestination.Internal;
using RawDataDestination.Spool;

namespace RawDataDestination.Batching;

/// <summary>
/// The standard <see cref="IBatchBuffer"/>: groups events by source and UTC received day, compresses them as they are
/// appended, and delivers sealed batches to an <see cref="ISealedBatchConsumer"/>, several at once, each retried on its
/// own until it is delivered.
/// </summary>
/// <remarks>
/// <para>
/// The buffer is a small engine with one owner per job: the seal policy (size, capacity, schedule, flush, shutdown),
/// the delivery stage (by lane: each customer's batches share a retry pipeline, a circuit breaker and a fair share of
/// the <see cref="BatchBufferOptions.MaxConcurrentUploads"/> slots and of memory, so a broken customer never holds back
/// another), the spool (storage) and its recovery (damaged files quarantined). The README's "Delivery guarantees" and
/// "Many customers" sections draw it and list its promises.
/// </para>
/// <para>
/// Memory is bounded. Without a spool, at most <see cref="BatchBufferOptions.MaxPendingBatchesPerLane"/> sealed batches
/// of a lane, within <see cref="BatchBufferOptions.MaxPendingBatches"/> shared fairly, are held until delivered; then
/// that lane's sealing, and the appends that need it, wait (or fail, by <see cref="BatchBufferOptions.BufferFullMode"/>). With a spool the disk is the buffer: a sealed batch saved there
/// leaves memory and is read back for each attempt, so appends go on through an outage until
/// <see cref="BatchBufferOptions.MaxSpoolBytes"/> (then <see cref="BatchBufferOptions.SpoolFullMode"/>).
/// </para>
/// <para>Time comes only from the <see cref="TimeProvider"/> given to the constructor.</para>
/// </remarks>
public sealed partial class BatchBuffer : IBatchBuffer
{
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly int _maxEventBytes;
    private readonly TimeSpan _shutdownTimeout;
    private readonly BatchSpool? _spool;
    private readonly SpoolRecovery? _recovery;
    private readonly SpoolQuarantine? _quarantine;
    private readonly SealPolicy _seals;
    private readonly DeliveryStage _stage;
    private readonly Func<string, BatchRoute> _route;
    private readonly SealSchedule _schedule;
    private readonly Task _recovered;
    private int _disposed;

    /// <summary>Creates a buffer that delivers sealed batches to <paramref name="consumer"/>.</summary>
    /// <param name="options">The size, schedule, delivery and memory limits. Copied now; later changes have no effect.</param>
    /// <param name="consumer">
    /// Receives sealed batches, up to <see cref="BatchBufferOptions.MaxConcurrentUploads"/> at once. A consumer that also
    /// implements <see cref="IBatchRouter"/> (one destination per customer) gives each source's lane, and refuses the
    /// events of sources it has no destination for.
    /// </param>
    /// <param name="timeProvider">The clock for received times, seal times, the schedule and retries. The default is <see cref="TimeProvider.System"/>.</param>
    /// <param name="logger">Where delivery problems are logged. The default logs nothing.</param>
    /// <exception cref="ArgumentException">Some options are out of range; the message names each.</exception>
    public BatchBuffer(BatchBufferOptions options, ISealedBatchConsumer consumer, TimeProvider? timeProvider = null, ILogger<BatchBuffer>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(consumer);
        SettingChecks.ThrowIfAny(options.Problems(), nameof(options));

        _maxEventBytes = options.MaxEventBytes;
        _shutdownTimeout = options.ShutdownTimeout;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        if (options.SpoolDirectory is { } spoolDirectory)
        {
            _spool = new BatchSpool(spoolDirectory, options.MaxSpoolBytes, options.SpoolFullMode, _timeProvider, _logger, options.SpoolFreeBytes, options.SpoolHeld) { RoundObserver = options.JournalRounds };
            _quarantine = new SpoolQuarantine(_spool, _timeProvider, _logger);
            _recovery = new SpoolRecovery(_spool, options, _quarantine, _timeProvider, _logger);
            Telemetry.TrackSpool(_spool, _spool.RootPath, static spool => spool.SealedCount);
        }

        _route = BatchRoute.For(consumer as IBatchRouter, options.LaneKey);
        _stage = new DeliveryStage(options, consumer, _route, _spool, _quarantine, _timeProvider, _logger);
        _seals = new SealPolicy(options, _spool, _timeProvider, _logger, HandOffAsync, _spool is null ? _stage.HasRoomFor : static _ => true) { Delivers = _stage.Delivers };
        _stage.OpenBytesOf = _seals.OpenBytesOf;
        _recovered = _recovery is null ? Task.CompletedTask : Task.Run(RecoverAsync);
        _schedule = new SealSchedule(options.FlushInterval, options.FlushOffset, _timeProvider, _logger, OnScheduleAsync);
    }

    /// <summary>The failing lanes' spooled bytes as kept beside the lanes, and as summed over them: for tests that the two agree.</summary>
    internal (long Kept, long Summed) FailingLanesSpoolCheck() => _stage.FailingLanesSpoolCheck();

    /// <summary>
    /// Returns a snapshot of the deliveries: delivered, waiting, uploading, failing and refused batches, the last error
    /// and the next retry, since when nothing was delivered, and whether the retry budget is spent. Cheap enough to call
    /// every second for a status line. It may also be called after <see cref="DisposeAsync"/>: it then says what was left.
    /// </summary>
    /// <returns>The snapshot.</returns>
    public DeliveryStatus GetStatus() => _stage.GetStatus(() => _seals.OpenEventCount, _quarantine?.Count ?? 0, _seals.HeldPastScheduleCount);

    /// <inheritdoc />
    public ValueTask AppendAsync(string sourceId, ReadOnlyMemory<byte> utf8Json, CancellationToken cancellationToken = default) =>
        AppendAsync(sourceId, utf8Json, mark: 0, cancellationToken);

    /// <summary>
    /// Appends an event as <see cref="AppendAsync(string, ReadOnlyMemory{byte}, CancellationToken)"/> does, with
    /// <paramref name="mark"/> told to <see cref="BatchBufferOptions.JournalRounds"/> with the round its line is written in.
    /// </summary>
    internal async ValueTask AppendAsync(string sourceId, ReadOnlyMemory<byte> utf8Json, long mark, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        DateTimeOffset now = _timeProvider.GetUtcNow();
        byte[]? line = null;
        try
        {
            int length;
            string lane;
            DateTimeOffset? receivedAt;
            try
            {
                if (SourceIdRules.Error(sourceId) is { } problem)
                {
                    throw new EventRejectedException(EventRejectionReason.InvalidSourceId, problem);
                }

                lane = _route(sourceId).Lane; // a router refuses a source it has no destination for

                // One pass: validated, made compact and stamped into the line the batch (or its journal) will hold. An
                // event over MaxEventBytes is refused before anything is written, so the buffer never needs more. Its
                // own receivedAt may be at most a day ahead of the clock (ReceivedAt.MostAhead).
                line = ArrayPool<byte>.Shared.Rent(Math.Min(utf8Json.Length, _maxEventBytes) + EventJson.MaxLineOverhead);
                length = EventJson.ValidateAndWriteLine(utf8Json.Span, _maxEventBytes, now, line, out receivedAt, clock: now);
            }
            catch (EventRejectedException exception)
            {
                Telemetry.EventsRejected.Add(1, Telemetry.Tag("reason", exception.Reason.ToString()));
                throw;
            }

            _stage.ThrowIfFull(lane);
            await _stage.WaitForSpoolShareAsync(lane, cancellationToken).ConfigureAwait(false);
            var partition = new PartitionKey(sourceId, DateOnly.FromDateTime((receivedAt ?? now).UtcDateTime));
            await _seals.AppendAsync(partition, line.AsMemory(0, length), mark, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (line is not null)
            {
                ArrayPool<byte>.Shared.Return(line);
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask AppendAsync(string sourceId, JsonElement json, CancellationToken cancellationToken = default)
    {
        using var bytes = JsonElementBytes.Get(json);
        await AppendAsync(sourceId, bytes.Memory, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Refused batches are tried again first. A lane (customer) is given up once one of its batches is refused
    /// permanently or has failed without a break for <see cref="BatchBufferOptions.RetryBudget"/>: the flush waits for
    /// the batches of every other lane, not for those of a lane given up, and then throws a
    /// <see cref="BatchDeliveryException"/> naming the lanes given up (<see cref="BatchDeliveryException.GivenUpLanes"/>).
    /// So a broken customer neither holds the flush past its own budget nor ends it before the healthy customers'
    /// batches are delivered. Delivery of every batch goes on in the background. While partitions wait for room in a
    /// full lane, a lane given up gives no room back, so then the partitions still waiting are sealed at once (over the
    /// bound, keeping their events).
    /// </remarks>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await _recovered.WaitAsync(cancellationToken).ConfigureAwait(false);
        _stage.RetryRefused();
        await SealJournalsNotSealedAsync().ConfigureAwait(false);
        await SealAllForFlushAsync(cancellationToken).ConfigureAwait(false);
        await _stage.WaitDeliveredAsync(_stage.Snapshot(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Seals every partition for a flush. Once a batch not delivered is refused or spends the retry budget, a seal that
    /// waits for room in that batch's lane would wait forever: the seals still waiting are then made at once, over the
    /// bound (nothing is lost), and the wait for delivery that follows reports the lane.
    /// </summary>
    private async Task SealAllForFlushAsync(CancellationToken cancellationToken)
    {
        using var givingUp = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task sealing = _seals.SealAllAsync(SealCause.Flush, removeEmpty: false, givingUp.Token);
        Task watching = _stage.ThrowWhenAnyGivenUpAsync(givingUp.Token);
        if (await Task.WhenAny(sealing, watching).ConfigureAwait(false) == sealing)
        {
            await givingUp.CancelAsync().ConfigureAwait(false);
            await watching.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await sealing.ConfigureAwait(false);
            return;
        }

        await givingUp.CancelAsync().ConfigureAwait(false);
        try
        {
            await sealing.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The waits for room that the give-up cut short: their batches are sealed, over the bound.
        }

        // The lane given up is reported by the wait for delivery, once the other lanes are delivered.
        await watching.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>
    /// Stops the schedule, seals every open batch and delivers what it can, all within
    /// <see cref="BatchBufferOptions.ShutdownTimeout"/>; then cancels the deliveries still under way. Batches not
    /// delivered stay in the spool for the next start, or, without one, are logged with their counts and listed by
    /// <see cref="TakeUndeliveredBatches"/>. The spool's lock is released in every case.
    /// </summary>
    /// <returns>A task that completes when the buffer has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // The deadline covers the whole shutdown, sealing included, and starts now; a scheduled seal under way ends first.
        // Measured on the clock's timestamps, as the retry budget is: a process stopped meanwhile (Ctrl+Z) on a clock that
        // leaves stops out still has the rest of it once resumed.
        using var deadline = new TimestampDeadline(_shutdownTimeout, _timeProvider);
        try
        {
            await _schedule.StopAsync().ConfigureAwait(false);
            await _recovered.WaitAsync(deadline.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            try
            {
                await _seals.SealAllAsync(SealCause.Shutdown, removeEmpty: false, deadline.Token).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Logged by the seal policy (past the deadline too); what could not be sealed stays in its journal, counted as open.
            catch (Exception)
#pragma warning restore CA1031
            {
            }

            await _stage.StopAsync(deadline.Token).ConfigureAwait(false);
            if (deadline.IsCancellationRequested)
            {
                LogEvents.ShutdownDeadlinePassed(_logger, _shutdownTimeout);
            }

            ReportUndelivered();
        }
        finally
        {
            _stage.Dispose();
            _spool?.Dispose();
        }
    }

    /// <summary>
    /// Takes the batches that could not be delivered and are held in memory (without a spool), so the host can keep
    /// them (for example on disk). The caller owns and disposes them; the buffer forgets them. A batch whose save to the
    /// spool failed (a full disk) and whose journal is kept there is not taken: the next start delivers it from its journal.
    /// </summary>
    /// <returns>The undelivered batches.</returns>
    public IReadOnlyList<SealedBatch> TakeUndeliveredBatches() => _stage.TakeUndelivered();

    /// <summary>The next time the schedule fires after <paramref name="now"/>.</summary>
    internal static DateTimeOffset NextScheduledFlush(DateTimeOffset now, TimeSpan interval, TimeSpan offset) => SealSchedule.Next(now, interval, offset);

    private void ReportUndelivered()
    {
        List<PendingBatch> left = _stage.Snapshot();
        var onDisk = left.Where(p => p.InSpool && p.Lane?.Unrouted != true).ToList(); // a kept journal included: the next start seals it again
        var held = left.Where(p => p.InSpool && p.Lane?.Unrouted == true).ToList(); // no start delivers these by itself
        var inMemory = left.Where(p => p.InMemory is not null && !p.InSpool).ToList(); // an attempt left behind at shutdown included
        if (onDisk.Count > 0)
        {
            LogEvents.LeftInSpool(_logger, onDisk.Count, onDisk.Sum(p => p.Manifest.EventCount), _spool!.RootPath, ByLane(onDisk));
        }

        if (held.Count > 0)
        {
            LogEvents.HeldInSpool(_logger, held.Count, held.Sum(p => p.Manifest.EventCount), _spool!.RootPath, ByLane(held));
        }

        if (inMemory.Count > 0)
        {
            LogEvents.NotDeliveredAtShutdown(_logger, inMemory.Count, inMemory.Sum(p => p.Manifest.EventCount), ByLane(inMemory));
        }
    }

    /// <summary>The lanes (customers) of batches left at shutdown, with their counts, most events first (<see cref="LogEvents.Lanes"/>).</summary>
    private static string ByLane(List<PendingBatch> left)
    {
        var lanes = left
            .GroupBy(p => p.Lane?.Key ?? p.Manifest.SourceId, StringComparer.Ordinal)
            .Select(g => (Key: g.Key, Batches: g.Count(), Events: g.Sum(p => p.Manifest.EventCount)))
            .OrderByDescending(l => l.Events)
            .ThenBy(l => l.Key, StringComparer.Ordinal)
            .ToList();
        return LogEvents.Lanes(lanes, l => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{l.Key} ({Counted.Of(l.Batches, "batch")}, {Counted.Of(l.Events, "event")})"));
    }

    /// <summary>
    /// Takes a sealed batch from the seal policy, never losing it. With a spool, it is saved there first and leaves
    /// memory; only then is its journal deleted. If the save fails, the error is logged and the batch stays deliverable
    /// from memory, its journal kept until it is delivered.
    /// </summary>
    private async ValueTask HandOffAsync(SealedBatch batch, OpenBatch from, Action taken, CancellationToken cancellationToken)
    {
        var pending = new PendingBatch(batch) { Taken = taken };
        var route = _stage.RouteToSeal(pending); // recorded with it in the spool: a restart delivers it in this lane only
        if (_spool is not null)
        {
            try
            {
                pending.MovedToSpool(await SpooledBatchFiles.SaveAsync(_spool, batch, pending.SealedForLane).ConfigureAwait(false));
            }
#pragma warning disable CA1031 // A failed save must not lose the batch: it stays in memory and is delivered from there.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                if (_spool.IsSaveFailureToLog(exception))
                {
                    LogEvents.SpoolSaveFailed(_logger, exception, pending.Manifest.SourceId, pending.Manifest.FileName, pending.Manifest.EventCount);
                }
                else
                {
                    LogEvents.SpoolSaveFailedAgain(_logger, pending.Manifest.SourceId, pending.Manifest.FileName, pending.Manifest.EventCount, exception.Message);
                }

                pending.AfterDelivery = () => RetireJournalAsync(from, pending.Manifest);
                SpooledBatchFiles.KeepSealTime(_spool, from.Journal, pending.Manifest, pending.SealedForLane, _logger);
                pending.KeptJournal = from.Journal?.Path;
            }

            if (pending.SpoolPath is not null)
            {
                try
                {
                    await from.DeleteJournalAsync().ConfigureAwait(false);
                }
#pragma warning disable CA1031 // The sealed file is safe; the journal is deleted again once the batch is delivered.
                catch (Exception exception)
#pragma warning restore CA1031
                {
                    // Left until the sealed file is delivered and deleted, a journal would be resealed at the next
                    // start and its events sent twice: try again after delivery, before the sealed file goes.
                    LogEvents.JournalNotDeleted(_logger, exception, pending.Manifest.SourceId, pending.Manifest.FileName);
                    pending.AfterDelivery = from.DeleteJournalAsync;
                }
            }
        }

        await _stage.AddAsync(pending, route, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// After the delivery from memory of a batch whose save failed: its journal, the one thing on disk that holds its
    /// events, is deleted or else marked delivered (the rule: <see cref="SpooledBatchFiles.RetireJournalAsync"/>).
    /// </summary>
    private ValueTask RetireJournalAsync(OpenBatch from, BatchManifest manifest) =>
        from.Journal is not { } journal
            ? ValueTask.CompletedTask
            : SpooledBatchFiles.RetireJournalAsync(_spool!, async () =>
            {
                try
                {
                    await from.DeleteJournalAsync().ConfigureAwait(false);
                    return true;
                }
                catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
                {
                    return false;
                }
            }, manifest, journal.Path, _logger);

    /// <summary>The journals an earlier run left that recovery could not seal (a full disk at start): tried again, and delivered once sealed.</summary>
    private Task SealJournalsNotSealedAsync() =>
        _recovery?.RetryNotSealedAsync(batch => _stage.AddAsync(batch, CancellationToken.None)) ?? Task.CompletedTask;

    private async Task RecoverAsync()
    {
        try
        {
            foreach (PendingBatch batch in await _recovery!.RecoverAsync(CancellationToken.None).ConfigureAwait(false))
            {
                await _stage.AddAsync(batch, CancellationToken.None).ConfigureAwait(false);
            }
        }
#pragma warning disable CA1031 // Recovery must never stop deliveries; what it could not do stays in the spool for the next start.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            LogEvents.RecoveryFailed(_logger, exception, _spool!.RootPath);
        }
    }
}
