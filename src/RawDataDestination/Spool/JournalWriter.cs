using System.Buffers;
using System.Runtime.InteropServices;

namespace RawDataDestination.Spool;

/// <summary>
/// The journal of one open batch: its NDJSON lines, appended to a file and made durable by group commit. Writers add
/// lines to a memory buffer; one flusher at a time writes what has gathered and calls fsync, then hands the round's
/// lines to the batch (<see cref="CommittedHandler"/>) and completes the ticket every writer of that round waits on.
/// Several appends therefore share one disk flush, and a line reaches the batch only once it is on disk: when a write
/// fails, its round's appends fail, the file is cut back to its last committed length, and the lines are dropped.
/// </summary>
internal sealed class JournalWriter : IAsyncDisposable
{
    private readonly object _lock = new();
    private readonly FileStream _file;
    private readonly Action<long> _onGrown;
    private readonly CommittedHandler _onCommitted;
    private readonly IJournalRoundObserver? _rounds;
    private ArrayBufferWriter<byte> _pending = new(16 * 1024);
    private ArrayBufferWriter<byte> _writing = new(16 * 1024);
    private List<long> _pendingMarks = [];
    private List<long> _writingMarks = [];
    private TaskCompletionSource? _nextCommit;
    private Task _flusher = Task.CompletedTask;
    private bool _flushing;
    private long _length;

    /// <summary>Receives a round of committed lines (each ending in <c>\n</c>), on the flusher, one round at a time.</summary>
    public delegate ValueTask CommittedHandler(ReadOnlyMemory<byte> lines);

    /// <summary>Opens (or creates) the journal at <paramref name="path"/>; <paramref name="rounds"/>, when given, is told of each round before it is written.</summary>
    public JournalWriter(string path, Action<long> onGrown, CommittedHandler onCommitted, IJournalRoundObserver? rounds = null)
    {
        Path = path;
        _onGrown = onGrown;
        _onCommitted = onCommitted;
        _rounds = rounds;
        _file = PrivateFiles.Open(path, FileMode.Append, FileAccess.Write, FileShare.Read | FileShare.Delete, bufferSize: 0);
        _length = _file.Length;
    }

    /// <summary>Gets the journal's path: where it was opened, or where <see cref="MoveClosed"/> renamed it to.</summary>
    public string Path { get; private set; }

    /// <summary>Gets the committed bytes on disk.</summary>
    public long Length => Interlocked.Read(ref _length);

    /// <summary>Gets the ticket of the last line written: it completes when that line is on disk, or fails with the write's error.</summary>
    public Task LastCommit { get; private set; } = Task.CompletedTask;

    /// <summary>
    /// Gets or sets what is told of each failed write of the journal and its round's bytes (before the round's appends
    /// fail; not of a round the observer failed), or <see langword="null"/>; it must not throw.
    /// </summary>
    public Action<Exception, long>? WriteFailed { get; init; }

    /// <summary>Gets how many lines were dropped because their write failed.</summary>
    public long FailedLines => Interlocked.Read(ref _failedLines);

    private long _failedLines;

    /// <summary>Gets how many bytes were dropped because their write failed.</summary>
    public long FailedBytes => Interlocked.Read(ref _failedBytes);

    private long _failedBytes;

    /// <summary>
    /// Appends one NDJSON line, formed by the caller and ending in <c>\n</c>; the journal stores bytes and never encodes.
    /// <paramref name="mark"/> is the caller's, told to the round observer with the line's round; without one it is unused.
    /// </summary>
    public void Append(ReadOnlySpan<byte> line, long mark = 0)
    {
        lock (_lock)
        {
            _pending.Write(line);
            if (_rounds is not null)
            {
                _pendingMarks.Add(mark);
            }

            _nextCommit ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            LastCommit = _nextCommit.Task;
            if (!_flushing)
            {
                _flushing = true;
                _flusher = Task.Run(FlushLoopAsync);
            }
        }
    }

    /// <summary>Waits until every line written so far is on disk (and handed to the batch) or dropped.</summary>
    public Task DrainAsync()
    {
        lock (_lock)
        {
            return _flushing ? _flusher : Task.CompletedTask;
        }
    }

    /// <summary>Closes the journal and deletes its file: its lines are safe elsewhere (a sealed batch on disk).</summary>
    public async ValueTask DeleteAsync()
    {
        await DisposeAsync().ConfigureAwait(false);
        File.Delete(Path);
    }

    /// <summary>
    /// Renames the closed journal (<see cref="DisposeAsync"/>: no line is written to it any more) to <paramref name="path"/>
    /// in its folder, by one rename, which needs no room on the disk; <see cref="Path"/> and <see cref="DeleteAsync"/>
    /// follow it. Throws, the journal where it was and nothing at <paramref name="path"/>, when the rename fails.
    /// </summary>
    public void MoveClosed(string path)
    {
        try
        {
            // With overwrite, .NET calls rename(2) alone. Without, it links and unlinks, and where it cannot link (an
            // immutable file) it copies: a copy needs room a full disk lacks, and one left beside the journal would be
            // sealed as a second batch of the same events.
            File.Move(Path, path, overwrite: true);
        }
        catch (Exception) when (File.Exists(Path) && File.Exists(path))
        {
            File.Delete(path);
            throw;
        }

        Path = path;
    }

    /// <summary>Waits for the lines written so far, then closes the file (it stays on disk). Closing again does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        await DrainAsync().ConfigureAwait(false);
        await _file.DisposeAsync().ConfigureAwait(false);
    }

    private async Task FlushLoopAsync()
    {
        while (true)
        {
            TaskCompletionSource commit;
            lock (_lock)
            {
                if (_pending.WrittenCount == 0)
                {
                    _flushing = false;
                    return;
                }

                (_pending, _writing) = (_writing, _pending);
                (_pendingMarks, _writingMarks) = (_writingMarks, _pendingMarks);
                commit = _nextCommit!;
                _nextCommit = null;
            }

            bool told = false;
            try
            {
                _rounds?.Writing(Path, Length, _writing.WrittenSpan, CollectionsMarshal.AsSpan(_writingMarks));
                told = true;
                _file.Write(_writing.WrittenSpan);
                _file.Flush(flushToDisk: true);
            }
#pragma warning disable CA1031 // The error goes to every appender waiting on this commit.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                Interlocked.Add(ref _failedLines, _writing.WrittenSpan.Count((byte)'\n'));
                Interlocked.Add(ref _failedBytes, _writing.WrittenCount);
                CutBackToCommitted();
                if (told)
                {
                    WriteFailed?.Invoke(exception, _writing.WrittenCount); // the journal's own write, not the observer's
                }

                _writing.Clear();
                _writingMarks.Clear();
                _rounds?.Failed(Path, Length);
                commit.TrySetException(exception);
                continue;
            }

            Interlocked.Add(ref _length, _writing.WrittenCount);
            _onGrown(_writing.WrittenCount);
            try
            {
                await _onCommitted(_writing.WrittenMemory).ConfigureAwait(false);
                commit.TrySetResult();
            }
#pragma warning disable CA1031 // The batch could not take the lines (its encoder failed): the appends fail.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                commit.TrySetException(exception);
            }

            _writing.Clear();
            _writingMarks.Clear();
        }
    }

    /// <summary>A failed write may have left part of its round in the file: cut it, so recovery never brings back an event whose append failed.</summary>
    private void CutBackToCommitted()
    {
        try
        {
            _file.SetLength(Length);
            _file.Seek(0, SeekOrigin.End);
        }
#pragma warning disable CA1031 // Best effort: a torn tail is also cut by recovery at the last complete line.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}
