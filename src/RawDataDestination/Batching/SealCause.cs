namespace RawDataDestination.Batching;

/// <summary>Why a batch was sealed.</summary>
public enum SealCause
{
    /// <summary>The batch's NDJSON reached <see cref="BatchBufferOptions.MaxBatchBytes"/>.</summary>
    Size,

    /// <summary>The flush schedule fired (by default every hour at minute 40, UTC).</summary>
    Schedule,

    /// <summary>The host called <see cref="IBatchBuffer.FlushAsync"/>.</summary>
    Flush,

    /// <summary>The buffer was disposed.</summary>
    Shutdown,

    /// <summary>Found in the spool at start: sealed, or open with a journal, when an earlier run stopped.</summary>
    Recovered,

    /// <summary>
    /// Another batch was opened while <see cref="BatchBufferOptions.MaxOpenBatches"/> were open: the least recently
    /// appended one was sealed to make room.
    /// </summary>
    Capacity,
}
