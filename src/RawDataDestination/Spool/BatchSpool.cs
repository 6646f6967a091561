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
internal sealed class BatchSpool : IDisposable
{
    /// <summary>The name of the lock file in the spool directory.</summary>
    public const string LockFileName = "spool.lock";

    private readonly FileStream _lock;
    private readonly string _tempRoot;
    private readonly long _maxBytes;
    private readonly SpoolFullMode _fullMode;
    private readonly object _roomLock = new();
    private TaskCompletionSource _roomFreed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _bytes;
    private int _sealedCount;

    public BatchSpool(string directory, long maxBytes, SpoolFullMode fullMode)
    {
        RootPath = Path.GetFullPath(directory);
        SealedRoot = Path.Combine(RootPath, SpoolPaths.SealedFolder);
        JournalRoot = Path.Combine(RootPath, SpoolPaths.JournalFolder);
        QuarantineRoot = Path.Combine(RootPath, SpoolPaths.QuarantineFolder);
        _tempRoot = Path.Combine(RootPath, SpoolPaths.TempFolder);
        PrivateFiles.CreateFolder(RootPath);
        _lock = TakeLock(RootPath);
        PrivateFiles.CreateFolder(SealedRoot);
        PrivateFiles.CreateFolder(JournalRoot);
        PrivateFiles.CreateFolder(_tempRoot);
        foreach (string leftover in Directory.EnumerateFiles(_tempRoot))
        {
            File.Delete(leftover); // a write that never reached its rename
        }

        _maxBytes = maxBytes;
        _fullMode = fullMode;

        // Listed now, before this run writes anything, so recovery sees only what earlier runs left.
        SealedAtStart = Files(SealedRoot).Where(path => !path.EndsWith(SpoolPaths.ChecksumExtension, StringComparison.Ordinal)).ToList();
        foreach (string orphan in Files(SealedRoot).Where(path => path.EndsWith(SpoolPaths.ChecksumExtension, StringComparison.Ordinal) && !File.Exists(path[..^SpoolPaths.ChecksumExtension.Length])))
        {
            File.Delete(orphan); // a crash between the checksum's rename and its batch's
        }

        JournalsAtStart = Files(JournalRoot);
        _bytes = SealedAtStart.Concat(JournalsAtStart).Sum(path => new FileInfo(path).Length);
    }

    /// <summary>Gets the spool's folder, as a full path.</summary>
    public string RootPath { get; }

    public string SealedRoot { get; }

    public string JournalRoot { get; }

    public string QuarantineRoot { get; }

    /// <summary>Gets every file under <c>sealed/</c> at start: an earlier run did not see them confirmed.</summary>
    public IReadOnlyList<string> SealedAtStart { get; }

    /// <summary>Gets every file under <c>journal/</c> at start: batches that were open when an earlier run stopped.</summary>
    public IReadOnlyList<string> JournalsAtStart { get; }

    /// <summary>Gets the bytes on disk.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Gets the number of sealed batches on disk that this run knows of, waiting for delivery.</summary>
    public int SealedCount => Volatile.Read(ref _sealedCount);

    /// <summary>Releases the spool's lock.</summary>
    public void Dispose() => _lock.Dispose();

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

    /// <summary>Whether a sealed file of batch <paramref name="batchId"/> is on disk: its journal is then redundant.</summary>
    public bool HasSealed(PartitionKey partition, string batchId)
    {
        string folder = SpoolPaths.PartitionFolder(SealedRoot, partition);
        return Directory.Exists(folder)
            && Directory.EnumerateFiles(folder, "*." + batchId + SpoolPaths.SealedExtension).Any();
    }

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
            File.Move(temp, target);
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

    /// <summary>Reads the SHA-256 recorded for a sealed file when its batch was sealed, or <see langword="null"/> for a file saved without one.</summary>
    public static string? ReadChecksum(string sealedPath)
    {
        string path = sealedPath + SpoolPaths.ChecksumExtension;
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
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

            File.Move(temp, target, overwrite: true);
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
            File.Delete(path);
            File.Delete(path + SpoolPaths.ChecksumExtension);
            Interlocked.Decrement(ref _sealedCount);
            Freed(bytes);
        }
    }

    /// <summary>Deletes a journal found at start, whose lines are now in a sealed file (or were none).</summary>
    public void DeleteJournal(string path)
    {
        long length = new FileInfo(path).Length;
        File.Delete(path);
        Freed(length);
    }

    /// <summary>
    /// Moves a file recovery cannot use to <c>quarantine/</c>, where it is kept for a person to look at, and returns its
    /// new path. It no longer counts against the spool's size.
    /// </summary>
    public string Quarantine(string path, DateTimeOffset now)
    {
        PrivateFiles.CreateFolder(QuarantineRoot);
        string flat = Path.GetRelativePath(RootPath, path).Replace(Path.DirectorySeparatorChar, '_');
        string target = Path.Combine(QuarantineRoot, $"{now:yyyyMMdd'T'HHmmss'Z'}-{Guid.NewGuid().ToString("N")[..8]}-{flat}");
        long length = new FileInfo(path).Length;
        File.Move(path, target);
        if (File.Exists(path + SpoolPaths.ChecksumExtension))
        {
            File.Move(path + SpoolPaths.ChecksumExtension, target + SpoolPaths.ChecksumExtension);
        }

        Freed(length);
        return target;
    }

    private static List<string> Files(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();

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
