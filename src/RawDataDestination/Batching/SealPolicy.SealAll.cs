using System.Collections.Concurrent;
using RawDataDestination.Internal;

namespace RawDataDestination.Batching;

/// <summary>Sealing every open batch at once: on schedule, flush and shutdown.</summary>
internal sealed partial class SealPolicy
{
    /// <summary>
    /// Seals every open batch, in two passes so that no lane waits on another. First every partition that is free now and
    /// whose lane may hold another batch now (<c>mayHandOffNow</c>), in turn (with a spool, up to
    /// <see cref="SpooledSealsAtOnce"/> at once): quick, and never waiting for room. Then the
    /// others (an append holds the gate, or the lane is at its share of the in-memory bound): the schedule leaves them
    /// for its next run; a flush or a shutdown seals each as soon as it can, all at once, until the token fires.
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
            foreach (PartitionSlot slot in _slots.Values)
            {
                await SealIfFreeAsync(slot, cause, removeEmpty, errors, later, cancellationToken).ConfigureAwait(false);
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
