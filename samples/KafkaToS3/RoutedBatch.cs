using RawDataDestination.Batching;
using RawDataDestination.Routing;

namespace RawDataDestination.KafkaToS3;

/// <summary>A sealed batch with the destination its source resolved to when its first record was appended.</summary>
/// <param name="Batch">The batch; the owner disposes it once it is delivered, staged or dropped.</param>
/// <param name="Destination">The tenant (the breaker's key, and what logs name) and its settings (its bucket names the staged key).</param>
internal sealed record RoutedBatch(SealedBatch Batch, TenantDestination Destination) : IDisposable
{
    private int _holders = 1;

    /// <summary>Gets the tenant's name.</summary>
    public string Tenant => Destination.Tenant;

    /// <summary>
    /// Gets or sets the write of this batch to the staging bucket that went on after its window stopped waiting for it
    /// (the step-aside), or <see langword="null"/>. The held window's next try waits for it, and counts the batch staged
    /// once it landed, rather than writing it again.
    /// </summary>
    public Task? StagingGoingOn { get; set; }

    /// <summary>
    /// Gets or sets the direct attempt of this batch that went on after its window stopped waiting for it (the step-aside),
    /// or <see langword="null"/>. Once it delivered, the held window's next try counts the batch delivered rather than
    /// sending it again.
    /// </summary>
    public Task? DirectGoingOn { get; set; }

    /// <summary>
    /// Gets or sets the refusal retrying cannot fix that left this batch undelivered at its last try
    /// (<see cref="BatchOutcome.Refused"/>), or <see langword="null"/>: what the worker names when it gives the batch's partition up.
    /// </summary>
    public Exception? Refusal { get; set; }

    /// <summary>
    /// Gets or sets what left this batch undelivered (neither delivered nor staged) at its last try, in the tenants file's
    /// words (<see cref="TenantWords"/>), or <see langword="null"/>: what the worker names when a held window kept failing
    /// for <see cref="KafkaToS3Options.RetryTimeLimit"/> and its partition is given up.
    /// </summary>
    public string? Failure { get; set; }

    /// <summary>
    /// Keeps the batch for one more holder: a direct attempt that goes on after its window was staged and moved on. Each
    /// holder disposes once; the batch's memory is freed by the last.
    /// </summary>
    public RoutedBatch Retain()
    {
        Interlocked.Increment(ref _holders);
        return this;
    }

    public void Dispose()
    {
        if (Interlocked.Decrement(ref _holders) == 0)
        {
            Batch.Dispose();
        }
    }
}
