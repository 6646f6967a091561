namespace RawDataDestination.Batching;

/// <summary>Why a batch was sealed.</summary>
/// <remarks>
/// In 1.x, 0 is <see cref="Size"/>, so an unset <see cref="SealCause"/> (<c>default</c>) reads as a real cause. The numbers
/// stay as they are in 1.x, since changing them would break compiled callers. 2.0 numbers the causes from 1 and gives 0
/// to a new <c>Unknown</c> (no cause recorded). The names stay the same. The library stores causes by name (the
/// staging metadata), never by number, so compare and store them by name.
/// </remarks>
public enum SealCause
{
    /// <summary>The batch's NDJSON reached <see cref="BatchBufferOptions.MaxBatchBytes"/>.</summary>
    Size = 0,

    /// <summary>The flush schedule fired (by default every hour at minute 40, UTC).</summary>
    Schedule = 1,

    /// <summary>The host called <see cref="IBatchBuffer.FlushAsync"/>.</summary>
    Flush = 2,

    /// <summary>The buffer was disposed.</summary>
    Shutdown = 3,

    /// <summary>Found in the spool at start: sealed, or open with a journal, when an earlier run stopped.</summary>
    Recovered = 4,

    /// <summary>
    /// Another batch was opened while <see cref="BatchBufferOptions.MaxOpenBatches"/> were open: the least recently
    /// appended one was sealed to make room.
    /// </summary>
    Capacity = 5,
}
