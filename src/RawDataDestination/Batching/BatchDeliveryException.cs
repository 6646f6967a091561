using RawDataDestination.Internal;

namespace RawDataDestination.Batching;

/// <summary>
/// Thrown by <see cref="IBatchBuffer.FlushAsync"/> when some batches could not be delivered: refused, or not delivered
/// within the retry budget. It counts those apart from the batches that were still being delivered when it was thrown.
/// </summary>
public sealed class BatchDeliveryException : Exception
{
    /// <summary>Creates the exception, every batch not delivered counted as given up.</summary>
    /// <param name="undeliveredBatches">How many batches are not delivered.</param>
    /// <param name="undeliveredEvents">How many events those batches hold.</param>
    /// <param name="innerException">The last delivery error.</param>
    public BatchDeliveryException(int undeliveredBatches, long undeliveredEvents, Exception? innerException)
        : this(undeliveredBatches, undeliveredEvents, undeliveredBatches, undeliveredEvents, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="undeliveredBatches">How many batches are not delivered: given up, or still being delivered.</param>
    /// <param name="undeliveredEvents">How many events those batches hold.</param>
    /// <param name="givenUpBatches">How many of them were refused, or not delivered within the retry budget.</param>
    /// <param name="givenUpEvents">How many events those hold.</param>
    /// <param name="innerException">The last delivery error of a batch given up.</param>
    public BatchDeliveryException(int undeliveredBatches, long undeliveredEvents, int givenUpBatches, long givenUpEvents, Exception? innerException)
        : this(undeliveredBatches, undeliveredEvents, givenUpBatches, givenUpEvents, innerException, [])
    {
    }

    /// <summary>Creates the exception, naming the lanes given up.</summary>
    /// <param name="undeliveredBatches">How many batches are not delivered: given up, or still being delivered.</param>
    /// <param name="undeliveredEvents">How many events those batches hold.</param>
    /// <param name="givenUpBatches">How many of them were refused, or not delivered within the retry budget.</param>
    /// <param name="givenUpEvents">How many events those hold.</param>
    /// <param name="innerException">The last delivery error of a batch given up.</param>
    /// <param name="givenUpLanes">The keys of the lanes those batches are in.</param>
    public BatchDeliveryException(int undeliveredBatches, long undeliveredEvents, int givenUpBatches, long givenUpEvents, Exception? innerException, IReadOnlyList<string> givenUpLanes)
        : base(Describe(undeliveredBatches, undeliveredEvents, givenUpBatches, givenUpEvents, innerException, givenUpLanes), innerException)
    {
        ArgumentNullException.ThrowIfNull(givenUpLanes);
        UndeliveredBatches = undeliveredBatches;
        UndeliveredEvents = undeliveredEvents;
        GivenUpBatches = givenUpBatches;
        GivenUpEvents = givenUpEvents;
        GivenUpLanes = givenUpLanes;
    }

    /// <summary>Gets how many batches are not delivered: those given up (<see cref="GivenUpBatches"/>) and those still being delivered.</summary>
    public int UndeliveredBatches { get; }

    /// <summary>Gets how many events the undelivered batches hold.</summary>
    public long UndeliveredEvents { get; }

    /// <summary>Gets how many batches were refused, or not delivered within the retry budget (their delivery goes on).</summary>
    public int GivenUpBatches { get; }

    /// <summary>Gets how many events the batches given up hold.</summary>
    public long GivenUpEvents { get; }

    /// <summary>
    /// Gets the keys of the lanes given up, in ordinal order: the source ids, or what <see cref="BatchBufferOptions.LaneKey"/>
    /// or the <see cref="IBatchRouter"/> gave (a customer, say). The batches not delivered are all in these lanes: a flush
    /// waits for every other lane's batches before it throws. Empty when the thrower did not say.
    /// </summary>
    public IReadOnlyList<string> GivenUpLanes { get; }

    private static string Describe(int undeliveredBatches, long undeliveredEvents, int givenUpBatches, long givenUpEvents, Exception? innerException, IReadOnlyList<string>? givenUpLanes)
    {
        string lanes = givenUpLanes is not { Count: > 0 }
            ? string.Empty
            : $" ({Counted.Either(givenUpLanes.Count, "lane", "lanes")} {LogEvents.Lanes(givenUpLanes, lane => lane)})";
        string others = undeliveredBatches > givenUpBatches
            ? $"; {undeliveredBatches - givenUpBatches} more holding {Counted.Of(undeliveredEvents - givenUpEvents, "event")} {Counted.Either(undeliveredBatches - givenUpBatches, "was", "were")} still being delivered"
            : string.Empty;
        return $"{Counted.Of(givenUpBatches, "batch")} holding {Counted.Of(givenUpEvents, "event")} could not be delivered{lanes}: refused, or not delivered within the retry budget{others}. "
            + (givenUpLanes is { Count: > 0 } ? "Every other batch the flush waited for was delivered. " : string.Empty)
            + $"They are kept and their delivery goes on (refused ones are tried again at the next flush, scheduled seal or shutdown). "
            + (innerException is null ? "No attempt has ended yet: the one under way has had no answer for the whole retry budget (an endpoint that accepts and never answers)." : $"Last error: {innerException.Message}");
    }
}
