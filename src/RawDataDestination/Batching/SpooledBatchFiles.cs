using Microsoft.Extensions.Logging;
using RawDataDestination.Internal;
using RawDataDestination.Spool;

namespace RawDataDestination.Batching;

/// <summary>
/// The spool files of a batch over its delivery: saved when it is sealed, loaded for each attempt, checked again when
/// the destination says the body does not match its checksum (and quarantined if changed on disk), removed once it is
/// delivered. Here the batch becomes what the spool stores (its source, day, file name, bytes and checksum), and back.
/// </summary>
internal static class SpooledBatchFiles
{
    /// <summary>
    /// Saves a sealed batch in the spool under its source, day and file name, with the checksum it was sealed with and
    /// the lane it was sealed for (<see langword="null"/>: none); returns its path.
    /// </summary>
    public static async Task<string> SaveAsync(BatchSpool spool, SealedBatch batch, string? sealedForLane)
    {
        Stream content = batch.OpenRead();
        await using (content.ConfigureAwait(false))
        {
            return await spool.SaveSealedAsync(batch.SourceId, batch.ReceivedDay, batch.FileName, content, batch.ChecksumSha256, sealedForLane).ConfigureAwait(false);
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
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new SpoolDamagedException($"The spooled batch '{batch.SpoolPath}' is gone from the spool; it cannot be delivered.", exception);
        }
    }

