using System.Diagnostics.CodeAnalysis;
using System.IO.Compression;
using Microsoft.Extensions.Logging;
using RawDataDestination.Internal;
using RawDataDestination.Ndjson;
using RawDataDestination.Spool;

namespace RawDataDestination.Batching;

/// <summary>
/// Reads what earlier runs left in a spool, once, at start (here in Batching, not in Spool: it re-encodes journals, and
/// the spool itself only stores and returns bytes and lines). What the spool does not trust (<see cref="BatchSpool.UntrustedAtStart"/>:
/// links, FIFOs, devices, another user's files) is moved to <c>quarantine/</c> first, never opened. Journals come next:
/// a journal whose batch already has a sealed file (a crash between the sealed file's rename and the journal's deletion)
/// is deleted, so no batch is uploaded twice; any other journal is sealed (its torn last line cut), saved, then deleted.
/// Then every sealed file becomes a pending batch with its original key. Whatever cannot be read or parsed is moved to
/// <c>quarantine/</c>, logged once with its path and why, and counted (<see cref="SpoolQuarantine"/>); everything
/// else is delivered.
/// </summary>
/// <remarks>
/// <para>
/// A journal that cannot be deleted is never sealed again under a new key. Its batch is delivered, and the journal is
/// deleted again after the delivery, before the sealed file; if it still cannot be, a marker
/// (<c>delivered/{source}/{day}/{batch-id}.delivered</c>) records that its batch was delivered, and only then does the
/// sealed file go. A restart leaves a marked journal alone (and deletes it, and its marker, once it can). Until the marker
/// is written the sealed file stays, so a restart sends the same key again, never a new one.
/// </para>
/// <para>
/// A journal is read a line at a time, never whole: a line longer than <see cref="BatchBufferOptions.MaxEventBytes"/>
/// plus the stamp is no line this library wrote with these settings, and the journal is quarantined after reading at
/// most that much. Memory stays bounded by one line. Nothing in the spool can block recovery: nothing untrusted is
/// opened, and a file that cannot be moved is logged and left.
/// </para>
/// </remarks>
internal sealed partial class SpoolRecovery(BatchSpool spool, BatchBufferOptions options, SpoolQuarantine quarantine, TimeProvider time, ILogger logger)
{
    private readonly List<PendingBatch> _resealed = [];
    private readonly HashSet<(PartitionKey Partition, string BatchId)> _sealedAtStart = [];

    // Journals marked delivered that still could not be deleted: their marker stays, whatever becomes of the sealed file.
    private readonly HashSet<(PartitionKey Partition, string BatchId)> _deliveredJournalsKept = [];
    private readonly Dictionary<(PartitionKey Partition, string BatchId), string> _keptJournals = [];
    private readonly List<string> _notSealed = [];
    private int _retrying; // 1 while a retry of the journals not sealed runs
    /// <summary>Recovers the spool; returns the batches to deliver, each only on disk.</summary>
    public async Task<List<PendingBatch>> RecoverAsync(CancellationToken cancellationToken)
    {
        long started = time.GetTimestamp();
        foreach (UntrustedEntry entry in spool.UntrustedAtStart)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (spool.IsClosed)
            {
                return StoppedEarly(spool.JournalsAtStart.Count, spool.SealedAtStart.Count);
            }

            if (entry.SetAsideTo is { } aside)
            {
                quarantine.Counted();
                LogEvents.SetAside(logger, entry.Path, aside, entry.Reason);
            }
            else
            {
                quarantine.Move(entry.Path, entry.Reason);
            }
        }

        foreach (string path in spool.SealedAtStart)
        {
            if (TryParseSealed(path, out PartitionKey partition, out _, out string batchId) is null)
            {
                _sealedAtStart.Add((partition, batchId)); // its journal, if one is left, is redundant
            }
        }

