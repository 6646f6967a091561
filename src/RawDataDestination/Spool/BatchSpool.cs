using System.Text;
using RawDataDestination.Batching;
using RawDataDestination.Internal;

namespace RawDataDestination.Spool;

/// <summary>
/// The spool directory: storage only. Sealed batches are kept as <c>sealed/{source}/{day-ms}/{file}.gz</c> from before
/// their first upload attempt until S3 confirms them; open batches have a journal,
/// <c>journal/{source}/{day-ms}/{batch-id}.ndjson</c>, holding every acknowledged line; what recovery cannot read goes to
/// <c>quarantine/</c> and is never deleted. A lock on <c>spool.lock</c> keeps a second buffer, in this process or
/// another, out of a spool in use. Folders are created 0700 and files 0600 (<see cref="PrivateFiles"/>); source ids are
/// written so that case-insensitive file systems keep them apart (<see cref="SpoolPaths"/>).
/// </summary>
/// <remarks>
/// The spool trusts only what it wrote: at start it lists its folders without following anything, and only regular
/// files owned by the process's user (<see cref="SpoolEntry"/>) are ever opened, read or deleted. Symbolic links (to
/// files or folders), FIFOs, sockets, devices, files of another user and folders where only files belong are listed in
/// <see cref="UntrustedAtStart"/> for recovery to move to <c>quarantine/</c>; one standing where the spool needs its own
/// lock file or top folder is renamed aside first (<c>{name}.untrusted-{id}</c>), so it never blocks a start.
/// </remarks>
internal sealed class BatchSpool : IDisposable
{
    /// <summary>The name of the lock file in the spool directory.</summary>
    public const string LockFileName = "spool.lock";

    private const int MaxChecksumFileBytes = 256;

    private readonly FileStream _lock;
    private readonly string _tempRoot;
    private readonly long _maxBytes;
    private readonly SpoolFullMode _fullMode;
    private readonly object _roomLock = new();
    private readonly object _closeGate = new();
    private readonly HashSet<string> _sealedBatchesAtStart = new(StringComparer.Ordinal);
    private readonly HashSet<string> _checksumsAtStart = new(StringComparer.Ordinal);
    private readonly HashSet<string> _deliveredMarkersAtStart = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _countedAtStart = new(StringComparer.Ordinal);
    private TaskCompletionSource _roomFreed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _bytes;
    private int _sealedCount;
    private bool _closed;

