using Microsoft.Extensions.Logging;

namespace RawDataDestination.KafkaToS3;

/// <summary>
/// The worker's loggers: a warning (or a lower level) that carries an exception ends with <c> (ExceptionType: message)</c>
/// and no stack trace; an error or a critical line keeps its exception whole. A warning is routine (a customer's endpoint
/// that never answers fails every pass of the stage copier), and its stack trace made a 5 KB line of a one-line story;
/// an error is a failure nobody expected, where the stack trace is what a developer needs.
/// </summary>
/// <remarks>
/// Wraps the loggers of <paramref name="inner"/> and leaves their output as it is (the console's single-line shape
/// <c>warn: Category[EventId] message</c>, and its colors). Disposing this factory disposes <paramref name="inner"/>.
/// </remarks>
/// <param name="inner">The factory whose providers write the lines.</param>
internal sealed class ShortWarningsLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    /// <inheritdoc/>
    public ILogger CreateLogger(string categoryName) => new ShortWarningsLogger(inner.CreateLogger(categoryName));

    /// <inheritdoc/>
    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    /// <inheritdoc/>
    public void Dispose() => inner.Dispose();

    /// <summary>
    /// The exception as a warning's line ends: <c> (ExceptionType: message)</c>, where a library's explanation (a
    /// customer's refusal, say, met by the stage copier) names the tenants file's fields and the flags
    /// (<see cref="TenantWords.Explain"/>), as the worker's own lines do.
    /// </summary>
    /// <param name="exception">The exception the warning carries.</param>
    /// <returns>The end of the line, starting with a space.</returns>
    internal static string Summary(Exception exception) => $" ({exception.GetType().Name}: {TenantWords.Explain(exception)})";

    private sealed class ShortWarningsLogger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (exception is null || logLevel >= LogLevel.Error)
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
                return;
            }

            // The provider is given no exception, so it has no stack trace to write; the message ends with what it was.
            inner.Log(logLevel, eventId, state, null, (s, _) => formatter(s, exception) + Summary(exception));
        }
    }
}
