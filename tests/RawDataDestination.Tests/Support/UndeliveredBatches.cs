namespace RawDataDestination.Tests.Support;

/// <summary>What a buffer hands back after its shutdown: the batches it could not deliver.</summary>
internal static class UndeliveredBatches
{
    /// <summary>
    /// Takes <paramref name="buffer"/>'s undelivered batches (<see cref="BatchBuffer.TakeUndeliveredBatches"/>), as a host
    /// would, disposes them, and returns how many events they held.
    /// </summary>
    public static long TakeAndDispose(BatchBuffer buffer)
    {
        IReadOnlyList<SealedBatch> taken = buffer.TakeUndeliveredBatches();
        long events = taken.Sum(batch => batch.EventCount);
        foreach (SealedBatch batch in taken)
        {
            batch.Dispose();
        }

        return events;
    }
}
