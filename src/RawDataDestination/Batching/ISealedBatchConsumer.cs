namespace RawDataDestination.Batching;

/// <summary>Receives sealed batches from a <see cref="IBatchBuffer"/>. <see cref="S3.S3RoleDestination"/> is one.</summary>
/// <remarks>
/// <para>The contract:</para>
/// <list type="bullet">
/// <item><description>One call is one delivery attempt. The buffer owns retries: it calls again, with the same batch
/// (same file name, same bytes), after a backoff, until a call returns normally. Consumers should not retry
/// themselves beyond fallbacks that belong inside one attempt.</description></item>
/// <item><description>Calls may run concurrently, up to <see cref="BatchBufferOptions.MaxConcurrentUploads"/> shared
/// fairly by lanes (<see cref="SealedBatch.Lane"/>), for different batches (also of the same source and day); never two at
/// once for the same batch. Batches may arrive in any order: their file names, fixed at sealing, keep them
/// apart.</description></item>
/// <item><description>The buffer owns the batch. The consumer may read it until its task completes and must not keep
/// it after that.</description></item>
/// <item><description>Returning normally means the batch is delivered. Throwing means it is not: the batch is kept and
/// tried again. An exception that implements <see cref="IDeliveryRefusal"/> with <see cref="IDeliveryRefusal.IsPermanent"/>
/// set (such as <see cref="S3.DestinationException"/>) parks the batch (kept, tried again at the next scheduled seal,
/// flush or shutdown); any other exception is retried with exponential backoff. Let errors propagate rather than
/// swallow them.</description></item>
/// <item><description>The cancellation token fires when the attempt's timeout
/// (<see cref="BatchBufferOptions.AttemptTimeout"/>) or the shutdown deadline passes.</description></item>
/// </list>
/// </remarks>
public interface ISealedBatchConsumer
{
    /// <summary>Makes one attempt to deliver a sealed batch.</summary>
    /// <param name="batch">The batch. Valid until the returned task completes.</param>
    /// <param name="cancellationToken">Fires when the attempt times out or the buffer's shutdown deadline passes.</param>
    /// <returns>What was delivered, once the batch is delivered.</returns>
    Task<BatchReceipt> ConsumeAsync(SealedBatch batch, CancellationToken cancellationToken);
}
