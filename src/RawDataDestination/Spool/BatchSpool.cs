using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
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
/// <para>
/// The spool takes and gives primitives (a source id, a day, a file name, bytes and their checksum): what a batch is,
/// and what its file name means, is the caller's. The files found at start, and what recovery does with them, are in
/// <c>BatchSpool.AtStart.cs</c>; the markers of delivered journals in <c>BatchSpool.DeliveredJournals.cs</c>.
/// </para>
/// </remarks>
internal sealed partial class BatchSpool : IDisposable
{
    /// <summary>The name of the lock file in the spool directory.</summary>
    public const string LockFileName = "spool.lock";

    internal const int MaxChecksumFileBytes = 4096;

    private readonly FileStream _lock;
    private readonly string _tempRoot;
    private readonly long _maxBytes;
    private readonly SpoolFullMode _fullMode;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly object _roomLock = new();
    private readonly object _closeGate = new();
    private readonly HashSet<string> _checksumsAtStart = new(StringComparer.Ordinal);
    private readonly HashSet<string> _deliveredMarkersAtStart = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _countedAtStart = new(StringComparer.Ordinal);
    private TaskCompletionSource _roomFreed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _bytes;
    private int _sealedCount;
    private bool _closed;

    /// <summary>Opens (or creates) the spool in <paramref name="directory"/>, holding its lock.</summary>
    /// <param name="directory">The spool's folder.</param>
    /// <param name="maxBytes">MaxSpoolBytes: the most it may hold, unless its disk has less room (<see cref="Limit"/>).</param>
    /// <param name="fullMode">What an append does at the limit, or on a full disk.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">Where its lines go.</param>
    /// <param name="freeBytes">Reads the free bytes of the spool's file system (<see langword="null"/>: unknown); by default the file system's own count. Tests give a disk of the size they need.</param>
    /// <param name="held">Called once the lock is held and before the spool lists what earlier runs left (BatchBufferOptions.SpoolHeld): what it moves away is never listed.</param>
    public BatchSpool(string directory, long maxBytes, SpoolFullMode fullMode, TimeProvider? time = null, ILogger? logger = null, Func<long?>? freeBytes = null, Action? held = null)
    {
        _freeBytes = freeBytes;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
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
        ReadBlockSize(); // BatchSpool.Blocks.cs: files are counted at the room they take on the disk

        held?.Invoke(); // the lock is held, nothing is listed yet: what it moves away is never listed (BatchBufferOptions.SpoolHeld)

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
            _countedAtStart[file.Path] = SealedRoom(file.Length);
        }

        SealedAtStart = sealedAtStart;
        var journals = new List<string>();
        foreach (SpoolEntry journal in Scan(JournalRoot, folderLevels: 2, untrusted))
        {
            journals.Add(journal.Path);
            _countedAtStart[journal.Path] = Allocated(journal.Length);
        }

        JournalsAtStart = journals;
        FindDeliveredMarkers(untrusted);
        UntrustedAtStart = untrusted;
        _bytes = _countedAtStart.Values.Sum();
        ReadDiskRoom();
        WarnIfLimitPastFreeSpace();
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

