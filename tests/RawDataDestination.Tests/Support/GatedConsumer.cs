namespace RawDataDestination.Tests.Support;

/// <summary>A consumer whose deliveries wait until released (or cancelled), then record the messageIds they were given.</summary>
internal sealed class GatedConsumer : ISealedBatchConsumer
{
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<string> _ids = [];

    /// <summary>Gets a task that completes when the first delivery starts.</summary>
    public Task Started => _started.Task;

    public IReadOnlyList<string> MessageIds
    {
        get
        {
            lock (_ids)
            {
                return _ids.ToList();
            }
        }
    }

    public void Release() => _released.TrySetResult();

    /// <summary>Releases the deliveries when disposed, so a failing test cannot leave its buffer's dispose waiting.</summary>
    public IDisposable ReleaseOnDispose() => new Releaser(this);

    public async Task<BatchReceipt> ConsumeAsync(SealedBatch batch, CancellationToken cancellationToken)
    {
        _started.TrySetResult();
        await _released.Task.WaitAsync(cancellationToken);
        lock (_ids)
        {
            _ids.AddRange(Gzip.Lines(batch.ReadAllBytes()).Select(line => JsonDocument.Parse(line).RootElement.GetProperty("messageId").GetString()!));
        }

        return BatchReceipt.For(batch, "memory");
    }

    private sealed class Releaser(GatedConsumer consumer) : IDisposable
    {
        public void Dispose() => consumer.Release();
    }
}
