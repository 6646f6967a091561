using RawDataDestination.Spool;

namespace RawDataDestination.Batching;

/// <summary>
/// The rule that a batch keeps the lane it was sealed for across restarts. The spool records each sealed batch's lane
/// (its customer) beside the batch; a batch found in the spool at start whose source now routes to another lane, or to
/// none, is held in a lane of its own, apart from every routed lane, and never handed to another lane's destination: its
/// attempts are refused (parked, kept, tried again at each scheduled seal, flush and shutdown) until its source routes
/// to the lane it was sealed for again, and then it is delivered there, with that lane's route state now. A journal kept
/// past its batch's seal (its save failed on a full disk) records that lane by its tag in its name
/// (<see cref="SpoolPaths.SealedJournalName"/>: no room for a file then), and its batch, sealed again at a restart, is
/// held for the lane <c>sha256:{tag}</c>, which is the lane whose key has that tag (<see cref="SpoolPaths.IsLane"/>).
/// </summary>
internal sealed partial class DeliveryStage
{
    /// <summary>Takes a batch, routed now (<see cref="RouteAtTake"/>), and starts its delivery: see the other overload.</summary>
    public ValueTask AddAsync(PendingBatch batch, CancellationToken cancellationToken) =>
        AddAsync(batch, RouteAtTake(batch), cancellationToken);

    /// <summary>
    /// The lane and route state of a source now, for a batch sealed now: the lane it is recorded with in the spool
    /// (<see cref="PendingBatch.SealedForLane"/>) is the lane it is delivered in.
    /// </summary>
    public (LaneId Lane, object? State) RouteToSeal(PendingBatch batch)
    {
        (LaneId Lane, object? State) route = RouteOf(batch.Manifest.SourceId);
        batch.SealedForLane = route.Lane.Unrouted ? null : route.Lane.Key;
        return route;
    }

    /// <summary>
    /// The route of a batch the stage takes without one: its source's route now, unless the batch was sealed (in an
    /// earlier run) for another lane than that; then the lane that holds batches sealed for that lane.
    /// </summary>
    private (LaneId Lane, object? State) RouteAtTake(PendingBatch batch)
    {
        (LaneId Lane, object? State) route = RouteOf(batch.Manifest.SourceId);
        if (batch.SealedForLane is not { } sealedFor)
        {
            return route;
        }

        if (!route.Lane.Unrouted && SpoolPaths.IsLane(sealedFor, route.Lane.Key))
        {
            batch.SealedForLane = route.Lane.Key; // its key, also for a lane recorded by its tag
            return route;
        }

        return (HeldFor(sealedFor), null);
    }

    /// <summary>The lane of the batches sealed for <paramref name="sealedFor"/> that their sources no longer route to.</summary>
    private static LaneId HeldFor(string sealedFor) => new($"(held for lane '{sealedFor}')", Unrouted: true);

    /// <summary>
    /// Before an attempt of a batch held for the lane it was sealed for: its route state if its source routes to that
    /// lane again; otherwise a permanent refusal that names both lanes and what to do (the batch is parked and kept).
    /// </summary>
    private void RouteHeldBatch(PendingBatch batch)
    {
        if (batch.SealedForLane is not { } sealedFor || !batch.Lane!.Unrouted)
        {
            return;
        }

        (LaneId Lane, object? State) route = RouteOf(batch.Manifest.SourceId);
        if (!route.Lane.Unrouted && SpoolPaths.IsLane(sealedFor, route.Lane.Key))
        {
            batch.RouteState = route.State;
            return;
        }

        string now = route.Lane.Unrouted ? "to no lane" : $"to lane '{route.Lane.Key}'";
        string byTag = sealedFor.StartsWith(SpoolPaths.LaneByTagPrefix, StringComparison.Ordinal)
            ? " (the lane whose key's SHA-256 begins with those hex digits: its journal, kept on a full disk, recorded the lane so)"
            : string.Empty;
        throw new LaneChangedException(
            $"Batch {batch.Manifest.FileName} of source '{batch.Manifest.SourceId}' ({batch.Manifest.EventCount} events) was sealed for lane '{sealedFor}'{byTag} before this start, and its source now routes {now}: it is kept in the spool ({batch.SpoolPath}) and never sent to another lane's destination. "
            + $"It is delivered once source '{batch.Manifest.SourceId}' routes to lane '{sealedFor}' again (restore that customer's entry); to let it go without losing it, the host takes it with BatchBuffer.TakeHeldBatchesAsync.");
    }

    /// <summary>A batch's refusal while its source routes to another lane than the one it was sealed for: permanent until that changes.</summary>
    private sealed class LaneChangedException(string message) : Exception(message), IDeliveryRefusal
    {
        public bool IsPermanent => true;
    }
}
