namespace RawDataDestination.Batching;

/// <summary>The way out for the batches of a removed (offboarded) customer: handed to the host, never dropped.</summary>
public sealed partial class BatchBuffer
{
    /// <summary>
    /// Hands the host the batches that no lane will deliver, such as those of a customer removed from the tenants (an
    /// offboarding), so they can leave the buffer, and the spool, without losing an event. A batch is held when its
    /// delivery was refused because its source has no route (lane <c>(no route: …)</c>), or, found in the spool at start,
    /// because its source no longer routes to the lane it was sealed for (lane <c>(held for lane '…')</c>), and its
    /// source, asked again now, still has no lane to go to. Batches of a customer that is listed again meanwhile are left
    /// to be delivered to it.
    /// </summary>
    /// <param name="keep">
    /// Called for each held batch, one at a time, oldest first: keep it (write its bytes, <see cref="SealedBatch.OpenRead"/>,
    /// under <see cref="SealedBatch.FileName"/> in an archive, say). <see cref="SealedBatch.Lane"/> is the lane (customer) the
    /// batch was sealed for, or its source id for a batch sealed with no route. The batch may be read until the returned
    /// task completes; then the buffer releases it. Once it completes, the batch is forgotten and its spool files are
    /// deleted; if it throws, or the token is cancelled, the batch stays held and the exception is thrown.
    /// </param>
    /// <param name="cancellationToken">Stops the hand-over between batches (and is given to <paramref name="keep"/>).</param>
    /// <returns>How many batches were handed over.</returns>
    /// <remarks>
    /// <para>
    /// Until they are taken, such batches are kept (with a spool, on disk, across restarts), a flush throws a
    /// <see cref="BatchDeliveryException"/> naming their lane, and a stop logs them as held. Taken, they count in neither:
    /// a host that treats a flush exception as unhealthy is healthy again once it has kept them, never by their events being
    /// dropped or hidden.
    /// </para>
    /// <para>
    /// Call it while the buffer runs (before <see cref="DisposeAsync"/>, which releases the spool): it waits for the spool's
    /// recovery at start first. A batch handed over whose spool file cannot then be deleted is logged, and a later start
    /// holds it again (the host then gets it twice, under the same file name; never none). A journal of an earlier run
    /// that could not be sealed yet (a full disk) is not a batch yet: it is held once sealed. Without a spool, the batches
    /// held in memory are handed over the same way (and <see cref="TakeUndeliveredBatches"/> still takes every batch left
    /// after <see cref="DisposeAsync"/>).
    /// </para>
    /// </remarks>
    /// <exception cref="ObjectDisposedException">The buffer was disposed.</exception>
    public async Task<int> TakeHeldBatchesAsync(Func<SealedBatch, CancellationToken, ValueTask> keep, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keep);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await _recovered.WaitAsync(cancellationToken).ConfigureAwait(false);
        return (await _stage.TakeHeldAsync(keep, cancellationToken).ConfigureAwait(false)).Batches;
    }
}
