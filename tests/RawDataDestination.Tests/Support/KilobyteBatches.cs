namespace RawDataDestination.Tests.Support;

/// <summary>
/// The buffer options the batching tests share: batches of about 1 KB (events of up to 1 KB), sealed every
/// <c>flushInterval</c> from the start of the clock's hour, and a dispose that does not wait for deliveries (on a fake
/// clock a deadline never passes: a failed assertion must not hang the dispose).
/// </summary>
internal static class KilobyteBatches
{
    /// <summary>
    /// About 1 KB batches sealed every <paramref name="flushInterval"/>, with <paramref name="spool"/> as the spool when
    /// given; <paramref name="maxPendingBatchesPerLane"/> and <paramref name="retryBudget"/> keep their defaults unless given.
    /// </summary>
    public static BatchBufferOptions SealedEvery(TimeSpan flushInterval, TempDirectory? spool = null, int? maxPendingBatchesPerLane = null, TimeSpan? retryBudget = null)
    {
        var options = new BatchBufferOptions
        {
            MaxBatchBytes = 1024,
            MaxEventBytes = 1024,
            FlushInterval = flushInterval,
            FlushOffset = TimeSpan.Zero,
            ShutdownTimeout = TimeSpan.Zero,
            SpoolDirectory = spool?.Path,
        };
        options.MaxPendingBatchesPerLane = maxPendingBatchesPerLane ?? options.MaxPendingBatchesPerLane;
        options.RetryBudget = retryBudget ?? options.RetryBudget;
        return options;
    }
}
