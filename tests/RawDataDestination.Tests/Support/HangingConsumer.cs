namespace RawDataDestination.Tests.Support;

/// <summary>A consumer whose deliveries never finish until cancelled, like a stalled network.</summary>
internal sealed class HangingConsumer : ISealedBatchConsumer
{
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Gets a task that completes when the first delivery starts.</summary>
    public Task Started => _started.Task;

    public async Task<BatchReceipt> ConsumeAsync(SealedBatch batch, CancellationToken cancellationToken)
    {
        _started.TrySetResult();
        await Task.Delay(Timeout.Infinite, cancellationToken);
        throw new InvalidOperationException("not reached: the delay ends only by its cancellation");
    }
}
