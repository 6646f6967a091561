using Microsoft.Extensions.Logging;

namespace RawDataDestination.KafkaToS3;

/// <summary>
/// The loggers a <see cref="Staging.StagedBatchCopier"/> writes to, passed on unchanged, that also tell
/// <paramref name="copied"/> of each staged batch it delivered, as it happens (the library's event 111, "Delivered staged
/// batch", logged once the staged copy is deleted). A pass cancelled by a stop returns no result, so counting from the
/// pass's result missed what it had delivered before the stop; <c>rawdata</c>'s <c>CopierDeliveries</c> reads the same event.
/// </summary>
/// <param name="inner">Where the lines go.</param>
/// <param name="copied">Called once per staged batch delivered.</param>
internal sealed class CopiedWatch(ILoggerFactory inner, Action copied) : ILoggerFactory
{
    private const int DeliveredEvent = 111;

    public ILogger CreateLogger(string categoryName) => new Watching(inner.CreateLogger(categoryName), copied);

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose()
    {
        // The inner factory is the host's.
    }

    private sealed class Watching(ILogger inner, Action copied) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        // Information is always "enabled" here, so that the delivered event reaches this logger whatever the host logs.
        public bool IsEnabled(LogLevel logLevel) => logLevel == LogLevel.Information || inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id == DeliveredEvent)
            {
                copied();
            }

            if (inner.IsEnabled(logLevel))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