    /// <summary>Gets the room its files take on the disk: each file's length rounded up to whole blocks (BatchSpool.Blocks.cs).</summary>
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
        catch (IOException exception) when (IsLockedByAnother(exception))
        {
            throw new InvalidOperationException(
                $"The spool directory '{directory}' is in use by another batch buffer (its {LockFileName} is locked). Give each process, and each buffer, a SpoolDirectory of its own.",
                exception);
        }
    }

    /// <summary>
    /// Whether the lock file's open failed for its lock alone: another open file holds it (<c>EWOULDBLOCK</c> from
    /// <c>flock</c> on Linux and macOS, a sharing or lock violation on Windows). A folder that is read-only, out of room
    /// or inodes fails the open too, and its own error (the disk's) is the one to report, not "in use".
    /// </summary>
    private static bool IsLockedByAnother(IOException exception) =>
        exception.HResult is 11 or 35 or unchecked((int)0x80070020) or unchecked((int)0x80070021);

    /// <summary>Gets or sets what is told of each journal round before it is written (and of a round that failed), or <see langword="null"/>.</summary>
    public IJournalRoundObserver? RoundObserver { get; set; }

    /// <summary>Opens the journal of a new batch; <paramref name="onCommitted"/> receives each round of lines once on disk.</summary>
    public JournalWriter OpenJournal(string sourceId, DateOnly receivedDay, string batchId, JournalWriter.CommittedHandler onCommitted)
    {
        string folder = SpoolPaths.DayFolder(JournalRoot, sourceId, receivedDay);
        try
        {
            PrivateFiles.CreateFolder(folder);
            JournalWriter? journal = null;
            journal = new JournalWriter(Path.Combine(folder, SpoolPaths.JournalName(batchId)), grown => Grown(JournalGrowth(journal!.Length - grown, journal.Length)), onCommitted, RoundObserver) { WriteFailed = WriteFailed };
            return journal;
        }
        catch (IOException exception)
        {
            WriteFailed(exception, 0);
            throw;
        }
    }

    /// <summary>Closes and deletes the journal of a batch now sealed on disk.</summary>
    public async ValueTask DeleteJournalAsync(JournalWriter journal)
    {
        await journal.DeleteAsync().ConfigureAwait(false);
        Freed(Allocated(journal.Length));
    }

    /// <summary>The path a sealed batch is kept at.</summary>
    public string SealedPath(string sourceId, DateOnly receivedDay, string fileName) =>
        Path.Combine(SpoolPaths.DayFolder(SealedRoot, sourceId, receivedDay), fileName);

    /// <summary>
    /// Writes a sealed batch's bytes durably, with the SHA-256 they were sealed with: to a temporary file, flushed to
    /// disk, then renamed into place at <see cref="SealedPath"/>. Returns its path.
    /// </summary>
    /// <param name="sourceId">The batch's source id: its folder.</param>
    /// <param name="receivedDay">The batch's received day: its day folder.</param>
    /// <param name="fileName">The batch's file name.</param>
    /// <param name="content">The bytes, read from where they are to their end; the caller disposes it.</param>
    /// <param name="checksumSha256">The base64 SHA-256 computed when the batch was sealed, kept beside the file.</param>
    /// <param name="sealedForLane">The lane the batch was sealed for (its customer), kept beside the file too: a restart delivers it in that lane only; <see langword="null"/> for none.</param>
    public async Task<string> SaveSealedAsync(string sourceId, DateOnly receivedDay, string fileName, Stream content, string checksumSha256, string? sealedForLane = null)
    {
        string target = SealedPath(sourceId, receivedDay, fileName);
        if (File.Exists(target))
        {
            return target; // already there
        }

        ReadDiskRoom(); // at each seal: others may fill (or free) the disk after start, and the limit follows it
        PrivateFiles.CreateFolder(Path.GetDirectoryName(target)!);
        string temp = Path.Combine(_tempRoot, Guid.NewGuid().ToString("N"));
        long size = content.CanSeek ? content.Length - content.Position : 0;
        long length;
        try
        {
            FileStream file = PrivateFiles.Open(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
            await using (file.ConfigureAwait(false))
            {
                await content.CopyToAsync(file).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
                length = file.Length;
            }

            // The checksum first, so a sealed file is never on disk without the SHA-256 it was sealed with; then both names
            // flushed with their folder before the caller deletes the journal (a power cut must not keep only the deletion).
            await SaveChecksumAsync(target + SpoolPaths.ChecksumExtension, checksumSha256 + SealedForLine(sealedForLane)).ConfigureAwait(false);
            Change(() => File.Move(temp, target));
            SyncFolder(Path.GetDirectoryName(target)!);
        }
        catch (Exception exception)
        {
            WriteFailed(exception, size);
            File.Delete(temp);
            throw;
        }

        Grown(SealedRoom(length));
        Interlocked.Increment(ref _sealedCount);
        return target;
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

    /// <summary>Deletes a delivered batch's file of <paramref name="bytes"/> (its length), with its checksum.</summary>
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
            Freed(SealedRoom(bytes));
        }
    }

    /// <summary>Gets or sets what is told of each folder flushed after a rename into it (<see cref="SyncFolder"/>): for tests.</summary>
    internal Action<string>? FolderSynced { get; set; }

    /// <summary>Flushes a folder a file was renamed into (<see cref="PrivateFiles.SyncFolder"/>, the one home of the directory fsync).</summary>
    private void SyncFolder(string folder) => (PrivateFiles.SyncFolder(folder) ? FolderSynced : null)?.Invoke(folder);

    /// <summary>Makes one change to the spool's files, unless it is closed (then throws <see cref="ObjectDisposedException"/>).</summary>
    private void Change(Action change)
    {
        lock (_closeGate)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            change();
        }
    }

    private void Grown(long bytes)
    {
        Interlocked.Add(ref _bytes, bytes);
        Written();
    }

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
