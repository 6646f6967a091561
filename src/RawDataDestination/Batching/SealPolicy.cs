using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using RawDataDestination.Ndjson;
using RawDataDestination.Internal;
using RawDataDestination.Spool;

namespace RawDataDestination.Batching;

/// <summary>
/// The open batches and every rule that seals one: size (the next event would pass MaxBatchBytes), capacity (opening
/// one more than MaxOpenBatches seals the least recently appended; with a spool, a batch open or still being sealed
/// holds one of MaxOpenBatches places: SealPolicy.Room.cs), and the whole set on schedule, flush and shutdown.
/// Each sealed batch goes to the hand-off, which never loses it.
/// </summary>
internal sealed partial class SealPolicy
{
    /// <summary>How many partitions a seal of every partition seals at once with a spool, where each seal mostly waits for the disk.</summary>
    internal const int SpooledSealsAtOnce = 8;

    private readonly ConcurrentDictionary<PartitionKey, PartitionSlot> _slots = new();
    private readonly BatchBufferOptions _batchOptions;
    private readonly long _maxBatchBytes;
    private readonly int _maxOpenBatches;
    private readonly BatchSpool? _journalSpool;
    private readonly BatchSpool? _spool;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<SealedBatch, OpenBatch, Action, CancellationToken, ValueTask> _handOff;
    private readonly Func<string, bool> _mayHandOffNow;
    private readonly object _counting = new(); // a seal moves a batch's events from its slot to _sealingEvents (or on to _unsealedEvents) under it; OpenEventCount reads under it
    private long _appendOrder;
    private long _unsealedEvents;
    private long _sealingEvents;
    private int _openCount;

    /// <summary>Creates the policy.</summary>
    /// <param name="options">The size and capacity limits, and the encoder's settings.</param>
    /// <param name="spool">The spool, for journals and room; or <see langword="null"/>.</param>
    /// <param name="time">The clock of open and seal times.</param>
    /// <param name="logger">Where seal problems are logged.</param>
    /// <param name="handOff">Takes each sealed batch; it may wait for room in the batch's lane. It calls the action it is given as delivery counts the batch, under the lock the status is read with.</param>
    /// <param name="mayHandOffNow">Whether a batch of the source would be taken now, without waiting for room in its lane.</param>
    public SealPolicy(BatchBufferOptions options, BatchSpool? spool, TimeProvider time, ILogger logger, Func<SealedBatch, OpenBatch, Action, CancellationToken, ValueTask> handOff, Func<string, bool> mayHandOffNow)
    {
        _batchOptions = new BatchBufferOptions
        {
            MaxBatchBytes = options.MaxBatchBytes,
            MaxEventBytes = options.MaxEventBytes,
            CompressionLevel = options.CompressionLevel,
            CompressionThreads = options.CompressionThreads,
            Completing = options.Completing,
        };
        _maxBatchBytes = options.MaxBatchBytes;
        _maxOpenBatches = options.MaxOpenBatches;
        _spool = spool;
        _journalSpool = options.DurableAppends ? spool : null;
        _time = time;
        _logger = logger;
        _handOff = handOff;
        _mayHandOffNow = mayHandOffNow;
        _places = spool is null ? null : new SemaphoreSlim(_maxOpenBatches, _maxOpenBatches);
    }

    /// <summary>Gets the number of open batches.</summary>
    public int OpenCount => Volatile.Read(ref _openCount);

    /// <summary>
    /// Gets the number of events not handed to delivery: in open batches, in batches being sealed (until the hand-off
    /// ends), and in batches whose seal failed (with a journal, they stay in it for the next start).
    /// </summary>
    /// <remarks>
    /// Read under the lock a seal moves a batch's events with (from its slot to the events being sealed, or from those to
    /// the events whose seal failed), so a status read meanwhile counts them once, not in both places.
    /// </remarks>
    public long OpenEventCount
    {
        get
        {
            lock (_counting)
            {
                return _slots.Values.Sum(slot => slot.Batch?.EventCount ?? 0) + Interlocked.Read(ref _sealingEvents) + Interlocked.Read(ref _unsealedEvents);
            }
        }
    }

