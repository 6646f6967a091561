using System.IO.Compression;
using Microsoft.Extensions.Logging;
using RawDataDestination.Internal;
using RawDataDestination.Ndjson;
using RawDataDestination.Spool;

namespace RawDataDestination.Batching;

/// <summary>
/// Reads what earlier runs left in a spool, once, at start (here in Batching, not in Spool: it re-encodes journals, and
/// the spool itself only stores and returns bytes and lines). Journals come first: a journal whose batch already has a
/// sealed file (a crash between the sealed file's rename and the journal's deletion) is deleted, so no batch is
/// uploaded twice; any other journal is sealed (its torn last line cut), saved, then deleted. Then every sealed file
/// becomes a pending batch with its original key. Whatever cannot be read or parsed is moved to
/// <c>quarantine/</c>, logged once with its path and why, and counted (<c>rawdata.spool.quarantined</c>); everything
/// else is delivered.
/// </summary>
internal sealed partial class SpoolRecovery(BatchSpool spool, BatchBufferOptions options, TimeProvider time, ILogger logger)
{
    private int _quarantined;

    /// <summary>Gets how many files were quarantined.</summary>
    public int Quarantined => Volatile.Read(ref _quarantined);

    /// <summary>Recovers the spool; returns the batches to deliver, each only on disk.</summary>
    public async Task<List<PendingBatch>> RecoverAsync(CancellationToken cancellationToken)
    {
        foreach (string journal in spool.JournalsAtStart)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                await RecoverJournalAsync(journal).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // One journal that can't be sealed (a full disk) must not stop the others; it stays for the next start.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                Log.JournalNotRecovered(logger, exception, journal);
            }
        }

        var pending = new List<PendingBatch>();
        foreach (string path in spool.SealedAtStart)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (File.Exists(path) && Read(path) is { } batch)
            {
                pending.Add(batch);
                spool.CountRecovered();
            }
        }

        pending.AddRange(_resealed);
        return pending;
    }

    private readonly List<PendingBatch> _resealed = [];

    private async Task RecoverJournalAsync(string path)
    {
        if (SpoolPaths.TryParse(spool.JournalRoot, path, out PartitionKey partition, out string fileName) is { } where)
        {
            Quarantine(path, where);
            return;
        }

        if (SpoolPaths.TryParseJournalName(fileName, out string batchId) is { } name)
        {
            Quarantine(path, name);
            return;
        }

        if (spool.HasSealed(partition, batchId))
        {
            spool.DeleteJournal(path); // sealed and saved before the crash: the sealed file is delivered, not this
            return;
        }

        byte[] journal;
        try
        {
            journal = await File.ReadAllBytesAsync(path).ConfigureAwait(false);
        }
        catch (IOException exception)
        {
            Quarantine(path, "it cannot be read: " + exception.Message);
            return;
        }

        int end = Array.LastIndexOf(journal, (byte)'\n') + 1; // a torn tail is cut at the last complete line
        if (end == 0)
        {
            spool.DeleteJournal(path);
            return;
        }

        var content = new SegmentedBuffer();
        var encoder = new GzipNdjsonEncoder(content, options.CompressionLevel, int.MaxValue);
        ReadOnlyMemory<byte> lines = journal.AsMemory(0, end);
        int lineNumber = 0;
        try
        {
            while (!lines.IsEmpty)
            {
                lineNumber++;
                int newline = lines.Span.IndexOf((byte)'\n');
                ReadOnlySpan<byte> line = lines.Span[..newline];
                if (EventJson.Validate(line, int.MaxValue) is null)
                {
                    throw new EventRejectedException(EventRejectionReason.InvalidReceivedAt, "the line has no receivedAt, which every journaled line has");
                }

                encoder.WriteValidated(line, stamp: null);
                await encoder.FlushIfNeededAsync(CancellationToken.None).ConfigureAwait(false);
                lines = lines[(newline + 1)..];
            }

            await encoder.CompleteAsync().ConfigureAwait(false);
        }
        catch (EventRejectedException exception)
        {
            await encoder.DisposeAsync().ConfigureAwait(false);
            await content.DisposeAsync().ConfigureAwait(false);
            Quarantine(path, $"line {lineNumber} is not an event this library wrote ({exception.Message})");
            return;
        }

        DateTimeOffset now = time.GetUtcNow();
        using var sealedBatch = new SealedBatch(partition.SourceId, partition.ReceivedDay, batchId, now, now, SealCause.Recovered, encoder.EventCount, encoder.UncompressedBytes, content);
        string saved = await spool.SaveSealedAsync(sealedBatch).ConfigureAwait(false);
        Telemetry.BatchesSealed.Add(1, Telemetry.Tag("cause", SealPolicy.CauseTag(SealCause.Recovered)));
        spool.DeleteJournal(path);
        var pending = new PendingBatch(saved, partition.SourceId, partition.ReceivedDay, batchId, now, sealedBatch.EventCount, sealedBatch.UncompressedBytes, sealedBatch.CompressedBytes, sealedBatch.ChecksumSha256);
        _resealed.Add(pending);
        Log.RecoveredJournal(logger, partition.SourceId, sealedBatch.FileName, sealedBatch.EventCount);
    }

    /// <summary>Checks a sealed file: its place, its name, and that it is a complete gzip file; counts its lines.</summary>
    private PendingBatch? Read(string path)
    {
        if (SpoolPaths.TryParse(spool.SealedRoot, path, out PartitionKey partition, out string fileName) is { } where)
        {
            Quarantine(path, where);
            return null;
        }

        if (SpoolPaths.TryParseSealedName(fileName, out DateTimeOffset sealedAt, out string batchId) is { } name)
        {
            Quarantine(path, name);
            return null;
        }

        long events = 0, bytes = 0;
        try
        {
            using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
            byte[] buffer = new byte[64 * 1024];
            int read;
            while ((read = gzip.Read(buffer)) > 0)
            {
                bytes += read;
                events += buffer.AsSpan(0, read).Count((byte)'\n');
            }
        }
        catch (Exception exception) when (exception is InvalidDataException or IOException)
        {
            Quarantine(path, "it is not a complete gzip file: " + exception.Message);
            return null;
        }

        if (events == 0)
        {
            Quarantine(path, "it holds no event");
            return null;
        }

        string? recorded;
        string actual;
        try
        {
            recorded = BatchSpool.ReadChecksum(path);
            using FileStream file = File.OpenRead(path);
            actual = ContentChecksum.Sha256(file);
        }
        catch (IOException exception)
        {
            Quarantine(path, "it cannot be read: " + exception.Message);
            return null;
        }

        if (recorded is not null && recorded != actual)
        {
            // Changed on disk since it was sealed: uploading it would put bytes nobody sent under the batch's key.
            Quarantine(path, $"its bytes no longer match the SHA-256 recorded when it was sealed ({recorded}; now {actual})");
            return null;
        }

        return new PendingBatch(path, partition.SourceId, partition.ReceivedDay, batchId, sealedAt, events, bytes, new FileInfo(path).Length, actual);
    }

    private void Quarantine(string path, string reason)
    {
        try
        {
            string moved = spool.Quarantine(path, time.GetUtcNow());
            Interlocked.Increment(ref _quarantined);
            Telemetry.SpoolQuarantined.Add(1);
            Log.Quarantined(logger, path, moved, reason);
        }
#pragma warning disable CA1031 // A file that can't even be moved is logged and left; recovery goes on.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            Log.QuarantineFailed(logger, exception, path, reason);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(30, LogLevel.Warning, "The spool file {Path} cannot be recovered because {Reason}; it was moved to {QuarantinePath}, where it is kept (never deleted). Every other batch is delivered.")]
        public static partial void Quarantined(ILogger logger, string path, string quarantinePath, string reason);

        [LoggerMessage(31, LogLevel.Error, "The spool file {Path} cannot be recovered because {Reason}, and moving it to the quarantine folder failed; it is left in place and skipped.")]
        public static partial void QuarantineFailed(ILogger logger, Exception exception, string path, string reason);

        [LoggerMessage(33, LogLevel.Error, "The spool journal {Path} could not be sealed now; it stays in the spool and the next start tries again.")]
        public static partial void JournalNotRecovered(ILogger logger, Exception exception, string path);

        [LoggerMessage(32, LogLevel.Information, "Recovered batch {FileName} of source {SourceId} ({EventCount} events) from the spool's journal.")]
        public static partial void RecoveredJournal(ILogger logger, string sourceId, string fileName, long eventCount);
    }
}
