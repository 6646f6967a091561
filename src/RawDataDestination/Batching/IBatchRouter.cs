namespace RawDataDestination.Batching;

/// <summary>
/// Tells a <see cref="BatchBuffer"/> where each source's batches go, for a consumer that delivers to many destinations
/// (one per customer): which lane a source's batches travel in, and what destination a batch is bound to when it is
/// sealed. <see cref="Routing.DestinationRouter"/> is one.
/// </summary>
/// <remarks>
/// <para>
/// A buffer whose consumer implements this interface asks it on every append (an event whose source has nowhere to go
/// is refused at once, with <see cref="Ndjson.EventRejectionReason.NoDestination"/>, and sent nowhere) and once for each
/// batch when it is sealed. The batch then carries the answer (<see cref="SealedBatch.Lane"/> and
/// <see cref="SealedBatch.RouteState"/>) to every delivery attempt, so a settings change reaches the batches sealed
/// after it, never one already sealed.
/// </para>
/// <para>
/// Batches read back from a spool at start are routed again then, and keep the lane they were sealed for (the spool
/// records it): one whose source now routes to another lane is held apart, refused and kept, never handed to that lane,
/// until its source routes to its own lane again. A batch whose source has no route any more when it is
/// sealed (or whose <see cref="Route"/> throws then) keeps its events: it is handed to the consumer with no route state
/// and its source id as <see cref="SealedBatch.Lane"/>, for the consumer to deliver or refuse permanently (the batch is
/// parked, kept and tried again later). Such batches share one lane per cause (the rejection's reason, or the exception's
/// type), which no routed lane shares whatever its key: a removed customer's thousand sources are one failing lane.
/// </para>
/// <para><see cref="Route"/> is called on the appending thread, for every event: keep it fast and allocation-free.</para>
/// </remarks>
public interface IBatchRouter
{
    /// <summary>Gets where the batches of <paramref name="sourceId"/> go now.</summary>
    /// <param name="sourceId">A valid source id.</param>
    /// <returns>The lane (never null or empty: an append is refused with <see cref="InvalidOperationException"/> if it is), and the state a batch sealed now is bound to.</returns>
    /// <exception cref="Ndjson.EventRejectedException">The source has no destination (reason <see cref="Ndjson.EventRejectionReason.NoDestination"/>); the message says what to configure.</exception>
    BatchRoute Route(string sourceId);
}
