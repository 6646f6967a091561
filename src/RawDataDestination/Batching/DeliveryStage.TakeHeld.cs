using RawDataDestination.Internal;

namespace RawDataDestination.Batching;

/// <summary>
/// The way out for batches that no lane will deliver: those of a removed (offboarded) customer. A batch is held when it
/// is parked in a lane with no route, <c>(no route: …)</c> or <c>(held for lane '…')</c>, and its source, asked now,
/// still routes to no lane it may go to. The host takes such batches one at a time; each leaves the buffer (and the
/// spool) only once the host's callback has returned, so a host that fails to keep one loses nothing.
/// </summary>
internal sealed partial class DeliveryStage
{
    /// <summary>
    /// Hands each held batch to <paramref name="keep"/>, one at a time, oldest first: its bytes loaded from the spool (or
    /// as held in memory), its <see cref="SealedBatch.Lane"/> the lane it was sealed for (or its source id, for a batch
    /// sealed with no route). Once <paramref name="keep"/> returns, the batch is forgotten and its spool files (sealed
    /// file, checksum, a journal kept for it) are removed; if it throws, the batch stays held, parked, and the exception
    /// is thrown. Returns the batches and events handed over.
    /// </summary>
    public async Task<(int Batches, long Events)> TakeHeldAsync(Func<SealedBatch, CancellationToken, ValueTask> keep, CancellationToken cancellationToken)
    {
        List<PendingBatch> parked;
        lock (_lock)
        {
            parked = [.. _pending.Where(p => p.State == DeliveryState.Parked && p.Lane!.Unrouted).OrderBy(p => p.Sequence)];
        }

        int batches = 0;
        long events = 0;
        var gone = new List<PendingBatch>();
        foreach (PendingBatch batch in parked)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!IsHeldNow(batch) || !StartTaking(batch))
            {
                continue; // its lane is back (the next retry delivers it), or it is being tried again now
            }

            bool taken = false;
            try
            {
                if ((batch.InMemory ?? await LoadHeldAsync(batch, cancellationToken).ConfigureAwait(false)) is not { } content)
                {
                    gone.Add(batch); // its file was deleted by someone else: nothing to hand over, and the others go on
                    taken = true;
                    continue;
                }

                try
                {
                    content.Lane = batch.SealedForLane ?? batch.Manifest.SourceId;
                    content.RouteState = null;
                    await keep(content, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    if (batch.InMemory is null)
                    {
                        content.Dispose(); // loaded for the host; the in-memory one is disposed once forgotten
                    }
                }

                taken = true;
            }
            finally
            {
                if (!taken)
                {
                    EndTaking(batch, taken: false);
                }
            }

            // Kept by the host: its journal (if one was kept for it) goes first, then its sealed file, as after a delivery.
            string? journalLeft = await SpooledBatchFiles.RemoveAfterDeliveryAsync(batch, _spool, _logger).ConfigureAwait(false);
            EndTaking(batch, taken: true, journalLeft);
            batches++;
            events += batch.Manifest.EventCount;
        }

        if (batches > 0)
        {
            LogEvents.HeldBatchesTaken(_logger, batches, events);
        }

        if (gone.Count > 0)
        {
            LogEvents.HeldBatchFilesGone(_logger, gone.Count, gone.Sum(b => b.Manifest.EventCount), LogEvents.Lanes(gone, b => $"'{b.SpoolPath}'"));
        }

        return (batches, events);
    }

    /// <summary>
    /// Loads a held batch's bytes from the spool; when its file is gone (deleted by hand), forgets the batch, which the
    /// spool no longer counts, and returns <see langword="null"/>: there is nothing left of it to hand over.
    /// </summary>
    private async Task<SealedBatch?> LoadHeldAsync(PendingBatch batch, CancellationToken cancellationToken)
    {
        try
        {
            return await SpooledBatchFiles.LoadAsync(batch, cancellationToken).ConfigureAwait(false);
        }
        catch (Spool.SpoolDamagedException exception) when (exception.InnerException is FileNotFoundException or DirectoryNotFoundException)
        {
            _spool?.SealedGone(batch.SpoolPath!, batch.Manifest.CompressedBytes);
            EndTaking(batch, taken: true);
            return null;
        }
    }

    /// <summary>Whether a parked batch with no route still has no lane to go to now (its router asked outside the lock).</summary>
    private bool IsHeldNow(PendingBatch batch)
    {
        (LaneId Lane, object? State) route = RouteOf(batch.Manifest.SourceId);
        return batch.SealedForLane is { } sealedFor ? route.Lane.Unrouted || !Spool.SpoolPaths.IsLane(sealedFor, route.Lane.Key) : route.Lane.Unrouted;
    }

    /// <summary>Marks a batch still parked as being taken, so no retry starts it meanwhile; <see langword="false"/> when it is no longer parked.</summary>
    private bool StartTaking(PendingBatch batch)
    {
        lock (_lock)
        {
            if (batch.State != DeliveryState.Parked || !_pending.Contains(batch))
            {
                return false;
            }

            batch.State = DeliveryState.Taking;
            return true;
        }
    }

    /// <summary>Ends a take: the batch forgotten (taken by the host), or parked again as it was.</summary>
    private void EndTaking(PendingBatch batch, bool taken, string? journalLeft = null)
    {
        lock (_lock)
        {
            if (!taken)
            {
                batch.State = DeliveryState.Parked;
                SignalLocked();
                return;
            }

            batch.State = DeliveryState.TakenByHost;
            RemoveLocked(batch);
            batch.TakeInMemory()?.Dispose();
            if (journalLeft is not null)
            {
                _deliveredJournalsLeft.Add(journalLeft);
            }

            SignalLocked();
        }
    }
}
