namespace RawDataDestination.Tests.Support;

/// <summary>A consumer that keeps a copy of every batch it is given, and can be told to fail.</summary>
internal sealed class RecordingConsumer : ISealedBatchConsumer
{
    private int _concurrent;

    public ConcurrentQueue<DeliveredBatch> Batches { get; } = new();

    public int FailuresToInject { get; set; }

    public int MaxConcurrentCalls { get; private set; }

    /// <summary>Gets every line of every batch, batches in key order: seal order, whatever order concurrent deliveries arrived in.</summary>
    public IEnumerable<string> AllLines => Batches.OrderBy(b => b.FileName, StringComparer.Ordinal).SelectMany(b => b.Lines);

    /// <summary>Completes when at least <paramref name="count"/> batches have arrived (bounded: fails after 30 s).</summary>
    public async Task WaitForBatchesAsync(int count)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (Batches.Count < count)
        {
            await _arrived.WaitAsync(deadline.Token);
        }
    }

    private readonly SemaphoreSlim _arrived = new(0);

    public async Task<BatchReceipt> ConsumeAsync(SealedBatch batch, CancellationToken cancellationToken)
    {
        int now = Interlocked.Increment(ref _concurrent);
        MaxConcurrentCalls = Math.Max(MaxConcurrentCalls, now);
        try
        {
            await Task.Yield();
            if (FailuresToInject > 0)
            {
                FailuresToInject--;
                throw new InvalidOperationException("injected failure");
            }

            Batches.Enqueue(new DeliveredBatch(batch.SourceId, batch.ReceivedDay, batch.FileName, batch.Cause, batch.EventCount, batch.UncompressedBytes, Gzip.Lines(batch.ReadAllBytes())));
            _arrived.Release();
            return BatchReceipt.For(batch, "memory:" + batch.FileName);
        }
        finally
        {
            Interlocked.Decrement(ref _concurrent);
        }
    }
}

internal sealed record DeliveredBatch(string SourceId, DateOnly ReceivedDay, string FileName, SealCause Cause, long EventCount, long UncompressedBytes, string[] Lines);