    /// <summary>
    /// The rule at a checksum refusal (<see cref="IChecksumRefusal"/>: the destination received a body that does not hash
    /// to the SHA-256 sent with it, S3's <c>BadDigest</c>) of a batch read from the spool: its file is hashed again. If it
    /// no longer matches the SHA-256 recorded at its seal, the file changed on disk, and sending it again cannot help:
    /// it is quarantined as recovery quarantines (<see cref="SpoolQuarantine"/>: logged, counted), and a
    /// <see cref="SpoolDamagedException"/> is thrown, which is never retried. If it still matches, the body changed on the
    /// way, and the refusal stands (retried). A batch held in memory is never checked: its bytes are those sealed.
    /// </summary>
    /// <param name="batch">The batch of the refused attempt.</param>
    /// <param name="refusal">What the attempt threw.</param>
    /// <param name="quarantine">Where a damaged file goes.</param>
    /// <param name="cancellationToken">Cancels the hashing.</param>
    /// <returns>When the refusal stands as it is.</returns>
    /// <exception cref="SpoolDamagedException">The file changed since its seal; <see cref="PendingBatch.QuarantinedTo"/> says where it went, unless it could not be moved.</exception>
    public static async Task ThrowIfDamagedAsync(PendingBatch batch, Exception refusal, SpoolQuarantine? quarantine, CancellationToken cancellationToken)
    {
        if (batch.SpoolPath is not { } path || quarantine is null || !IsChecksumMismatch(refusal))
        {
            return;
        }

        string actual;
        try
        {
            FileStream file = File.OpenRead(path);
            await using (file.ConfigureAwait(false))
            {
                actual = await BatchManifest.ChecksumOfAsync(file, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return; // not read now: the refusal stands, and the next attempt reads it again
        }

        string recorded = batch.Manifest.ChecksumSha256;
        if (actual == recorded)
        {
            return;
        }

        string why = SpoolQuarantine.ChangedSinceSeal(recorded, actual);
        batch.QuarantinedTo = quarantine.MoveSealed(path, batch.Manifest.CompressedBytes, $"{why}: it changed on disk after its seal, while this run was delivering it, and the destination refused its body as not matching that checksum");
        throw new SpoolDamagedException(
            $"The spooled batch '{path}' ({batch.Manifest.EventCount} events of source '{batch.Manifest.SourceId}') changed on disk after it was sealed: {why}. It is not sent again" +
            (batch.QuarantinedTo is { } moved
                ? $"; it was moved to '{moved}'. Look at it: events in it that are sound can be appended again; delete it once done."
                : "; it could not be moved to the quarantine folder (see the error logged), and stays where it is."),
            refusal);
    }

    /// <summary>Whether <paramref name="error"/>, or what it wraps, is a refusal of a body that does not match its checksum.</summary>
    private static bool IsChecksumMismatch(Exception error)
    {
        for (Exception? current = error; current is not null; current = current.InnerException)
        {
            if (current is IChecksumRefusal { IsChecksumMismatch: true })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The rule for the journal of a batch whose save failed (it is delivered from memory, and the journal kept until
    /// then): the batch's seal time is recorded in the journal's name (<see cref="BatchSpool.KeepSealTime"/>), so a start
    /// after a kill seals the journal again under the batch's file name, its key, and never under a new one; and the lane
    /// it was sealed for (<paramref name="sealedForLane"/>), so that start holds it for that lane, never another's. When the
    /// rename fails (or the spool is closed), that is logged, and the journal keeps its name; never throws.
    /// </summary>
    public static void KeepSealTime(BatchSpool spool, JournalWriter? journal, BatchManifest manifest, string? sealedForLane, ILogger logger)
    {
        if (journal is null)
        {
            return;
        }

        try
        {
            spool.KeepSealTime(journal, manifest.BatchId, manifest.SealedAt, sealedForLane);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            LogEvents.JournalSealTimeNotKept(logger, exception, journal.Path, manifest.SourceId, manifest.FileName);
        }
    }

    /// <summary>
    /// The rule for the journal of a batch delivered with no sealed file in the spool to stand for it (its save failed,
    /// and it was delivered from memory; or recovery sealed it while the journal could not be deleted): deleted, or else
    /// marked delivered, so that no later start seals it again under a new key and sends its events twice. Throws when
    /// neither works (a read-only file system): the journal stays, and <see cref="RemoveAfterDeliveryAsync"/> logs it.
    /// </summary>
    /// <param name="spool">The spool the journal is in.</param>
    /// <param name="delete">Deletes the journal; <see langword="false"/> when it could not.</param>
    /// <param name="manifest">The delivered batch's manifest: its source, day, batch id and the file name it was delivered as.</param>
    /// <param name="journal">The journal's path, for the log.</param>
    /// <param name="logger">Where the marking is logged.</param>
    public static async ValueTask RetireJournalAsync(BatchSpool spool, Func<ValueTask<bool>> delete, BatchManifest manifest, string journal, ILogger logger)
    {
        if (await delete().ConfigureAwait(false))
        {
            return;
        }

        spool.MarkDelivered(manifest.SourceId, manifest.ReceivedDay, manifest.BatchId, manifest.FileName);
        LogEvents.JournalMarkedDelivered(logger, journal, manifest.FileName);
    }

    /// <summary>
    /// Deletes a delivered batch's sealed file or, when it cannot be deleted (<c>chattr +i</c>, a read-only folder), marks
    /// its batch delivered (<see cref="BatchSpool.MarkDelivered"/>), so that no restart sends it again: every later start
    /// would otherwise send it again and count it delivered again. Logged with the file to delete by hand. Throws when
    /// neither works: the sealed file stays, and a restart sends it again under the same key.
    /// </summary>
    private static void DeleteOrMarkSealed(PendingBatch batch, BatchSpool spool, string path, ILogger logger)
    {
        try
        {
            spool.DeleteSealed(path, batch.Manifest.CompressedBytes);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            BatchManifest manifest = batch.Manifest;
            spool.MarkSealedDelivered(manifest.SourceId, manifest.ReceivedDay, manifest.BatchId, manifest.FileName);
            LogEvents.SealedMarkedDelivered(logger, exception, manifest.SourceId, manifest.FileName, path);
        }
    }

    /// <summary>
    /// Removes a delivered batch's files: its journal first (one left without its sealed file would be resealed at the
    /// next start and sent again under a new key, while a sealed file left behind is sent again under the same key), then
    /// its sealed file. A file that cannot be removed is logged; the batch is delivered either way. Returns the journal
    /// left with no sealed file to stand for it and no mark (a spool whose file system refuses writes), which the next
    /// start would seal again under a new key, or <see langword="null"/>.
    /// </summary>
    public static async Task<string?> RemoveAfterDeliveryAsync(PendingBatch batch, BatchSpool? spool, ILogger logger)
    {
        try
        {
            if (batch.AfterDelivery is { } after)
            {
                await after().ConfigureAwait(false);
            }

            if (batch.SpoolPath is { } path)
            {
                DeleteOrMarkSealed(batch, spool!, path, logger);
            }

            return null;
        }
#pragma warning disable CA1031 // The batch is delivered; a file left behind is logged (its key is the same if sent again).
        catch (Exception exception)
#pragma warning restore CA1031
        {
            if (batch.SpoolPath is null && batch.KeptJournal is { } journal)
            {
                LogEvents.DeliveredJournalLeft(logger, exception, journal, batch.Manifest.SourceId, batch.Manifest.FileName);
                return journal;
            }

            LogEvents.CleanupFailed(logger, exception, batch.Manifest.SourceId, batch.Manifest.FileName);
            return null;
        }
    }
}