    /// <summary>
    /// Appends an event's line (validated, compact, stamped, ending in <c>\n</c>) to its partition's open batch,
    /// sealing the batch first when the line would not fit. With a spool, waits for room in it first (under the
    /// partition's gate, so order holds). With a journal, completes once the line is on disk; <paramref name="mark"/> goes
    /// with the line to the journal's round observer. When the spool's disk has no room for the line (its write failed,
    /// the line not acknowledged and cut off the journal), <see cref="SpoolFullMode"/> applies as at MaxSpoolBytes: the
    /// append throws <see cref="SpoolFullException"/>, or waits for room and writes the line again.
    /// </summary>
    public async ValueTask AppendAsync(PartitionKey partition, ReadOnlyMemory<byte> line, long mark, CancellationToken cancellationToken)
    {
        bool waiting = false; // for room on the spool's disk, from the first refused write until the line is written (BatchSpool.AppendsWaitingSince)
        try
        {
            while (true)
            {
                try
                {
                    await AppendOnceAsync(partition, line, mark, cancellationToken).ConfigureAwait(false);
                    return;
                }
                catch (IOException exception) when (_spool is not null && BatchSpool.IsSpoolDiskFull(exception))
                {
                    if (!waiting && _spool.WaitsWhenFull)
                    {
                        waiting = true;
                        _spool.AppendWaits();
                    }

                    await SealForDiskRoomAsync(cancellationToken).ConfigureAwait(false); // SealPolicy.SpoolRoom.cs
                    await _spool.WaitForDiskRoomAsync(exception, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            if (waiting)
            {
                _spool!.AppendStopsWaiting();
            }
        }
    }

    private async ValueTask AppendOnceAsync(PartitionKey partition, ReadOnlyMemory<byte> line, long mark, CancellationToken cancellationToken)
    {
        long lineBound = line.Length;
        Task durable;
        int lineBytes;
        bool opened = false;
        while (true)
        {
            PartitionSlot slot = _slots.GetOrAdd(partition, static key => new PartitionSlot(key));
            await slot.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (slot.Removed)
                {
                    continue;
                }

                if (_spool is not null)
                {
                    await WaitForSpoolRoomAsync(slot, lineBound, cancellationToken).ConfigureAwait(false); // SealPolicy.SpoolRoom.cs
                }

                if (slot.Batch is { } current && current.EventCount > 0 && current.UncompressedBytes + lineBound > _maxBatchBytes)
                {
                    await SealLockedAsync(slot, SealCause.Size, cancellationToken).ConfigureAwait(false);
                }

                if (slot.Batch is null)
                {
                    if (_places is not null)
                    {
                        await TakePlaceAsync(partition, cancellationToken).ConfigureAwait(false);
                    }

                    slot.Batch = new OpenBatch(partition, _time.GetUtcNow(), BatchNaming.NewBatchId(_time), _batchOptions, _journalSpool);
                    Interlocked.Increment(ref _openCount);
                    opened = true;
                }

                lineBytes = slot.Batch.WriteLine(line.Span, mark, out durable);
                slot.LastAppend = Interlocked.Increment(ref _appendOrder);
                await slot.Batch.FlushIfNeededAsync().ConfigureAwait(false);
                break;
            }
            finally
            {
                ReleaseGate(slot);
            }
        }

        if (opened && OpenCount > _maxOpenBatches)
        {
            try
            {
                await SealLeastRecentlyAppendedAsync(partition, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // This append's line is taken, so it must not fail: its caller would send the line again. A batch
                // whose hand-off was cancelled is kept by the hand-off; one left unsealed is sealed by the next
                // opening over the bound, or by the flush or shutdown the cancellation belongs to.
            }
        }

        // With durable appends, acknowledge only once the line is on disk (group commit with concurrent appends). Counted
        // then: a line whose journal write fails (a full disk) is cut off and written again by the caller's next try, and
        // counting each try made the intake look 15 times what was accepted.
        await durable.ConfigureAwait(false);
        Telemetry.EventsAppended.Add(1);
        Telemetry.BytesIn.Add(lineBytes);
    }

    /// <summary>
    /// Seals the batch that has gone longest without an append (not <paramref name="except"/>'s, and only of a lane that
    /// may hold another batch now, so an append never waits on another lane), cause <see cref="SealCause.Capacity"/>.
    /// The hand-off of a capacity seal never waits for room: a lane that filled since it was chosen (another seal took the
    /// room, or a reload moved the source to a full lane) takes the batch over the bound.
    /// </summary>
    private async Task SealLeastRecentlyAppendedAsync(PartitionKey except, CancellationToken cancellationToken)
    {
        PartitionSlot? oldest = null;
        foreach (PartitionSlot slot in _slots.Values)
        {
            if (slot.Batch is not null && slot.Key != except && (oldest is null || slot.LastAppend < oldest.LastAppend) && _mayHandOffNow(slot.Key.SourceId))
            {
                oldest = slot;
            }
        }

        if (oldest is null)
        {
            return;
        }

        await oldest.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (oldest.Batch is not null && OpenCount > _maxOpenBatches)
            {
                await SealLockedAsync(oldest, SealCause.Capacity, cancellationToken).ConfigureAwait(false);
            }
        }
#pragma warning disable CA1031 // The appender's line is taken: another batch's failed seal must not fail its append. Its events stay counted (as open).
        catch (Exception exception) when (exception is not OperationCanceledException)
#pragma warning restore CA1031
        {
            LogEvents.SealFailed(_logger, exception, oldest.Key.SourceId, oldest.Key.ReceivedDay, nameof(SealCause.Capacity));
        }
        finally
        {
            ReleaseGate(oldest);
        }
    }

    /// <summary>Seals the slot's batch and hands it off. Call with the slot's gate held.</summary>
    private async Task SealLockedAsync(PartitionSlot slot, SealCause cause, CancellationToken cancellationToken)
    {
        OpenBatch batch = slot.Batch!;
        long events;
        lock (_counting)
        {
            // Counted as being sealed until delivery takes the batch; moved in one step, so a status read sees it once.
            events = batch.EventCount;
            Interlocked.Add(ref _sealingEvents, events);
            slot.Batch = null;
            slot.Sealing = batch; // its bytes still count as open (OpenBytesOf) until delivery counts it
        }

        Interlocked.Decrement(ref _openCount);
        try
        {
            DateTimeOffset sealedAt = _time.GetUtcNow();
            SealedBatch? sealedBatch;
            try
            {
                sealedBatch = await batch.SealAsync(cause, sealedAt).ConfigureAwait(false);
            }
            catch
            {
                // The batch is gone from memory, not from the spool: its journal stays for the next start. Its events
                // stay counted (as open), so a host's counts still add up: moved in one step, counted once.
                lock (_counting)
                {
                    Interlocked.Add(ref _unsealedEvents, batch.EventCount);
                    Taken();
                }

                throw;
            }

            if (sealedBatch is null)
            {
                return; // every line's journal write failed: nothing to deliver
            }

            Telemetry.BatchesSealed.Add(1, Telemetry.Tag("cause", CauseTag(cause)));
            Telemetry.BatchAge.Record((sealedAt - batch.OpenedAt).TotalSeconds);
            await _handOff(sealedBatch, batch, Taken, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Taken();
            ReturnPlace(); // the journal is closed and the sealed file saved (or kept in memory): the batch holds no file
        }

        // Called by delivery under the lock its status is read with, as it counts the batch (or here, once, at the end).
        void Taken()
        {
            Interlocked.CompareExchange(ref slot.SealingField, null, batch);
            Interlocked.Add(ref _sealingEvents, -Interlocked.Exchange(ref events, 0));
        }
    }

    internal static string CauseTag(SealCause cause) => cause switch
    {
        SealCause.Size => "size",
        SealCause.Schedule => "schedule",
        SealCause.Flush => "flush",
        SealCause.Capacity => "capacity",
        SealCause.Recovered => "recovered",
        _ => "shutdown",
    };

    /// <summary>
    /// Releases a partition's gate. With a spool, an append waiting for a place may now seal that partition's batch
    /// (SealPolicy.Room.cs); without one, no append waits for a place.
    /// </summary>
    private void ReleaseGate(PartitionSlot slot)
    {
        slot.Gate.Release();
        if (_places is not null)
        {
            PlacesChanged();
        }
    }

    /// <summary>
    /// One partition's place in the open set. Its gate outlives the partition's batches: appends to a partition queue on
    /// it in the order they are made (the gate is first come, first served), so a size seal, which opens the next batch
    /// under the same gate, never lets a later append overtake an earlier one.
    /// </summary>
    private sealed class PartitionSlot(PartitionKey key)
    {
        public PartitionKey Key { get; } = key;

        /// <summary>Serializes the partition's writers and sealers. Hold it for every member below.</summary>
        public SemaphoreSlim Gate { get; } = new(1, 1);

        /// <summary>Gets or sets the open batch, or <see langword="null"/> between batches.</summary>
        public OpenBatch? Batch { get; set; }

        /// <summary>The batch being sealed, until delivery counts it (or its seal fails): read without the gate.</summary>
        public OpenBatch? SealingField;

        /// <summary>Gets or sets the batch being sealed, until delivery counts it (or its seal fails).</summary>
        public OpenBatch? Sealing
        {
            get => Volatile.Read(ref SealingField);
            set => Volatile.Write(ref SealingField, value);
        }

        /// <summary>Gets or sets the order of the last append (a counter shared by all slots), for the least-recently-appended choice.</summary>
        public long LastAppend { get; set; }

        /// <summary>Gets or sets whether the slot left the set; a writer that finds it removed looks the partition up again.</summary>
        public bool Removed { get; set; }
    }
}
