using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RawDataDestination.Batching;
using RawDataDestination.S3;

namespace RawDataDestination.Cli;

/// <summary>
/// The library's own warnings and errors on stderr, as they happen, in its words: the buffer's (a spool file
/// quarantined, a journal that could not be sealed or deleted, a batch that could not be saved) and the destination's
/// (a bucket with ACLs disabled, where <c>add --acl none</c> stops the warning; a store without conditional writes;
/// a path prefix that ends in <c>segment-logs</c>; named by <see cref="SettingFlags.Words"/>). Delivery failures, refusals and the shutdown's counts are left out: the
/// status lines and the summary say those. Which event ids are shown is written here, for both. A quarantined batch's
/// warning ends with the command that ships its lines again (<see cref="QuarantineAdvice"/>).
/// </summary>
internal sealed class StderrLog : ILoggerFactory, ILogger<BatchBuffer>
{
    // DeliveryStage: 9 a lane refused for good, 10 failed attempt, 11 refused, 12 delivered, 14 and 15 a lane failing
    // and recovered, 19 a lane the retry budget gave up not waited for at shutdown (ship's own give-up line says it);
    // BatchBuffer: 2 shutdown deadline, 3 and 4 left at shutdown. BatchSpool: 48 MaxSpoolBytes past the spool disk's
    // free space at start, which ship has no flag to change (its spool's disk full is said, by 46, when it happens).
    // SpoolRecovery: 54 a journal's last line cut short, which a kill leaves: ship's records of its rounds know which
    // lines the spool holds, and read those it lost again, saying so (InputCheckpoint).
    private static readonly HashSet<int> BufferSaidElsewhere = [2, 3, 4, 9, 10, 11, 12, 14, 15, 19, 48, 54];

    // BatchBuffer: 30 a spool file quarantined, shown with the command that ships its lines again (QuarantineAdvice).
    private const int QuarantinedEvent = 30;

    // BatchBuffer: 34 what stood in the spool's own place (a folder for spool.lock) renamed beside it: never a batch.
    private const int RenamedAsideEvent = 34;

    // S3RoleDestination: 4 no conditional writes, 7 ACLs disabled, 45 a path prefix that ends in segment-logs.
    private static readonly HashSet<int> DestinationShown = [4, 7, 45];

    private readonly StderrLines _lines;
    private readonly string _category;
    private readonly Func<int, bool> _shows;
    private int _setAside;
    private int _batchesSetAside;

    private StderrLog(StderrLines lines, Type category, Func<int, bool> shows)
    {
        _lines = lines;
        _category = category.FullName!;
        _shows = shows;
    }

    /// <summary>The buffer's logger: every warning and error but those the status lines and the summary say.</summary>
    public static StderrLog ForBuffer(StderrLines lines) =>
        new(lines, typeof(BatchBuffer), id => !BufferSaidElsewhere.Contains(id));

    /// <summary>The destination's logger factory: only its warnings about the bucket's setup.</summary>
    public static StderrLog ForDestination(StderrLines lines) =>
        new(lines, typeof(S3RoleDestination), DestinationShown.Contains);

    /// <summary>Gets how many spool entries the buffer set aside (quarantined, or renamed beside the spool's own place), by its warnings.</summary>
    public int SetAside => Volatile.Read(ref _setAside);

    /// <summary>
    /// Gets how many of <see cref="SetAside"/> held a batch's events (<see cref="QuarantineAdvice.For"/>): the rest
    /// (a folder, the spool's lock, a stray file, a copy of a batch the spool delivers) held none, and set aside they take
    /// no event from the bucket.
    /// </summary>
    public int BatchesSetAside => Volatile.Read(ref _batchesSetAside);

    public ILogger CreateLogger(string categoryName) => categoryName == _category ? this : NullLogger.Instance;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel) || !_shows(eventId.Id))
        {
            return;
        }

        string message = formatter(state, exception);
        if (eventId.Id == QuarantinedEvent && _category == typeof(BatchBuffer).FullName && state is IReadOnlyList<KeyValuePair<string, object?>> values
            && values.FirstOrDefault(value => value.Key == "Path").Value is string path
            && values.FirstOrDefault(value => value.Key == "QuarantinePath").Value is string moved)
        {
            (string? advice, bool heldABatch) = QuarantineAdvice.For(path, moved);
            message += advice;
            Interlocked.Increment(ref _setAside);
            if (heldABatch)
            {
                Interlocked.Increment(ref _batchesSetAside);
            }
        }
        else if (eventId.Id == RenamedAsideEvent && _category == typeof(BatchBuffer).FullName)
        {
            Interlocked.Increment(ref _setAside);
        }

        _lines.WriteLine($"{(logLevel >= LogLevel.Error ? "error" : "warning")}: {message}{(exception is null ? string.Empty : $" ({exception.GetType().Name}: {exception.Message})")}");
    }

    public void Dispose()
    {
    }
}
