using Microsoft.Extensions.Logging;
using RawDataDestination.Internal;
using RawDataDestination.Spool;

namespace RawDataDestination.Batching;

/// <summary>
/// The spool files of a batch over its delivery: saved when it is sealed, loaded for each attempt, removed once it is
/// delivered. Here the batch becomes what the spool stores (its source, day, file name, bytes and checksum), and back.
/// </summary>
internal static class SpooledBatchFiles
{
    /// <summary>Saves a sealed batch in the spool under its source, day and file name, with the checksum it was sealed with; returns its path.</summary>
    public static async Task<string> SaveAsync(BatchSpool spool, SealedBatch batch)
    {
        Stream content = batch.OpenRead();
        await using (content.ConfigureAwait(false))
        {
            return await spool.SaveSealedAsync(batch.SourceId, batch.ReceivedDay, batch.FileName, content, batch.ChecksumSha256).ConfigureAwait(false);
        }
    }

    /// <summary>Loads a spooled batch's bytes for one attempt.</summary>
    /// <exception cref="SpoolDamagedException">The file is gone: the batch cannot be delivered (a permanent refusal).</exception>
    public static async Task<SealedBatch> LoadAsync(PendingBatch batch, CancellationToken cancellationToken)
    {
        try
        {
            return batch.Load(await BatchSpool.ReadSealedAsync(batch.SpoolPath!, cancellationToken).ConfigureAwait(false));
        }
        catch (FileNotFoundException exception)
        {
            throw new SpoolDamagedException($"The spooled batch '{batch.SpoolPath}' is gone from the spool; it cannot be delivered.", exception);
        }
    }

    /// <summary>
    /// Removes a delivered batch's files: its journal first (one left without its sealed file would be resealed at the
    /// next start and sent again under a new key, while a sealed file left behind is sent again under the same key), then
    /// its sealed file. A file that cannot be removed is logged; the batch is delivered either way.
    /// </summary>
    public static async Task RemoveAfterDeliveryAsync(PendingBatch batch, BatchSpool? spool, ILogger logger)
    {
        try
        {
            if (batch.AfterDelivery is { } after)
            {
                await after().ConfigureAwait(false);
            }

            if (batch.SpoolPath is { } path)
            {
                spool!.DeleteSealed(path, batch.Manifest.CompressedBytes);
            }
        }
#pragma warning disable CA1031 // The batch is delivered; a file left behind is logged (its key is the same if sent again).
        catch (Exception exception)
#pragma warning restore CA1031
        {
            LogEvents.CleanupFailed(logger, exception, batch.Manifest.SourceId, batch.Manifest.FileName);
        }
    }
}
