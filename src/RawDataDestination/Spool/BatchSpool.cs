using System.Globalization;
using RawDataDestination.Batching;
using RawDataDestination.Encoding;
using RawDataDestination.Internal;
using RawDataDestination.S3;

namespace RawDataDestination.Spool;

/// <summary>
/// The spool directory. Sealed batches are kept as <c>sealed/{source}/{day-ms}/{file}.gz</c> from before their first
/// upload attempt until S3 confirms them; open batches have a journal, <c>journal/{source}/{day-ms}/{batch-id}.ndjson</c>,
/// holding every acknowledged line. A lock on <c>spool.lock</c> keeps a second buffer, in this process or another, out
/// of a spool in use.
/// </summary>
internal sealed class BatchSpool : IDisposable
{
    /// <summary>The name of the lock file in the spool directory.</summary>
    public const string LockFileName = "spool.lock";

    private readonly FileStream _lock;
    private readonly string _sealedRoot;
    private readonly string _journalRoot;
    private readonly string _tempRoot;
    private readonly long _maxBytes;
    private readonly SpoolFullMode _fullMode;
    private readonly object _roomLock = new();
    private TaskCompletionSource _roomFreed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _bytes;
    private int _sealedCount;

    public BatchSpool(string directory, long maxBytes, SpoolFullMode fullMode)
    {
        Directory = System.IO.Path.GetFullPath(directory);
        _sealedRoot = System.IO.Path.Combine(Directory, "sealed");
        _journalRoot = System.IO.Path.Combine(Directory, "journal");
        _tempRoot = System.IO.Path.Combine(Directory, "tmp");
        System.IO.Directory.CreateDirectory(_sealedRoot);
        System.IO.Directory.CreateDirectory(_journalRoot);
        System.IO.Directory.CreateDirectory(_tempRoot);
        _lock = TakeLock(Directory);
        foreach (string leftover in System.IO.Directory.EnumerateFiles(_tempRoot))
        {
            File.Delete(leftover); // a write that never reached its rename
        }

        _maxBytes = maxBytes;
        _fullMode = fullMode;
        SealedAtStart = Files(_sealedRoot, "*.gz");
        JournalsAtStart = Files(_journalRoot, "*.ndjson");
        _bytes = SealedAtStart.Concat(JournalsAtStart).Sum(path => new FileInfo(path).Length);
        _sealedCount = SealedAtStart.Count;
    }

    public string Directory { get; }

    /// <summary>Releases the spool's lock.</summary>
    public void Dispose() => _lock.Dispose();

    private static FileStream TakeLock(string directory)
    {
        string path = System.IO.Path.Combine(directory, LockFileName);
        try
        {
            // FileShare.None is an exclusive advisory lock on Unix (flock) and a sharing lock on Windows; either way
            // it is released when the process ends, kill -9 included.
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException exception)
        {
            throw new InvalidOperationException(
                $"The spool directory '{directory}' is in use by another batch buffer (its {LockFileName} is locked). Give each process, and each buffer, a SpoolDirectory of its own.",
                exception);
        }
    }

    /// <summary>Gets the sealed batches found at start: an earlier run did not see them confirmed.</summary>
    public IReadOnlyList<string> SealedAtStart { get; }

    /// <summary>Gets the journals found at start: batches that were open when an earlier run stopped.</summary>
    public IReadOnlyList<string> JournalsAtStart { get; }

    /// <summary>Gets the bytes on disk.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Gets the number of sealed batches on disk, waiting for delivery.</summary>
    public int SealedCount => Volatile.Read(ref _sealedCount);

