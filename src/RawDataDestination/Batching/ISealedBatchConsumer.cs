namespace RawDataDestination.Batching;

/// <summary>Receives sealed batches from a <see cref="IBatchBuffer"/>. <see cref="S3.S3RoleDestination"/> is one.</summary>
/// <remarks>
/// <para>The contract:</para>
/// <list type="bullet">
/// <item><description>Batches are handed over one at a time: <see cref="ConsumeAsync"/> is never called concurrently,
/// so never concurrently for one source and day either, and batches of one source and day arrive in the order they were sealed.</description></item>
/// <item><description>The buffer owns the batch. The consumer may read it until its task completes and must not keep
/// it after that.</description></item>
/// <item><description>Returning normally means the batch is delivered. Throwing means it is not: the buffer keeps the
/// batch, retries it at the next flush, scheduled seal or shutdown, and reports it as not delivered if it still fails. Consumers should
/// therefore let errors propagate rather than swallow them, and retry transient errors themselves.</description></item>
/// <item><description>The cancellation token fires when a shutdown deadline passes.</description></item>
/// </list>
/// </remarks>
public interface ISealedBatchConsumer
{
    /// <summary>Delivers one sealed batch.</summary>
    /// <param name="batch">The batch. Valid until the returned task completes.</param>
    /// <param name="cancellationToken">Fires when the buffer's shutdown deadline passes.</param>
    /// <returns>A task that completes when the batch is delivered.</returns>
    Task ConsumeAsync(SealedBatch batch, CancellationToken cancellationToken);
}
