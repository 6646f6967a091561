namespace RawDataDestination.Batching;

/// <summary>What an append does when deliveries fall behind and <see cref="BatchBufferOptions.MaxPendingBatches"/> sealed batches wait.</summary>
public enum BufferFullMode
{
    /// <summary>Wait for room (or the append's cancellation token). The default.</summary>
    Wait,

    /// <summary>Throw <see cref="BufferFullException"/> at once; the event is not accepted.</summary>
    Fail,
}
