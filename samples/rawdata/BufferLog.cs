using Microsoft.Extensions.Logging;
using RawDataDestination.Batching;

namespace RawDataDestination.Cli;

/// <summary>
/// The buffer's warnings and errors on stderr, so that a problem of the spool (a file quarantined, a journal that could
/// not be sealed or deleted, a batch that could not be saved) is said as it happens, in the library's words. Delivery
/// failures and the shutdown's counts are left out: the status lines and the summary say those.
/// </summary>
internal sealed class BufferLog(StderrLines lines) : ILogger<BatchBuffer>
{
    // DeliveryStage: 10 failed attempt, 11 refused, 12 delivered, 14 and 15 a lane failing and recovered, 9 a lane refused
    // for good, 19 a lane the retry budget gave up not waited for at shutdown (ship's own give-up line says it);
    // BatchBuffer: 2 shutdown deadline, 3 and 4 left at shutdown.
    private static readonly HashSet<int> SaidElsewhere = [2, 3, 4, 9, 10, 11, 12, 14, 15, 19];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel) || SaidElsewhere.Contains(eventId.Id))
        {
            return;
        }

        string message = formatter(state, exception);
        lines.WriteLine($"{(logLevel >= LogLevel.Error ? "error" : "warning")}: {message}{(exception is null ? string.Empty : $" ({exception.GetType().Name}: {exception.Message})")}");
    }
}
