namespace RawDataDestination.Spool;

/// <summary>Thrown by an append when the spool is full and <see cref="SpoolFullMode.Fail"/> is set. The event was not accepted.</summary>
public sealed class SpoolFullException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">How full the spool is and what to do.</param>
    public SpoolFullException(string message)
        : base(message)
    {
    }
}
