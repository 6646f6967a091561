namespace RawDataDestination.Batching;

/// <summary>Where a source's batches go, as an <see cref="IBatchRouter"/> answers.</summary>
/// <param name="Lane">
/// The lane: the batches delivered to one destination, which share a retry state, a circuit breaker, a share of the
/// in-memory bound and a fair share of upload slots. Several sources of one customer may share a lane.
/// </param>
/// <param name="State">
/// What the router needs to deliver a batch sealed now (for example, the destination's settings at that moment); it
/// travels with the batch as <see cref="SealedBatch.RouteState"/>. May be <see langword="null"/>.
/// </param>
public readonly record struct BatchRoute(string Lane, object? State)
{
    /// <summary>
    /// The route of a source: the router's, else the lane the options' key function gives, else the source's own lane.
    /// A lane that is <see langword="null"/> or empty (a router that returned <see langword="default"/>) is the
    /// router's mistake, said as such: an append is refused with it, and a batch sealed then keeps its events in the
    /// lane of batches with no route.
    /// </summary>
    internal static Func<string, BatchRoute> For(IBatchRouter? router, Func<string, string>? laneKey) =>
        router is not null ? sourceId => Checked(router.Route(sourceId), sourceId, router.GetType())
        : laneKey is not null ? sourceId => Checked(new BatchRoute(laneKey(sourceId), null), sourceId, typeof(BatchBufferOptions))
        : static sourceId => new BatchRoute(sourceId, null);

    private static BatchRoute Checked(BatchRoute route, string sourceId, Type giver) => string.IsNullOrEmpty(route.Lane)
        ? throw new InvalidOperationException(giver == typeof(BatchBufferOptions)
            ? $"BatchBufferOptions.LaneKey gave source '{sourceId}' no lane (null or empty): return a non-empty lane key for every source."
            : $"{giver.Name}.Route gave source '{sourceId}' no lane (BatchRoute.Lane is null or empty, as in default(BatchRoute)): return a non-empty lane for every source it routes, or throw EventRejectedException with EventRejectionReason.NoDestination for a source it has no destination for.")
        : route;
}