    public BatchSpool(string directory, long maxBytes, SpoolFullMode fullMode)
    {
        RootPath = Path.GetFullPath(directory);
        SealedRoot = Path.Combine(RootPath, SpoolPaths.SealedFolder);
        JournalRoot = Path.Combine(RootPath, SpoolPaths.JournalFolder);
        QuarantineRoot = Path.Combine(RootPath, SpoolPaths.QuarantineFolder);
        DeliveredRoot = Path.Combine(RootPath, SpoolPaths.DeliveredFolder);
        _tempRoot = Path.Combine(RootPath, SpoolPaths.TempFolder);
        PrivateFiles.CreateFolder(RootPath);
        var untrusted = new List<UntrustedEntry>();
        SetAsideUnlessOwn(Path.Combine(RootPath, LockFileName), folder: false, untrusted); // a FIFO there would block the open
        _lock = TakeLock(RootPath);
        foreach (string folder in (ReadOnlySpan<string>)[SealedRoot, JournalRoot, _tempRoot, QuarantineRoot, DeliveredRoot])
        {
            SetAsideUnlessOwn(folder, folder: true, untrusted);
        }

        PrivateFiles.CreateFolder(SealedRoot);
        PrivateFiles.CreateFolder(JournalRoot);
        PrivateFiles.CreateFolder(_tempRoot);
        foreach (SpoolEntry leftover in Scan(_tempRoot, folderLevels: 0, untrusted))
        {
            if (SpoolPaths.IsTempName(Path.GetFileName(leftover.Path)))
            {
                File.Delete(leftover.Path); // a write that never reached its rename
            }
            else
            {
                untrusted.Add(new UntrustedEntry(leftover.Path, "its name is not one the spool gives a file in tmp/"));
            }
        }

        _maxBytes = maxBytes;
        _fullMode = fullMode;

        // Listed now, before this run writes anything, so recovery sees only what earlier runs left.
        List<SpoolEntry> sealedFiles = Scan(SealedRoot, folderLevels: 2, untrusted);
        var sealedPaths = sealedFiles.Select(file => file.Path).ToHashSet(StringComparer.Ordinal);
        var sealedAtStart = new List<string>();
        foreach (SpoolEntry file in sealedFiles)
        {
            if (file.Path.EndsWith(SpoolPaths.ChecksumExtension, StringComparison.Ordinal))
            {
                if (sealedPaths.Contains(file.Path[..^SpoolPaths.ChecksumExtension.Length]))
                {
                    _checksumsAtStart.Add(file.Path);
                }
                else
                {
                    File.Delete(file.Path); // a crash between the checksum's rename and its batch's
                }

                continue;
            }

            sealedAtStart.Add(file.Path);
            _countedAtStart[file.Path] = file.Length;
            if (SpoolPaths.TryParse(SealedRoot, file.Path, out PartitionKey partition, out string fileName) is null
                && SpoolPaths.TryParseSealedName(fileName, out _, out string batchId) is null)
            {
                _sealedBatchesAtStart.Add(BatchKey(partition, batchId));
            }
        }

        SealedAtStart = sealedAtStart;
        var journals = new List<string>();
        foreach (SpoolEntry journal in Scan(JournalRoot, folderLevels: 2, untrusted))
        {
            journals.Add(journal.Path);
            _countedAtStart[journal.Path] = journal.Length;
        }

        JournalsAtStart = journals;
        if (Directory.Exists(DeliveredRoot))
        {
            foreach (SpoolEntry marker in Scan(DeliveredRoot, folderLevels: 2, untrusted))
            {
                string journal = Path.Combine(JournalRoot, Path.GetRelativePath(DeliveredRoot, marker.Path));
                if (!marker.Path.EndsWith(SpoolPaths.DeliveredExtension, StringComparison.Ordinal))
                {
                    untrusted.Add(new UntrustedEntry(marker.Path, $"its name is not {{batch id}}{SpoolPaths.DeliveredExtension}"));
                }
                else if (_countedAtStart.ContainsKey(journal[..^SpoolPaths.DeliveredExtension.Length] + SpoolPaths.JournalExtension))
                {
                    _deliveredMarkersAtStart.Add(marker.Path);
                }
                else
                {
                    File.Delete(marker.Path); // its journal is gone at last: nothing left to guard
                }
            }
        }

        UntrustedAtStart = untrusted;
        _bytes = _countedAtStart.Values.Sum();
    }

    /// <summary>Gets the spool's folder, as a full path.</summary>
    public string RootPath { get; }

    public string SealedRoot { get; }

    public string JournalRoot { get; }

    public string QuarantineRoot { get; }

    /// <summary>Gets the folder of markers for delivered journals that could not be deleted.</summary>
    public string DeliveredRoot { get; }

    /// <summary>Gets every trusted file under <c>sealed/</c> at start (not the checksums): an earlier run did not see them confirmed.</summary>
    public IReadOnlyList<string> SealedAtStart { get; }

    /// <summary>Gets every trusted file under <c>journal/</c> at start: batches that were open when an earlier run stopped.</summary>
    public IReadOnlyList<string> JournalsAtStart { get; }

    /// <summary>Gets what the spool found at start and does not trust (<see cref="SpoolEntry"/>): recovery quarantines each, or reports where it was set aside.</summary>
    public IReadOnlyList<UntrustedEntry> UntrustedAtStart { get; }

    /// <summary>Gets the bytes on disk.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Gets the number of sealed batches on disk that this run knows of, waiting for delivery.</summary>
    public int SealedCount => Volatile.Read(ref _sealedCount);

    /// <summary>Gets whether the spool is closed: its lock released, its files no longer this instance's to change.</summary>
    public bool IsClosed
    {
        get
        {
            lock (_closeGate)
            {
                return _closed;
            }
        }
    }

    /// <summary>
    /// Releases the spool's lock. A change to its files under way (a rename, a delete) finishes first, and none starts
    /// after: work still running for this instance (a recovery cut short by the shutdown deadline) cannot touch a spool
    /// that another buffer may already hold.
    /// </summary>
    public void Dispose()
    {
        lock (_closeGate)
        {
            _closed = true;
        }

        _lock.Dispose();
    }

