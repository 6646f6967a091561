namespace RawDataDestination.Ndjson;

/// <summary>
/// Thrown when an event is refused. The event did not reach any batch; the other events of the batch are unaffected.
/// </summary>
public sealed class EventRejectedException : ArgumentException
{
    /// <summary>Creates an exception for a refused event.</summary>
    /// <param name="reason">Why the event was refused.</param>
    /// <param name="message">What was wrong and what to do about it.</param>
    public EventRejectedException(EventRejectionReason reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    /// <summary>Creates an exception for a refused event, keeping the parser's error.</summary>
    /// <param name="reason">Why the event was refused.</param>
    /// <param name="message">What was wrong and what to do about it.</param>
    /// <param name="innerException">The error that revealed the problem.</param>
    public EventRejectedException(EventRejectionReason reason, string message, Exception? innerException)
        : base(message, innerException)
    {
        Reason = reason;
    }

    /// <summary>Gets why the event was refused.</summary>
    public EventRejectionReason Reason { get; }
}
