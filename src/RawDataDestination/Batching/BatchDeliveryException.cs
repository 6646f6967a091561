namespace RawDataDestination.Batching;

/// <summary>Thrown by <see cref="IBatchBuffer.FlushAsync"/> when some batches could not be delivered.</summary>
public sealed class BatchDeliveryException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="undeliveredBatches">How many batches are not delivered.</param>
    /// <param name="undeliveredEvents">How many events those batches hold.</param>
    /// <param name="innerException">The last delivery error.</param>
    public BatchDeliveryException(int undeliveredBatches, long undeliveredEvents, Exception? innerException)
        : base(
            $"{undeliveredBatches} batch(es) holding {undeliveredEvents} event(s) are not delivered: one was refused, or kept failing for the retry budget. They are kept and their delivery goes on (refused ones are tried again at the next flush, scheduled seal or shutdown). Last error: {innerException?.Message}",
            innerException)
    {
        UndeliveredBatches = undeliveredBatches;
        UndeliveredEvents = undeliveredEvents;
    }

    /// <summary>Gets how many batches are not delivered.</summary>
    public int UndeliveredBatches { get; }

    /// <summary>Gets how many events the undelivered batches hold.</summary>
    public long UndeliveredEvents { get; }
}
