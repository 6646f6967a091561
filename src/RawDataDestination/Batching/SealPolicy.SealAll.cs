using System.Collections.Concurrent;
using RawDataDestination.Internal;

namespace RawDataDestination.Batching;

/// <summary>Sealing every open batch at once: on schedule, flush and shutdown.</summary>
internal sealed partial class SealPolicy
{
    /// <summary>How soon <see cref="SealPassedOverAsync"/> looks again at a partition whose gate an append held.</summary>
    internal static readonly TimeSpan BusyGateRetry = TimeSpan.FromMilliseconds(100);

    private List<PartitionSlot>? _passedOver; // the partitions the last scheduled seal passed over, without a spool
    private (PartitionSlot Slot, OpenBatch? Batch)[] _heldPastSchedule = []; // those of them not sealed at the catch-up's last look, with the batch open at the tick

    /// <summary>
    /// Gets how many of the batches open at the last scheduled seal, passed over for want of room in their lanes (without
    /// a spool), are still open: sealed neither by the seal's catch-up (<see cref="SealPassedOverAsync"/>) nor since.
    /// </summary>
    public int HeldPastScheduleCount => Volatile.Read(ref _heldPastSchedule).Count(held => held.Batch is not null && held.Slot.Batch == held.Batch);

    /// <summary>
    /// Seals every open batch, in two passes so that no lane waits on another. First every partition that is free now and
    /// whose lane may hold another batch now (<c>mayHandOffNow</c>), in turn (with a spool, up to
    /// <see cref="SpooledSealsAtOnce"/> at once): quick, and never waiting for room. Then the
    /// others (an append holds the gate, or the lane is at its share of the in-memory bound): the schedule leaves them
    /// to <see cref="SealPassedOverAsync"/> (without a spool; with one, to its next run); a flush or a shutdown seals
    /// each as soon as it can, all at once, until the token fires. Without a spool the oldest batches go first.
    /// </summary>
    /// <remarks>
    /// An error sealing one partition is logged and the others are still sealed; the first such error is thrown at the
    /// end. A cancellation (a shutdown deadline, a cancelled flush) does not stop the others either: the hand-off keeps a
    /// batch whose wait for room was cancelled, so every open batch is still sealed and handed off (one over the bound
    /// each), and every event is accounted for as delivered, waiting or undelivered. Only a partition whose gate is busy
    /// past the cancellation (an append holds it) is skipped, and logged with its events; they stay counted as open. One
    /// that another seal holds has no batch left open (that seal hands it off) and is not logged.
    /// With <paramref name="removeEmpty"/>, slots with no batch leave the set, so partitions of past days do not pile up.
    /// </remarks>
    public async Task SealAllAsync(SealCause cause, bool removeEmpty, CancellationToken cancellationToken)
    {
        var errors = new FirstError();
        var later = new ConcurrentQueue<PartitionSlot>();
        if (_spool is null)
        {
            // Oldest batch first: those a scheduled seal passed over for want of room go first at the next seal, so the
            // lanes' room never goes to the same partitions every time.
            foreach (PartitionSlot slot in _slots.Values.OrderBy(static slot => slot.Batch?.OpenedAt ?? DateTimeOffset.MaxValue).ToList())
            {
                await SealIfFreeAsync(slot, cause, removeEmpty, errors, later, cancellationToken).ConfigureAwait(false);
            }

            if (cause == SealCause.Schedule)
            {
                Volatile.Write(ref _passedOver, [.. later]);
            }
        }
        else
        {
            // With a spool each seal waits for its fsyncs (the sealed file, its checksum): one after the other, a
            // backfill's hundreds of open days took seconds to seal and missed a short shutdown deadline. Each
            // partition is still sealed under its own gate, and its place is given back when its seal ends.
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = SpooledSealsAtOnce };
            await Parallel.ForEachAsync(_slots.Values, parallel, (slot, _) => SealIfFreeAsync(slot, cause, removeEmpty, errors, later, cancellationToken)).ConfigureAwait(false);
        }

        if (cause != SealCause.Schedule && !later.IsEmpty)
        {
            await Task.WhenAll(later.Select(slot => SealWhenFreeAsync(slot, cause, removeEmpty, errors, cancellationToken))).ConfigureAwait(false);
        }

