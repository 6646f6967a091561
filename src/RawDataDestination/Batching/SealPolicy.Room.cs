using RawDataDestination.Internal;

namespace RawDataDestination.Batching;

/// <summary>
/// With a spool, the strict bound on batches that may hold files: <c>MaxOpenBatches</c> places, each taken before a
/// batch opens (its journal) and given back only when its seal is over (the journal closed, the sealed file saved). A
/// backfill over many days opens a batch for nearly every line, and seals as many: counted only while open, the
/// batches being sealed held their journals and temporary files past the bound and ran the process out of its
/// open-file limit ("Too many open files").
/// </summary>
internal sealed partial class SealPolicy
{
    private readonly SemaphoreSlim? _places;
    private readonly object _placesLock = new();
    private TaskCompletionSource _placesChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _placeWaiters;

    /// <summary>
    /// Takes a place for a new batch of <paramref name="partition"/>, whose gate the caller holds (so the partition's
    /// appends keep their order). With none free, seals the least recently appended batch whose gate is free now
    /// (cause <see cref="SealCause.Capacity"/>); with none of those either, waits for a seal to end or a gate to be
    /// released. It never waits for another partition's gate, so two appends making room never wait on each other.
    /// </summary>
    private async ValueTask TakePlaceAsync(PartitionKey partition, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _placeWaiters);
        try
        {
            while (true)
            {
                Task changed;
                lock (_placesLock)
                {
                    changed = _placesChanged.Task;
                }

                if (_places!.Wait(0, CancellationToken.None) || await SealOneNowAsync(partition, cancellationToken).ConfigureAwait(false) && _places.Wait(0, CancellationToken.None))
                {
                    return;
                }

                if (!changed.IsCompleted)
                {
                    await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            Interlocked.Decrement(ref _placeWaiters);
        }
    }

    /// <summary>Seals the least recently appended batch (not <paramref name="except"/>'s) whose gate is free now, or another that is; returns whether one was sealed.</summary>
    private async ValueTask<bool> SealOneNowAsync(PartitionKey except, CancellationToken cancellationToken)
    {
        PartitionSlot? oldest = null;
        foreach (PartitionSlot slot in _slots.Values)
        {
            if (slot.Batch is not null && slot.Key != except && (oldest is null || slot.LastAppend < oldest.LastAppend))
            {
                oldest = slot;
            }
        }

        if (oldest is null)
        {
            return false;
        }

        if (await TrySealNowAsync(oldest, cancellationToken).ConfigureAwait(false))
        {
            return true;
        }

        foreach (PartitionSlot slot in _slots.Values)
        {
            if (slot.Batch is not null && slot.Key != except && await TrySealNowAsync(slot, cancellationToken).ConfigureAwait(false))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Seals the slot's batch if its gate is free now; an error sealing it is logged (its journal stays on disk) and counts as sealed: its place is free.</summary>
    private async ValueTask<bool> TrySealNowAsync(PartitionSlot slot, CancellationToken cancellationToken)
    {
        if (!slot.Gate.Wait(0, CancellationToken.None))
        {
            return false;
        }

        try
        {
            if (slot.Batch is null)
            {
                return false;
            }

            await SealLockedAsync(slot, SealCause.Capacity, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogEvents.SealFailed(_logger, exception, slot.Key.SourceId, slot.Key.ReceivedDay, nameof(SealCause.Capacity));
            return true;
        }
        finally
        {
            ReleaseGate(slot);
        }
    }

    /// <summary>Gives a sealed batch's place back, once its files are closed.</summary>
    private void ReturnPlace()
    {
        if (_places is not null)
        {
            _places.Release();
            PlacesChanged();
        }
    }

    private void PlacesChanged()
    {
        if (Volatile.Read(ref _placeWaiters) == 0)
        {
            return;
        }

        TaskCompletionSource changed;
        lock (_placesLock)
        {
            changed = _placesChanged;
            _placesChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }
}
