namespace RawDataDestination.Batching;

/// <summary>Thrown by an append when deliveries are behind and <see cref="BufferFullMode.Fail"/> is set. The event was not accepted.</summary>
public sealed class BufferFullException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is full and what to do.</param>
    public BufferFullException(string message)
        : base(message)
    {
    }
}
