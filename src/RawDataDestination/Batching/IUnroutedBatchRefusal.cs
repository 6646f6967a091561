namespace RawDataDestination.Batching;

/// <summary>
/// A consumer that can say, without the batch's bytes, that it would refuse a batch with no route state (one sealed
/// while its source had no route) permanently now. With a spool, the buffer asks before trying such a parked batch
/// again, and leaves it parked rather than read it from disk only to have it refused again.
/// </summary>
/// <remarks>
/// The answer must be exactly the consumer's own rule: <see langword="true"/> only when
/// <see cref="ISealedBatchConsumer.ConsumeAsync"/> would throw a permanent refusal for such a batch of
/// <c>sourceId</c> now, whatever its content. <see cref="Routing.DestinationRouter"/> answers whether the source has a
/// destination. Called under no lock of the consumer's, once per kept batch at each scheduled seal, flush and shutdown:
/// keep it fast.
/// </remarks>
internal interface IUnroutedBatchRefusal
{
    /// <summary>Whether a batch of <paramref name="sourceId"/> with no route state would be refused permanently now.</summary>
    bool WouldRefuseUnrouted(string sourceId);
}
