using System.Buffers;

namespace RawDataDestination.Spool;

/// <summary>
/// The journal of one open batch: its NDJSON lines, appended to a file and made durable by group commit. Writers
/// add lines to a memory buffer; one flusher at a time writes what has gathered and calls fsync, then completes the
/// ticket every writer of that round is waiting on. Several appends therefore share one disk flush.
/// </summary>
internal sealed class JournalWriter : ILineSink, IAsyncDisposable
{
    private readonly object _lock = new();
    private readonly FileStream _file;
    private readonly Action<long> _onGrown;
    private ArrayBufferWriter<byte> _pending = new(16 * 1024);
    private ArrayBufferWriter<byte> _writing = new(16 * 1024);
    private TaskCompletionSource? _nextCommit;
    private Task _flusher = Task.CompletedTask;
    private bool _flushing;

    public JournalWriter(string path, Action<long> onGrown)
    {
        Path = path;
        _onGrown = onGrown;
        _file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read | FileShare.Delete, bufferSize: 0);
    }

    public string Path { get; }

    /// <summary>Gets the bytes on disk.</summary>
    public long Length => Interlocked.Read(ref _length);

    private long _length;

    /// <summary>Gets the ticket of the last line written: it completes when that line is on disk.</summary>
    public Task LastCommit { get; private set; } = Task.CompletedTask;

    public void Write(ReadOnlySpan<byte> line)
    {
        lock (_lock)
        {
            _pending.Write(line);
            _nextCommit ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            LastCommit = _nextCommit.Task;
            if (!_flushing)
            {
                _flushing = true;
                _flusher = Task.Run(FlushLoop);
            }
        }
    }

    /// <summary>Waits until every line written so far is on disk.</summary>
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

    public async ValueTask DisposeAsync()
    {
        await DrainAsync().ConfigureAwait(false);
        await _file.DisposeAsync().ConfigureAwait(false);
    }

    private void FlushLoop()
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
                commit = _nextCommit!;
                _nextCommit = null;
            }

            try
            {
                _file.Write(_writing.WrittenSpan);
                _file.Flush(flushToDisk: true);
                Interlocked.Add(ref _length, _writing.WrittenCount);
                _onGrown(_writing.WrittenCount);
                _writing.Clear();
                commit.TrySetResult();
            }
#pragma warning disable CA1031 // The error goes to every appender waiting on this commit.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                _writing.Clear();
                commit.TrySetException(exception);
            }
        }
    }
}