    /// <summary>Waits (or fails, by <see cref="SpoolFullMode"/>) until the spool has room for <paramref name="bytes"/> more.</summary>
    public async ValueTask WaitForRoomAsync(long bytes, CancellationToken cancellationToken)
    {
        while (Bytes + bytes > _maxBytes)
        {
            if (_fullMode == SpoolFullMode.Fail)
            {
                throw new SpoolFullException($"The spool at '{Directory}' holds {Bytes} bytes, at its limit of {_maxBytes} bytes (MaxSpoolBytes): deliveries are behind. Retry later, raise MaxSpoolBytes, or use SpoolFullMode.Wait.");
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

    /// <summary>Opens the journal of a new batch.</summary>
    public JournalWriter OpenJournal(PartitionKey partition, string batchId)
    {
        string folder = System.IO.Path.Combine(_journalRoot, partition.SourceId, ObjectKeyLayout.ReceivedDayFolder(partition.ReceivedDay));
        System.IO.Directory.CreateDirectory(folder);
        return new JournalWriter(System.IO.Path.Combine(folder, batchId + ".ndjson"), grown => Interlocked.Add(ref _bytes, grown));
    }

    /// <summary>Closes and deletes the journal of a batch now sealed on disk.</summary>
    public async ValueTask DeleteJournalAsync(JournalWriter journal)
    {
        await journal.DeleteAsync().ConfigureAwait(false);
        Freed(journal.Length);
    }

    /// <summary>Writes a sealed batch durably: to a temporary file, flushed to disk, then renamed into place.</summary>
    public async Task SaveSealedAsync(SealedBatch batch)
    {
        string target = SealedPath(batch);
        if (File.Exists(target))
        {
            return; // recovered from the spool: already there
        }

        System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
        string temp = System.IO.Path.Combine(_tempRoot, Guid.NewGuid().ToString("N"));
        var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        await using (file.ConfigureAwait(false))
        {
            Stream content = batch.OpenRead();
            await using (content.ConfigureAwait(false))
            {
                await content.CopyToAsync(file).ConfigureAwait(false);
            }

            file.Flush(flushToDisk: true);
        }

        File.Move(temp, target);
        Interlocked.Add(ref _bytes, batch.CompressedBytes);
        Interlocked.Increment(ref _sealedCount);
    }

    /// <summary>Deletes a delivered batch.</summary>
    public void DeleteSealed(SealedBatch batch)
    {
        string path = SealedPath(batch);
        if (File.Exists(path))
        {
            File.Delete(path);
            Interlocked.Decrement(ref _sealedCount);
            Freed(batch.CompressedBytes);
        }
    }

    /// <summary>Loads a sealed batch left by an earlier run, with its original key.</summary>
    public async Task<SealedBatch> LoadSealedAsync(string path)
    {
        (PartitionKey partition, string fileName) = ParseLocation(path, _sealedRoot);
        int dot = fileName.IndexOf('.', StringComparison.Ordinal);
        DateTimeOffset sealedAt = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(fileName[..dot], NumberStyles.None, CultureInfo.InvariantCulture));
        string batchId = fileName[(dot + 1)..^".gz".Length];
        var content = new SegmentedBuffer();
        var file = File.OpenRead(path);
        await using (file.ConfigureAwait(false))
        {
            await file.CopyToAsync(content).ConfigureAwait(false);
        }

        (long events, long bytes) = CountLines(content);
        return new SealedBatch(partition.SourceId, partition.ReceivedDay, batchId, sealedAt, sealedAt, SealCause.Recovered, events, bytes, content);
    }

    /// <summary>
    /// Turns the journal of a batch that was open when an earlier run stopped into a sealed batch, cutting a torn last
    /// line. Returns <see langword="null"/> when the journal is empty or its batch was already sealed.
    /// </summary>
    public async Task<SealedBatch?> RecoverJournalAsync(string path, DateTimeOffset now, BatchBufferOptions options)
    {
        (PartitionKey partition, string fileName) = ParseLocation(path, _journalRoot);
        string batchId = fileName[..^".ndjson".Length];
        byte[] journal = await File.ReadAllBytesAsync(path).ConfigureAwait(false);
        int end = Array.LastIndexOf(journal, (byte)'\n') + 1; // a torn tail is cut at the last complete line
        string sealedFolder = System.IO.Path.GetDirectoryName(SealedPathOf(partition, batchId))!;
        bool alreadySealed = System.IO.Directory.Exists(sealedFolder)
            && System.IO.Directory.EnumerateFiles(sealedFolder, "*." + batchId + ".gz").Any();
        if (end == 0 || alreadySealed)
        {
            return null;
        }

        var content = new SegmentedBuffer();
        var encoder = new GzipNdjsonEncoder(content, options.CompressionLevel, int.MaxValue);
        ReadOnlyMemory<byte> lines = journal.AsMemory(0, end);
        while (!lines.IsEmpty)
        {
            int newline = lines.Span.IndexOf((byte)'\n');
            encoder.WriteValidated(lines.Span[..newline], stamp: null);
            await encoder.FlushIfNeededAsync(CancellationToken.None).ConfigureAwait(false);
            lines = lines[(newline + 1)..];
        }

        await encoder.CompleteAsync().ConfigureAwait(false);
        return new SealedBatch(partition.SourceId, partition.ReceivedDay, batchId, now, now, SealCause.Recovered, encoder.EventCount, encoder.UncompressedBytes, content);
    }

    /// <summary>Deletes a journal whose lines are now in a sealed batch on disk.</summary>
    public void DeleteJournal(string path)
    {
        long length = new FileInfo(path).Length;
        File.Delete(path);
        Freed(length);
    }

    private string SealedPath(SealedBatch batch) => SealedPathOf(new PartitionKey(batch.SourceId, batch.ReceivedDay), batch.FileName);

    private string SealedPathOf(PartitionKey partition, string fileName) =>
        System.IO.Path.Combine(_sealedRoot, partition.SourceId, ObjectKeyLayout.ReceivedDayFolder(partition.ReceivedDay), fileName);

    private static (PartitionKey Partition, string FileName) ParseLocation(string path, string root)
    {
        string[] parts = System.IO.Path.GetRelativePath(root, path).Split(System.IO.Path.DirectorySeparatorChar);
        long dayMs = long.Parse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture);
        var day = DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeMilliseconds(dayMs).UtcDateTime);
        return (new PartitionKey(parts[0], day), parts[2]);
    }

    private static (long Events, long Bytes) CountLines(SegmentedBuffer content)
    {
        using var gzip = new System.IO.Compression.GZipStream(content.OpenRead(), System.IO.Compression.CompressionMode.Decompress);
        byte[] buffer = new byte[64 * 1024];
        long events = 0, bytes = 0;
        int read;
        while ((read = gzip.Read(buffer)) > 0)
        {
            bytes += read;
            events += buffer.AsSpan(0, read).Count((byte)'\n');
        }

        return (events, bytes);
    }

    private static List<string> Files(string root, string pattern) =>
        System.IO.Directory.EnumerateFiles(root, pattern, SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();

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
