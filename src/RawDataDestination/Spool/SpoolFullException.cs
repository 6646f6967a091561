namespace RawDataDestination.Spool;

/// <summary>
/// Thrown by an append when <see cref="SpoolFullMode.Fail"/> is set and the spool is full (at its limit, <c>MaxSpoolBytes</c>
/// or 4/5 of its disk's room when that is less, or its disk out of room), or the append's lane is failing and the failing
/// lanes' batches hold their share of the spool (3/4 of its limit: the message names the lane, its error and the failing lanes holding the most). The event
/// was not accepted: append it again later.
/// </summary>
public sealed class SpoolFullException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">How full the spool is and what to do.</param>
    public SpoolFullException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception for a write the spool's disk refused for want of room.</summary>
    /// <param name="message">Where the disk is full and what to do.</param>
    /// <param name="diskFull">The write's error.</param>
    internal SpoolFullException(string message, IOException diskFull)
        : base(message, diskFull)
    {
    }
}
