using System.Buffers;
using RawDataDestination.Internal;
using RawDataDestination.Ndjson;
using RawDataDestination.Spool;

namespace RawDataDestination.Batching;

/// <summary>
/// Recovery of the journals an earlier run left: each is deleted when its batch already has a sealed file (or was
/// delivered), and otherwise sealed (its torn last line cut), saved, then deleted. And the sealed files that are no batch
/// to send: a second file of one batch, and one whose batch an earlier run delivered but could not delete.
/// </summary>
internal sealed partial class SpoolRecovery
{
    /// <summary>The longest line this library writes with these settings: an event of MaxEventBytes and its stamp.</summary>
    private int MaxLineBytes => (int)Math.Min(int.MaxValue - 1L, (long)options.MaxEventBytes + EventJson.MaxLineOverhead);

    private async Task RecoverJournalAsync(string path)
    {
        if (TryParsePlace(spool.JournalRoot, path, out PartitionKey partition, out string fileName) is { } where)
        {
            quarantine.Move(path, where);
            return;
        }

        // A journal whose batch was sealed where the spool could not keep it (delivered from memory) has its seal time
        // in its name: sealed again with it, its batch keeps its file name, its key, so a batch that landed before a kill
        // lands under that same key (a 412 with conditional writes), never under a second one.
        if (SpoolPaths.JournalBatchId(fileName, out DateTimeOffset? sealedBefore, out string? laneTag) is not { } batchId || BatchNaming.BatchIdError(batchId) is not null
            || (sealedBefore is { } sealedAt && BatchNaming.SealedAtError(sealedAt) is not null))
        {
            quarantine.Move(path, SpoolPaths.NotAJournalName(fileName));
            return;
        }

        if (spool.IsMarkedDelivered(partition.SourceId, partition.ReceivedDay, batchId))
        {
            // Its batch was delivered by an earlier run, which could not delete it: never sealed again. The marker stays
            // while the batch's sealed file does, which it also guards.
            if (spool.TryDeleteJournal(path))
            {
                if (!_sealedAtStart.Contains((partition, batchId)))
                {
                    spool.ForgetDelivered(partition.SourceId, partition.ReceivedDay, batchId);
                }
            }
            else
            {
                _deliveredJournalsKept.Add((partition, batchId));
                LogEvents.DeliveredJournalKept(logger, path, spool.DeliveredAs(partition.SourceId, partition.ReceivedDay, batchId) ?? "?");
            }

            return;
        }

        if (_sealedAtStart.Contains((partition, batchId)))
        {
            // Sealed and saved before the crash: the sealed file is delivered, not this.
            if (!spool.TryDeleteJournal(path))
            {
                _keptJournals[(partition, batchId)] = path;
                LogEvents.JournalNotDeletable(logger, path);
            }

            return;
        }

        JournalRead read = await ReadJournalAsync(path).ConfigureAwait(false);
        if (read.ReadFailed is { } failed)
        {
            await read.DisposeAsync().ConfigureAwait(false);
            quarantine.Unreadable(path, failed);
            return;
        }

        if (read.Problem is { } problem)
        {
            await read.DisposeAsync().ConfigureAwait(false);
            quarantine.Move(path, problem);
            return;
        }

        if (read.TornBytes > 0)
        {
            LogEvents.JournalLineCutShort(logger, path, partition.SourceId, read.TornBytes, read.Encoder.EventCount);
        }

        if (read.Encoder.EventCount == 0)
        {
            // Nothing but a torn first line (or nothing): no event of it was acknowledged.
            await read.DisposeAsync().ConfigureAwait(false);
            if (!spool.TryDeleteJournal(path))
            {
                LogEvents.EmptyJournalKept(logger, path);
            }

            return;
        }

        DateTimeOffset sealTime = sealedBefore ?? time.GetUtcNow();
        using SealedBatch sealedBatch = SealedBatch.Seal(read.Content, partition.SourceId, partition.ReceivedDay, batchId, sealTime, sealTime, SealCause.Recovered, read.Encoder.EventCount, read.Encoder.UncompressedBytes);
        // The lane its batch was sealed for, when its name records one (kept past its seal): held for that lane, as a
        // sealed file's lane is; a journal of an open batch was sealed for no lane yet, and goes where the tenants say now.
        string? sealedForLane = laneTag is null ? null : SpoolPaths.LaneByTag(laneTag);
        string saved = await SpooledBatchFiles.SaveAsync(spool, sealedBatch, sealedForLane).ConfigureAwait(false);
        Telemetry.BatchesSealed.Add(1, Telemetry.Tag("cause", SealPolicy.CauseTag(SealCause.Recovered)));
        var pending = new PendingBatch(saved, sealedBatch.Manifest) { SealedForLane = sealedForLane };
        if (!spool.TryDeleteJournal(path))
        {
            // Left as it is, the journal would be sealed again at the next start, under a new key: delivered twice.
            pending.AfterDelivery = Retire(path, pending.Manifest);
            LogEvents.JournalNotDeletable(logger, path);
        }

        _resealed.Add(pending);
        LogEvents.RecoveredJournal(logger, partition.SourceId, sealedBatch.FileName, sealedBatch.EventCount);
    }

