namespace RawDataDestination.Spool;

/// <summary>
/// What an append does when the spool directory has reached its size limit (MaxSpoolBytes), its disk has no room for
/// the event's journal line, or its lane is failing and the failing lanes hold their share of it (3/4): the event is not
/// accepted in any of these cases until it is written.
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
