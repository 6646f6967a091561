namespace RawDataDestination.Spool;

/// <summary>What an append does when the spool directory has reached its size limit, or its lane is failing and the failing lanes hold their share of it (3/4).</summary>
public enum SpoolFullMode
{
    /// <summary>Wait until deliveries free room (or the append's cancellation token fires). The default.</summary>
    Wait,

    /// <summary>Throw <see cref="SpoolFullException"/> at once; the event is not accepted.</summary>
    Fail,
}
