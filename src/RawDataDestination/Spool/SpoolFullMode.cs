namespace RawDataDestination.Spool;

/// <summary>
/// What an append does when the spool directory has reached its size limit (MaxSpoolBytes), or its disk has no room for
/// the event's journal line: the event is not accepted either way.
/// </summary>
public enum SpoolFullMode
{
    /// <summary>
    /// Wait until deliveries free room (or the append's cancellation token fires). The default. On a full disk the append
    /// tries its write again each time a delivery frees room, and at least every second (someone else may free it).
    /// </summary>
    Wait,

    /// <summary>Throw <see cref="SpoolFullException"/> at once; the event is not accepted.</summary>
    Fail,
}
