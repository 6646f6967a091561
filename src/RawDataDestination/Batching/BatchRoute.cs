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
public readonly record struct BatchRoute(string Lane, object? State);