        errors.ThrowIfAny();
    }

    /// <summary>
    /// Seals, as room comes back in their lanes, the partitions the last scheduled seal passed over without a spool (their
    /// lane held its share of the in-memory bound, or an append held the gate), so every batch open at a scheduled time
    /// is sealed soon after it and not only at the next one. It never waits on a lane that is failing: that lane's
    /// batches stay open (its share holds what it may), as they would have. Each round asks the lanes again when
    /// delivery changes (<paramref name="nextChange"/>: a batch delivered gives its room back), and each seal's hand-off
    /// never waits for room. It ends when every partition is sealed, a lane of each one left is failing, or
    /// <paramref name="until"/> fires (the next scheduled seal takes them over, oldest first, or the schedule stops); the
    /// partitions still open then, unless the schedule stopped, are logged with their sources.
    /// </summary>
    public async Task SealPassedOverAsync(Func<string, Dictionary<string, LaneRoom>, LaneRoom> roomFor, Func<Task> nextChange, DateTimeOffset scheduledAt, CancellationToken until, CancellationToken stopping)
    {
        List<PartitionSlot> waiting = Interlocked.Exchange(ref _passedOver, null) ?? [];
        var failing = new List<PartitionSlot>();
        Dictionary<PartitionSlot, OpenBatch?> atTick = waiting.ToDictionary(slot => slot, slot => slot.Batch);
        Held(waiting, failing);
        var errors = new FirstError();
        while (waiting.Count > 0)
        {
            Task changed = nextChange();
            var seen = new Dictionary<string, LaneRoom>(StringComparer.Ordinal);
            bool busy = false;
            var still = new List<PartitionSlot>(waiting.Count);
            foreach (PartitionSlot slot in waiting)
            {
                if (until.IsCancellationRequested)
                {
                    still.Add(slot);
                    continue;
                }

                if (slot.Batch is null || slot.Batch != atTick[slot])
                {
                    continue; // sealed meanwhile (its size, a flush): a batch opened since waits for the next run
                }

                switch (roomFor(slot.Key.SourceId, seen))
                {
                    case LaneRoom.Failing:
                        failing.Add(slot);
                        continue;
                    case LaneRoom.Full:
                        still.Add(slot);
                        continue;
                }

                if (!slot.Gate.Wait(0, CancellationToken.None))
                {
                    busy = true;
                    still.Add(slot);
                    continue;
                }

                try
                {
                    await SealOneLockedAsync(slot, SealCause.Schedule, removeEmpty: true, errors, until).ConfigureAwait(false);
                }
                finally
                {
                    ReleaseGate(slot);
                }
            }

            waiting = still;
            Held(waiting, failing);
            if (waiting.Count == 0 || until.IsCancellationRequested)
            {
                break;
            }

            try
            {
                // An append holds a gate only for a moment (its lane has room): look again soon, whatever delivery does.
                Task wake = busy ? Task.WhenAny(changed, Task.Delay(BusyGateRetry, _time, until)) : changed;
                await wake.WaitAsync(until).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (until.IsCancellationRequested)
            {
                break;
            }
        }

        if (!stopping.IsCancellationRequested)
        {
            bool StillOpen(PartitionSlot slot) => slot.Batch is { } open && open == atTick[slot];
            LogHeldPastSchedule(scheduledAt, [.. waiting.Concat(failing).Where(StillOpen)], failing.Count(StillOpen));
        }

        // Keeps the partitions passed over and not sealed yet, with the batch each had open at the tick, for the status.
        void Held(List<PartitionSlot> stillWaiting, List<PartitionSlot> ofFailingLanes) =>
            Volatile.Write(ref _heldPastSchedule, [.. stillWaiting.Concat(ofFailingLanes).Select(slot => (slot, atTick[slot]))]);
    }

    /// <summary>Logs the partitions a scheduled seal passed over and that are still open when its catch-up ends, with their sources.</summary>
    private void LogHeldPastSchedule(DateTimeOffset scheduledAt, List<PartitionSlot> held, int ofFailingLanes)
    {
        if (held.Count == 0)
        {
            return;
        }

        long events = held.Sum(slot => slot.Batch?.EventCount ?? 0);
        var sources = held
            .GroupBy(slot => slot.Key.SourceId, StringComparer.Ordinal)
            .Select(g => (Source: g.Key, Events: g.Sum(slot => slot.Batch?.EventCount ?? 0)))
            .OrderByDescending(s => s.Events)
            .ThenBy(s => s.Source, StringComparer.Ordinal)
            .ToList();
        LogEvents.HeldPastSchedule(_logger, held.Count, events, scheduledAt, ofFailingLanes, LogEvents.Lanes(sources, s => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{s.Source} ({Counted.Of(s.Events, "event")})")));
    }

    /// <summary>
    /// Seals the partition now if its gate is free and its lane may hold another batch now (the first pass of
    /// <see cref="SealAllAsync"/>); else queues it in <paramref name="later"/>.
    /// </summary>
    private async ValueTask SealIfFreeAsync(PartitionSlot slot, SealCause cause, bool removeEmpty, FirstError errors, ConcurrentQueue<PartitionSlot> later, CancellationToken cancellationToken)
    {
        if (!slot.Gate.Wait(0, CancellationToken.None))
        {
            later.Enqueue(slot);
            return;
        }

        try
        {
            if (slot.Batch is not null && !_mayHandOffNow(slot.Key.SourceId))
            {
                later.Enqueue(slot);
                return;
            }

            await SealOneLockedAsync(slot, cause, removeEmpty, errors, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ReleaseGate(slot);
        }
    }

    /// <summary>Seals a partition once its gate is free (a flush's or a shutdown's second pass), or logs it as skipped when the token fires first.</summary>
    private async Task SealWhenFreeAsync(PartitionSlot slot, SealCause cause, bool removeEmpty, FirstError errors, CancellationToken cancellationToken)
    {
        try
        {
            // A free gate is taken even past the deadline: sealing is quick and keeps the events. WaitAsync alone fails
            // at once with a token already cancelled (a flush that gave up), free gate or not: the batch then stayed open.
            if (!slot.Gate.Wait(0, CancellationToken.None))
            {
                await slot.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException exception) when (cancellationToken.IsCancellationRequested)
        {
            if (slot.Batch is { } open)
            {
                // Without a batch, another seal holds the partition and hands its batch off: none is left open.
                LogEvents.SealSkippedBusy(_logger, slot.Key.SourceId, slot.Key.ReceivedDay, cause.ToString(), open.EventCount);
            }

            errors.Add(exception);
            return;
        }

        try
        {
            await SealOneLockedAsync(slot, cause, removeEmpty, errors, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ReleaseGate(slot);
        }
    }

    /// <summary>Seals one partition's batch, if it has one, with its gate held; records (and logs) what failed instead of throwing.</summary>
    private async Task SealOneLockedAsync(PartitionSlot slot, SealCause cause, bool removeEmpty, FirstError errors, CancellationToken cancellationToken)
    {
        try
        {
            if (slot.Batch is not null)
            {
                await SealLockedAsync(slot, cause, cancellationToken).ConfigureAwait(false);
            }

            if (removeEmpty && slot.Batch is null && !slot.Removed)
            {
                slot.Removed = true;
                _slots.TryRemove(KeyValuePair.Create(slot.Key, slot));
            }
        }
        catch (OperationCanceledException exception) when (cancellationToken.IsCancellationRequested)
        {
            // The hand-off kept the batch (over the bound); go on with the others, which cannot wait any more.
            errors.Add(exception);
        }
#pragma warning disable CA1031 // Logged here; the first error is thrown once every partition was tried.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            LogEvents.SealFailed(_logger, exception, slot.Key.SourceId, slot.Key.ReceivedDay, cause.ToString());
            errors.Add(exception);
        }
    }

    /// <summary>The first error of a seal of every partition, kept from concurrent seals and thrown once all were tried.</summary>
    private sealed class FirstError
    {
        private Exception? _first;

        public void Add(Exception exception) => Interlocked.CompareExchange(ref _first, exception, null);

        public void ThrowIfAny()
        {
            if (_first is { } first)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
            }
        }
    }
}
