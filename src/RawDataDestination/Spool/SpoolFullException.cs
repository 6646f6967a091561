namespace RawDataDestination.Spool;

/// <summary>
/// Thrown by an append when the spool is full (at <c>MaxSpoolBytes</c>, or its disk out of room) and
/// <see cref="SpoolFullMode.Fail"/> is set. The event was not accepted: append it again later.
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
