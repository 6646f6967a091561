using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace RawDataDestination.KafkaToS3;

/// <summary>
/// The worker's loggers, with a few chosen warnings written to standard error instead of the log on stdout: warnings an
/// operator must see where the errors are, although nothing failed (the windows still held when a signal stops the run,
/// <see cref="KafkaToS3Worker.HeldAtStopEvent"/>, exit 0). The console logger sends a line to stderr by its level alone
/// (errors, <c>LogToStandardErrorThreshold</c>), so these lines were errors (<c>fail:</c>) to be seen there; now they are
/// warnings (<c>warn:</c>), in the console's own single-line shape, and every other warning stays on stdout.
/// </summary>
/// <remarks>
/// A chosen warning is written at once, under a lock, by the console's single-line formatter (colors off); the console
/// logger writes its lines from a queue. Both write whole lines to the same synchronized <see cref="Console.Error"/>, so
/// lines never mix; an error line logged just before a chosen warning may follow it. Disposing this factory disposes
/// <paramref name="inner"/>.
/// </remarks>
/// <param name="inner">The factory whose providers write every other line.</param>
/// <param name="stderr">Where the chosen warnings go.</param>
/// <param name="chosen">The warnings to write to <paramref name="stderr"/>: each logger category and event id.</param>
internal sealed class StderrWarningsLoggerFactory(ILoggerFactory inner, TextWriter stderr, params (string Category, int EventId)[] chosen) : ILoggerFactory
{
    private readonly ServiceProvider _services = new ServiceCollection()
        .AddLogging(b => b.AddSimpleConsole(o => (o.SingleLine, o.ColorBehavior) = (true, LoggerColorBehavior.Disabled)))
        .BuildServiceProvider();

    private readonly Lock _gate = new();

    /// <inheritdoc/>
    public ILogger CreateLogger(string categoryName)
    {
        ILogger logger = inner.CreateLogger(categoryName);
        int[] events = [.. chosen.Where(c => c.Category == categoryName).Select(c => c.EventId)];
        return events.Length == 0 ? logger : new StderrWarningsLogger(this, logger, categoryName, events);
    }

    /// <inheritdoc/>
    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    /// <inheritdoc/>
    public void Dispose()
    {
        _services.Dispose();
        inner.Dispose();
    }

    private void Write<TState>(LogEntry<TState> entry)
    {
        ConsoleFormatter formatter = _services.GetServices<ConsoleFormatter>().Single(f => f.Name == ConsoleFormatterNames.Simple);
        lock (_gate)
        {
            formatter.Write(entry, null, stderr);
            stderr.Flush();
        }
    }

    private sealed class StderrWarningsLogger(StderrWarningsLoggerFactory factory, ILogger inner, string category, int[] events) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel != LogLevel.Warning || !events.Contains(eventId.Id))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
                return;
            }

            factory.Write(new LogEntry<TState>(logLevel, category, eventId, state, exception, formatter));
        }
    }
}
