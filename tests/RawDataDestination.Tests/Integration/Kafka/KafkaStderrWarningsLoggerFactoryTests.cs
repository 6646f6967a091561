namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// The KafkaToS3 worker's chosen warnings (the windows held at a stop) go to stderr as <c>warn:</c> lines in the console's
/// single-line shape, and every other line to the log as before.
/// </summary>
public partial class KafkaStderrWarningsLoggerFactoryTests
{
    private const string Worker = "RawDataDestination.KafkaToS3.KafkaToS3Worker";

    [Test]
    public void CreateLogger_AChosenWarning_IsAWarnLineOnStderrAndNotInTheLog()
    {
        var stderr = new StringWriter();
        var log = new LinesProvider();
        using var loggers = new StderrWarningsLoggerFactory(LoggerFactory.Create(b => b.AddProvider(log)), stderr, (Worker, 20));

        HeldAtStop(loggers.CreateLogger(Worker), "orders[0]");

        Assert.That(stderr.ToString(), Is.EqualTo($"warn: {Worker}[20] Held at the stop: orders[0], nothing committed." + Environment.NewLine));
        Assert.That(log.Lines, Is.Empty);
    }

    [Test]
    public void CreateLogger_AnotherWarningOrTheSameIdInAnotherCategory_StaysInTheLog()
    {
        var stderr = new StringWriter();
        var log = new LinesProvider();
        using var loggers = new StderrWarningsLoggerFactory(LoggerFactory.Create(b => b.AddProvider(log)), stderr, (Worker, 20));

        Routine(loggers.CreateLogger(Worker));
        HeldAtStop(loggers.CreateLogger("RawDataDestination.KafkaToS3.TenantCopier"), "orders[1]");

        Assert.That(stderr.ToString(), Is.Empty, "routine warnings are not moved onto stderr");
        Assert.That(log.Lines, Is.EqualTo(new[] { "Warning: No --stage-bucket: a window waits.", "Warning: Held at the stop: orders[1], nothing committed." }));
    }

    [LoggerMessage(20, LogLevel.Warning, "Held at the stop: {Partition}, nothing committed.")]
    private static partial void HeldAtStop(ILogger logger, string partition);

    [LoggerMessage(1, LogLevel.Warning, "No --stage-bucket: a window waits.")]
    private static partial void Routine(ILogger logger);

    private sealed class LinesProvider : ILoggerProvider
    {
        public List<string> Lines { get; } = [];

        public ILogger CreateLogger(string categoryName) => new Writer(Lines);

        public void Dispose()
        {
        }

        private sealed class Writer(List<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Add($"{logLevel}: {formatter(state, exception)}");
        }
    }
}