    /// <summary>
    /// What to do once the batch of <paramref name="journal"/>, which could not be deleted, is delivered: delete the journal,
    /// or else mark it delivered (<see cref="SpooledBatchFiles.RetireJournalAsync"/>).
    /// </summary>
    private Func<ValueTask> Retire(string journal, BatchManifest manifest) =>
        () => SpooledBatchFiles.RetireJournalAsync(spool, () => ValueTask.FromResult(spool.TryDeleteJournal(journal)), manifest, journal, logger);

    /// <summary>
    /// Reads a journal a line at a time into a new batch: at most one line (bounded by MaxEventBytes and the stamp) is
    /// held; a longer one stops the read. A torn last line is left out. The batch is compressed as an open batch's is
    /// (<see cref="PooledGzipNdjsonEncoder"/>, at the options' level and threads), so a journal whose batch was sealed
    /// before (delivered from memory, <see cref="SpoolPaths.SealedJournalName"/>) gives the same bytes again.
    /// </summary>
    private async Task<JournalRead> ReadJournalAsync(string path)
    {
        var content = new SegmentedBuffer();
        var read = new JournalRead(content, new PooledGzipNdjsonEncoder(content, options.CompressionLevel, options.CompressionThreads));
        using var lines = new EventLineCutter(MaxLineBytes);
        try
        {
            FileStream file = File.OpenRead(path);
            await using (file.ConfigureAwait(false))
            {
                int length;
                while ((length = await file.ReadAsync(lines.Chunk).ConfigureAwait(false)) > 0)
                {
                    lines.Take(length);
                    read.TornBytes += length;
                    while (lines.Next())
                    {
                        read.TornBytes -= lines.Line.Length + 1; // what is left at the end: a last line with no newline
                        WriteLine(read.Encoder, lines.Line);
                        await read.Encoder.FlushIfNeededAsync(CancellationToken.None).ConfigureAwait(false);
                    }

                    if (lines.Problem is { } problem)
                    {
                        read.Problem = problem;
                        return read;
                    }
                }
            }

            await read.Encoder.CompleteAsync().ConfigureAwait(false); // a torn last line (no newline) is left out
            return read;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            read.ReadFailed = exception;
            return read;
        }
    }

    /// <summary>Writes a journal's line (cut, without its newline) into the batch: compact, as the journal holds it, and ending with its newline.</summary>
    private static void WriteLine(PooledGzipNdjsonEncoder encoder, ReadOnlySpan<byte> line)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(line.Length + EventJson.MaxLineOverhead);
        try
        {
            encoder.WriteLine(buffer.AsSpan(0, EventJson.WriteLine(line, stamp: null, buffer)));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>A journal read into a new batch, or why it could not be.</summary>
    private sealed class JournalRead(SegmentedBuffer content, PooledGzipNdjsonEncoder encoder) : IAsyncDisposable
    {
        public SegmentedBuffer Content { get; } = content;

        public PooledGzipNdjsonEncoder Encoder { get; } = encoder;

        public string? Problem { get; set; }

        /// <summary>Gets or sets why the file could not be read, if it could not.</summary>
        public Exception? ReadFailed { get; set; }

        /// <summary>Gets or sets the bytes of a last line with no newline (cut short), left out; once read to its end.</summary>
        public long TornBytes { get; set; }

        public async ValueTask DisposeAsync()
        {
            await Encoder.DisposeAsync().ConfigureAwait(false);
            await Content.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Takes a second sealed file of the batch of <paramref name="first"/> out of the delivery: deleted when its bytes are
    /// the first's (nothing of it is lost), quarantined when they differ (which one holds the batch is a person's call).
    /// </summary>
    private void SecondCopy(string path, BatchManifest first)
    {
        string checksum;
        try
        {
            using FileStream file = File.OpenRead(path);
            checksum = BatchManifest.ChecksumOf(file);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            quarantine.Unreadable(path, exception);
            return;
        }

        if (checksum == first.ChecksumSha256)
        {
            spool.DeleteSealedCopy(path);
            LogEvents.SealedCopyDeleted(logger, path, first.BatchId, first.FileName);
        }
        else
        {
            quarantine.Move(path, $"it is a second sealed file of batch {first.BatchId}, with other bytes than the one delivered ({first.FileName}); which holds the batch is for a person to say");
        }
    }

    /// <summary>
    /// A sealed file whose batch an earlier run delivered and marked (<see cref="BatchSpool.MarkDelivered"/>), since it could
    /// not delete it: deleted now with its marker, or, if it still cannot be, left where it is, logged, and not sent.
    /// </summary>
    private void DeliveredSealed(string path, PartitionKey partition, string batchId)
    {
        try
        {
            spool.DeleteSealedCopy(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            LogEvents.DeliveredSealedKept(logger, path);
            return;
        }

        if (!_deliveredJournalsKept.Contains((partition, batchId)))
        {
            spool.ForgetDelivered(partition.SourceId, partition.ReceivedDay, batchId);
        }
    }
}