        for (int next = 0; next < spool.JournalsAtStart.Count; next++)
        {
            string journal = spool.JournalsAtStart[next];
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                await RecoverJournalAsync(journal).ConfigureAwait(false);
            }
            catch (ObjectDisposedException) when (spool.IsClosed)
            {
                return StoppedEarly(spool.JournalsAtStart.Count - next, spool.SealedAtStart.Count);
            }
#pragma warning disable CA1031 // One journal that can't be sealed (a full disk) must not stop the others; it is tried again.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                NotSealed(journal, exception);
            }
        }

        var pending = new List<PendingBatch>();
        var taken = new Dictionary<(PartitionKey Partition, string BatchId), BatchManifest>();
        List<string> sealedFiles = [.. spool.SealedAtStart.OrderBy(Path.GetFileName, StringComparer.Ordinal)]; // a batch's earliest seal first
        for (int next = 0; next < sealedFiles.Count; next++)
        {
            string path = sealedFiles[next];
            cancellationToken.ThrowIfCancellationRequested();
            if (spool.IsClosed)
            {
                return StoppedEarly(0, sealedFiles.Count - next + pending.Count);
            }

            if (TryParseSealed(path, out PartitionKey delivered, out _, out string deliveredId) is null
                && spool.IsMarkedDelivered(delivered.SourceId, delivered.ReceivedDay, deliveredId))
            {
                // Delivered by an earlier run, which could not delete it: never sent again.
                DeliveredSealed(path, delivered, deliveredId);
                continue;
            }

            if (TryParseSealed(path, out PartitionKey place, out _, out string batchId) is null && taken.TryGetValue((place, batchId), out BatchManifest? first))
            {
                // Two sealed files of one batch (a copy of the spool restored over it): under two keys, its events would land twice.
                SecondCopy(path, first);
                continue;
            }

            if (File.Exists(path) && Read(path) is { } batch)
            {
                BatchManifest manifest = batch.Manifest;
                var partition = new PartitionKey(manifest.SourceId, manifest.ReceivedDay);
                taken[(partition, manifest.BatchId)] = manifest;
                if (_keptJournals.TryGetValue((partition, manifest.BatchId), out string? journal))
                {
                    batch.AfterDelivery = Retire(journal, manifest);
                }

                pending.Add(batch);
                spool.CountRecovered();
            }
        }

        if (_resealed.Count > 0 || pending.Count > 0)
        {
            // One line for the whole recovery (a restart after a kill recovers one journal per source: thousands).
            LogEvents.SpoolRecovered(logger, _resealed.Count, _resealed.Sum(p => p.Manifest.EventCount), _resealed.Sum(p => p.Manifest.CompressedBytes), pending.Count, time.GetElapsedTime(started));
        }

        pending.AddRange(_resealed);
        return pending;
    }

    /// <summary>Gets how many journals an earlier run left could not be sealed yet (a full disk): tried again by <see cref="RetryNotSealedAsync"/>.</summary>
    public int JournalsNotSealed
    {
        get
        {
            lock (_notSealed)
            {
                return _notSealed.Count;
            }
        }
    }

    /// <summary>
    /// Tries again to seal the journals recovery could not seal (a full disk at start), after <see cref="RecoverAsync"/>,
    /// and hands each batch sealed now (only on disk) to <paramref name="deliver"/>: called at each scheduled seal and
    /// flush, so that room coming back during the run delivers them, not only the next start. A retry already under way
    /// is not joined. Never throws: what could not be done stays in the spool, tried again.
    /// </summary>
    public async Task RetryNotSealedAsync(Func<PendingBatch, ValueTask> deliver)
    {
        if (JournalsNotSealed == 0 || Interlocked.CompareExchange(ref _retrying, 1, 0) != 0)
        {
            return;
        }

        try
        {
            string[] journals;
            lock (_notSealed)
            {
                journals = [.. _notSealed];
                _notSealed.Clear();
            }

            _resealed.Clear();
            foreach (string journal in journals)
            {
                try
                {
                    if (spool.IsClosed)
                    {
                        NotSealed(journal, null);
                        continue;
                    }

                    await RecoverJournalAsync(journal).ConfigureAwait(false);
                }
#pragma warning disable CA1031 // as at start: one journal that still can't be sealed must not stop the others
                catch (Exception exception)
#pragma warning restore CA1031
                {
                    NotSealed(journal, exception);
                }
            }

            foreach (PendingBatch batch in _resealed)
            {
                await deliver(batch).ConfigureAwait(false);
            }
        }
#pragma warning disable CA1031 // Recovery must never stop deliveries, as at start.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            LogEvents.RecoveryFailed(logger, exception, spool.RootPath);
        }
        finally
        {
            _resealed.Clear();
            Volatile.Write(ref _retrying, 0);
        }
    }

    /// <summary>A journal that could not be sealed now (its events stay in it): logged (unless the spool closed), and kept to be tried again.</summary>
    private void NotSealed(string journal, Exception? exception)
    {
        lock (_notSealed)
        {
            _notSealed.Add(journal);
        }

        if (exception is not null)
        {
            LogEvents.JournalNotRecovered(logger, exception, journal);
        }
    }

    /// <summary>The buffer stopped (its shutdown deadline passed) before recovery ended: says what stays in the spool for the next start.</summary>
    private List<PendingBatch> StoppedEarly(int journalsLeft, int sealedLeft)
    {
        LogEvents.StoppedEarly(logger, spool.RootPath, journalsLeft, sealedLeft + _resealed.Count);
        return [];
    }

    /// <summary>
    /// Checks a sealed file: its place, its name, its recorded SHA-256 (with none it can trust, it is read whole instead:
    /// <see cref="ReadUnvouched"/>), and that it is complete gzip; counts its lines.
    /// </summary>
    private PendingBatch? Read(string path)
    {
        if (TryParseSealed(path, out PartitionKey partition, out DateTimeOffset sealedAt, out string batchId) is { } where)
        {
            quarantine.Move(path, where);
            return null;
        }

        // The checksum first: a file changed since its seal is not even decompressed.
        string? recorded;
        string? sealedForLane;
        string actual;
        try
        {
            recorded = spool.ReadChecksum(path, out sealedForLane);
            using FileStream file = File.OpenRead(path);
            actual = BatchManifest.ChecksumOf(file);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            quarantine.Unreadable(path, exception);
            return null;
        }

        if (!IsSha256(recorded))
        {
            // No checksum vouches for it (none was written, as in spools of earlier versions, or it was lost or damaged):
            // read it whole, so that a file cut short or altered never reaches the bucket.
            return ReadUnvouched(path, partition, sealedAt, batchId, actual, recorded is null ? "none beside it" : "the one beside it is not a SHA-256");
        }

        if (recorded != actual)
        {
            // Changed on disk since it was sealed: uploading it would put bytes nobody sent under the batch's key.
            quarantine.Move(path, SpoolQuarantine.ChangedSinceSeal(recorded, actual));
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
        catch (Exception exception) when (exception is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            if (exception is InvalidDataException)
            {
                quarantine.Move(path, $"it is not a complete gzip file: its compressed data is cut short or damaged (the decompressor says: {exception.Message.TrimEnd('.')})");
            }
            else
            {
                quarantine.Unreadable(path, exception);
            }

            return null;
        }

        if (events == 0)
        {
            quarantine.Move(path, "it holds no event");
            return null;
        }

        // Opened at is not kept on disk: the sealed-at time stands for it.
        return new PendingBatch(path, new BatchManifest(partition.SourceId, partition.ReceivedDay, batchId, sealedAt, sealedAt, SealCause.Recovered, events, bytes, new FileInfo(path).Length, actual)) { SealedForLane = sealedForLane };
    }

    /// <summary>
    /// Checks a sealed file that no trusted checksum vouches for by reading it whole (<see cref="GzipNdjsonCheck"/>):
    /// complete gzip, nothing after it, and nothing but event lines, each ending with a newline. Quarantines it otherwise.
    /// </summary>
    private PendingBatch? ReadUnvouched(string path, PartitionKey partition, DateTimeOffset sealedAt, string batchId, string actual, string checksum)
    {
        string? problem;
        long events, bytes;
        try
        {
            using FileStream file = File.OpenRead(path);
            problem = GzipNdjsonCheck.Check(file, MaxLineBytes, out events, out bytes);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            quarantine.Unreadable(path, exception);
            return null;
        }

        if (problem is not null)
        {
            quarantine.Move(path, $"{problem} (it has no SHA-256 recorded at its seal to check it against, {checksum}, so it was read whole)");
            return null;
        }

        LogEvents.SealedReadWhole(logger, path, checksum, events);
        return new PendingBatch(path, new BatchManifest(partition.SourceId, partition.ReceivedDay, batchId, sealedAt, sealedAt, SealCause.Recovered, events, bytes, new FileInfo(path).Length, actual));
    }

    /// <summary>Whether a recorded checksum is one: the base64 of 32 bytes, as <see cref="BatchManifest.ChecksumOf"/> writes it.</summary>
    internal static bool IsSha256([NotNullWhen(true)] string? checksum) =>
        checksum is { Length: 44 } && Convert.TryFromBase64String(checksum, stackalloc byte[32], out int written) && written == 32;

    /// <summary>
    /// Reads what a path under <paramref name="root"/> means: <c>{source}/{day}/{file}</c> of a valid source id; returns
    /// why it is not that, or <see langword="null"/>.
    /// </summary>
    private static string? TryParsePlace(string root, string path, out PartitionKey partition, out string fileName)
    {
        partition = default;
        if (SpoolPaths.TryParse(root, path, out string sourceId, out DateOnly receivedDay, out fileName) is { } where)
        {
            return where;
        }

        if (SourceIdRules.Error(sourceId) is not null)
        {
            return SpoolPaths.NotASourceFolder(SpoolPaths.EncodeSourceId(sourceId));
        }

        partition = new PartitionKey(sourceId, receivedDay);
        return null;
    }

    /// <summary>Reads what a sealed file's path means: its place and its batch's file name; returns why it is not one, or <see langword="null"/>.</summary>
    private string? TryParseSealed(string path, out PartitionKey partition, out DateTimeOffset sealedAt, out string batchId)
    {
        sealedAt = default;
        batchId = string.Empty;
        return TryParsePlace(spool.SealedRoot, path, out partition, out string fileName)
            ?? (BatchNaming.TryParseFileName(fileName, out sealedAt, out batchId) is { } notAName ? "its name " + notAName : null);
    }
}