    private static FileStream TakeLock(string directory)
    {
        string path = Path.Combine(directory, LockFileName);
        try
        {
            // FileShare.None is an exclusive advisory lock on Unix (flock) and a sharing lock on Windows; either way
            // it is released when the process ends, kill -9 included.
            return PrivateFiles.Open(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException exception)
        {
            throw new InvalidOperationException(
                $"The spool directory '{directory}' is in use by another batch buffer (its {LockFileName} is locked). Give each process, and each buffer, a SpoolDirectory of its own.",
                exception);
        }
    }

    /// <summary>Waits (or fails, by <see cref="SpoolFullMode"/>) until the spool has room for <paramref name="bytes"/> more.</summary>
    public async ValueTask WaitForRoomAsync(long bytes, CancellationToken cancellationToken)
    {
        while (Bytes + bytes > _maxBytes)
        {
            if (_fullMode == SpoolFullMode.Fail)
            {
                throw new SpoolFullException($"The spool at '{RootPath}' holds {Bytes} bytes, at its limit of {_maxBytes} bytes (MaxSpoolBytes): deliveries are behind. Retry later, raise MaxSpoolBytes, or use SpoolFullMode.Wait.");
            }

            Task freed;
            lock (_roomLock)
            {
                freed = _roomFreed.Task;
            }

            if (Bytes + bytes > _maxBytes)
            {
                await freed.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Opens the journal of a new batch; <paramref name="onCommitted"/> receives each round of lines once on disk.</summary>
    public JournalWriter OpenJournal(PartitionKey partition, string batchId, JournalWriter.CommittedHandler onCommitted)
    {
        string folder = SpoolPaths.PartitionFolder(JournalRoot, partition);
        PrivateFiles.CreateFolder(folder);
        return new JournalWriter(Path.Combine(folder, batchId + SpoolPaths.JournalExtension), grown => Grown(grown), onCommitted);
    }

    /// <summary>Closes and deletes the journal of a batch now sealed on disk.</summary>
    public async ValueTask DeleteJournalAsync(JournalWriter journal)
    {
        await journal.DeleteAsync().ConfigureAwait(false);
        Freed(journal.Length);
    }

    /// <summary>The path a sealed batch is kept at.</summary>
    public string SealedPath(PartitionKey partition, string fileName) =>
        Path.Combine(SpoolPaths.PartitionFolder(SealedRoot, partition), fileName);

    /// <summary>Whether a trusted sealed file of batch <paramref name="batchId"/> was on disk at start: its journal is then redundant.</summary>
    public bool HasSealed(PartitionKey partition, string batchId) => _sealedBatchesAtStart.Contains(BatchKey(partition, batchId));

    /// <summary>Writes a sealed batch durably: to a temporary file, flushed to disk, then renamed into place. Returns its path.</summary>
    public async Task<string> SaveSealedAsync(SealedBatch batch)
    {
        string target = SealedPath(new PartitionKey(batch.SourceId, batch.ReceivedDay), batch.FileName);
        if (File.Exists(target))
        {
            return target; // already there
        }

        PrivateFiles.CreateFolder(Path.GetDirectoryName(target)!);
        string temp = Path.Combine(_tempRoot, Guid.NewGuid().ToString("N"));
        try
        {
            FileStream file = PrivateFiles.Open(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
            await using (file.ConfigureAwait(false))
            {
                Stream content = batch.OpenRead();
                await using (content.ConfigureAwait(false))
                {
                    await content.CopyToAsync(file).ConfigureAwait(false);
                }

                file.Flush(flushToDisk: true);
            }

            // The checksum first, so a sealed file is never on disk without the SHA-256 it was sealed with.
            await SaveChecksumAsync(target + SpoolPaths.ChecksumExtension, batch.ChecksumSha256).ConfigureAwait(false);
            Change(() => File.Move(temp, target));
        }
        catch
        {
            File.Delete(temp);
            throw;
        }

        Grown(batch.CompressedBytes);
        Interlocked.Increment(ref _sealedCount);
        return target;
    }

    /// <summary>
    /// Reads the SHA-256 recorded for a sealed file found at start when its batch was sealed, or <see langword="null"/> for
    /// a file saved without one (or whose checksum file the spool does not trust). Reads at most a few hundred bytes.
    /// </summary>
    public string? ReadChecksum(string sealedPath)
    {
        string path = sealedPath + SpoolPaths.ChecksumExtension;
        if (!_checksumsAtStart.Contains(path))
        {
            return null;
        }

        using FileStream file = File.OpenRead(path);
        byte[] text = new byte[MaxChecksumFileBytes];
        int length = file.ReadAtLeast(text, text.Length, throwOnEndOfStream: false);
        return Encoding.ASCII.GetString(text, 0, length).Trim();
    }

    private async Task SaveChecksumAsync(string target, string checksum)
    {
        string temp = Path.Combine(_tempRoot, Guid.NewGuid().ToString("N"));
        try
        {
            FileStream file = PrivateFiles.Open(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
            await using (file.ConfigureAwait(false))
            {
                await file.WriteAsync(Encoding.ASCII.GetBytes(checksum)).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }

            Change(() => File.Move(temp, target, overwrite: true));
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Counts a sealed file found at start, which <see cref="DeleteSealed"/> will delete once delivered.</summary>
    public void CountRecovered() => Interlocked.Increment(ref _sealedCount);

    /// <summary>Reads a sealed file into memory, for one delivery attempt.</summary>
    public static async Task<SegmentedBuffer> ReadSealedAsync(string path, CancellationToken cancellationToken)
    {
        var content = new SegmentedBuffer();
        try
        {
            FileStream file = File.OpenRead(path);
            await using (file.ConfigureAwait(false))
            {
                await file.CopyToAsync(content, cancellationToken).ConfigureAwait(false);
            }

            return content;
        }
        catch
        {
            content.Dispose();
            throw;
        }
    }

    /// <summary>Deletes a delivered batch's file.</summary>
    public void DeleteSealed(string path, long bytes)
    {
        if (File.Exists(path))
        {
            Change(() =>
            {
                File.Delete(path);
                File.Delete(path + SpoolPaths.ChecksumExtension);
            });
            Interlocked.Decrement(ref _sealedCount);
            Freed(bytes);
        }
    }

    /// <summary>Deletes a journal found at start, whose lines are now in a sealed file (or were none).</summary>
    public void DeleteJournal(string path)
    {
        Change(() => File.Delete(path));
        if (_countedAtStart.Remove(path, out long length))
        {
            Freed(length);
        }
    }

    /// <summary>Deletes a journal found at start; <see langword="false"/> when it cannot be deleted (it stays, counted, and is left as it is).</summary>
    public bool TryDeleteJournal(string path)
    {
        try
        {
            DeleteJournal(path);
            return !File.Exists(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Whether an earlier run marked the journal of <paramref name="batchId"/> delivered (<see cref="MarkJournalDelivered"/>).</summary>
    public bool IsJournalDelivered(PartitionKey partition, string batchId) => _deliveredMarkersAtStart.Contains(DeliveredMarkerPath(partition, batchId));

    /// <summary>Reads the file name a marked journal's batch was delivered as (for the log), or <see langword="null"/>.</summary>
    public string? DeliveredAs(PartitionKey partition, string batchId)
    {
        string path = DeliveredMarkerPath(partition, batchId);
        if (!_deliveredMarkersAtStart.Contains(path))
        {
            return null;
        }

        try
        {
            using FileStream file = File.OpenRead(path);
            byte[] text = new byte[MaxChecksumFileBytes];
            return Encoding.UTF8.GetString(text, 0, file.ReadAtLeast(text, text.Length, throwOnEndOfStream: false)).Trim();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Records, durably, that the batch of a journal that could not be deleted was delivered as <paramref name="fileName"/>:
    /// a restart then leaves the journal alone instead of sealing it again under a new key. Throws when the marker cannot
    /// be written (then the sealed file is kept, and a restart sends it again under the same key).
    /// </summary>
    public void MarkJournalDelivered(PartitionKey partition, string batchId, string fileName)
    {
        string target = DeliveredMarkerPath(partition, batchId);
        PrivateFiles.CreateFolder(Path.GetDirectoryName(target)!);
        string temp = Path.Combine(_tempRoot, Guid.NewGuid().ToString("N"));
        try
        {
            using (FileStream file = PrivateFiles.Open(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                file.Write(Encoding.UTF8.GetBytes(fileName));
                file.Flush(flushToDisk: true);
            }

            Change(() => File.Move(temp, target, overwrite: true));
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Deletes the delivered marker of a journal that is gone at last.</summary>
    public void ForgetJournalDelivered(PartitionKey partition, string batchId)
    {
        string path = DeliveredMarkerPath(partition, batchId);
        if (_deliveredMarkersAtStart.Remove(path))
        {
            Change(() => File.Delete(path));
        }
    }

    /// <summary>
    /// Moves what recovery cannot use to <c>quarantine/</c>, where it is kept for a person to look at, and returns its new
    /// path: a file or a folder, a link or a FIFO alike, by a rename that neither follows nor opens it. A file counted in
    /// the spool's size at start no longer is, and its trusted checksum goes with it.
    /// </summary>
    public string Quarantine(string path, DateTimeOffset now)
    {
        PrivateFiles.CreateFolder(QuarantineRoot);
        string flat = Path.GetRelativePath(RootPath, path).Replace(Path.DirectorySeparatorChar, '_');
        string target = Path.Combine(QuarantineRoot, $"{now:yyyyMMdd'T'HHmmss'Z'}-{Guid.NewGuid().ToString("N")[..8]}-{(flat.Length > 160 ? flat[^160..] : flat)}");
        Change(() =>
        {
            MoveEntry(path, target);
            if (_checksumsAtStart.Remove(path + SpoolPaths.ChecksumExtension))
            {
                File.Move(path + SpoolPaths.ChecksumExtension, target + SpoolPaths.ChecksumExtension);
            }
        });

        if (_countedAtStart.Remove(path, out long length))
        {
            Freed(length);
        }

        return target;
    }

    /// <summary>
    /// Lists the trusted files under <paramref name="root"/>, <paramref name="folderLevels"/> trusted folders deep, in
    /// path order, without following anything; adds every entry it does not trust to <paramref name="untrusted"/>, and
    /// a folder deeper than the spool makes as well.
    /// </summary>
    private static List<SpoolEntry> Scan(string root, int folderLevels, List<UntrustedEntry> untrusted)
    {
        var files = new List<SpoolEntry>();
        Walk(root, folderLevels);
        return files;

        void Walk(string folder, int levelsLeft)
        {
            List<string> paths;
            try
            {
                paths = [.. Directory.EnumerateFileSystemEntries(folder).Order(StringComparer.Ordinal)];
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException && folder != root)
            {
                untrusted.Add(new UntrustedEntry(folder, "it cannot be listed: " + exception.Message));
                return;
            }

            foreach (string path in paths)
            {
                SpoolEntry? found;
                try
                {
                    found = SpoolEntry.Inspect(path);
                }
                catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
                {
                    untrusted.Add(new UntrustedEntry(path, "what it is cannot be read: " + exception.Message));
                    continue;
                }

                if (found is not { } entry)
                {
                    continue; // gone since it was listed
                }

                if (entry.Untrusted is { } why)
                {
                    untrusted.Add(new UntrustedEntry(path, why));
                }
                else if (!entry.IsDirectory)
                {
                    files.Add(entry);
                }
                else if (levelsLeft > 0)
                {
                    Walk(path, levelsLeft - 1);
                }
                else
                {
                    untrusted.Add(new UntrustedEntry(path, "it is a folder where the spool keeps only files"));
                }
            }
        }
    }

    /// <summary>Makes one change to the spool's files, unless it is closed (then throws <see cref="ObjectDisposedException"/>).</summary>
    private void Change(Action change)
    {
        lock (_closeGate)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            change();
        }
    }

    /// <summary>Renames, beside itself, what stands where the spool needs a file or folder of its own and is not one it trusts.</summary>
    private static void SetAsideUnlessOwn(string path, bool folder, List<UntrustedEntry> untrusted)
    {
        if (SpoolEntry.Inspect(path) is not { } entry || (entry.Untrusted is null && entry.IsDirectory == folder))
        {
            return;
        }

        string aside = $"{path}.untrusted-{Guid.NewGuid().ToString("N")[..8]}";
        MoveEntry(path, aside);
        untrusted.Add(new UntrustedEntry(path, entry.Untrusted ?? (folder ? "it is a file where the spool keeps a folder" : "it is a folder where the spool keeps a file"), aside));
    }

    /// <summary>Renames a file, a folder, a link (to either, or broken) or a FIFO, without following or opening it.</summary>
    private static void MoveEntry(string from, string to)
    {
        if (Directory.Exists(from))
        {
            Directory.Move(from, to); // a folder, or a link to one: rename(2) moves the link itself
        }
        else
        {
            File.Move(from, to);
        }
    }

    private static string BatchKey(PartitionKey partition, string batchId) => SpoolPaths.EncodeSourceId(partition.SourceId) + "/" + UtcDayNames.Format(partition.ReceivedDay) + "/" + batchId;

    private string DeliveredMarkerPath(PartitionKey partition, string batchId) =>
        Path.Combine(SpoolPaths.PartitionFolder(DeliveredRoot, partition), batchId + SpoolPaths.DeliveredExtension);

    private void Grown(long bytes) => Interlocked.Add(ref _bytes, bytes);

    private void Freed(long bytes)
    {
        Interlocked.Add(ref _bytes, -bytes);
        TaskCompletionSource freed;
        lock (_roomLock)
        {
            freed = _roomFreed;
            _roomFreed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        freed.TrySetResult();
    }
}
