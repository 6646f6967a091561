using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// The KafkaToS3 worker's log lines as the console writes them (the real single-line SimpleConsole formatter, colors
/// off): a warning with an exception is one short line, an error keeps its stack trace.
/// </summary>
public partial class KafkaShortWarningsLoggerFactoryTests
{
    [Test]
    public void CreateLogger_AWarningWithAnException_EndsWithItsTypeAndMessageWithoutAStackTrace()
    {
        var console = new StringWriter();
        using var loggers = new ShortWarningsLoggerFactory(LoggerFactory.Create(b => b.AddProvider(new SingleLineConsole(console))));

        CopyFailed(loggers.CreateLogger("RawDataDestination.Staging.StagedBatchCopier"), Thrown(), "web/1.gz");

        Assert.That(console.ToString(), Is.EqualTo(
            "warn: RawDataDestination.Staging.StagedBatchCopier[115] Copy of staged batch web/1.gz failed; it stays staged for the next pass. (TimeoutException: No answer from acme's bucket within 2 s.)" + Environment.NewLine),
            "one line: what happened and why, no stack frame");
    }

    [Test]
    public void CreateLogger_AWarningWithTheLibrarysExplanation_NamesTheTenantsFileFieldsAndTheFlags()
    {
        // The stage copier's warnings carry the library's explanation of a customer's refusal: it named the library's
        // properties ("in Bucket", "(ServiceUrl)") where the worker's own lines name the tenants file's fields.
        var console = new StringWriter();
        using var loggers = new ShortWarningsLoggerFactory(LoggerFactory.Create(b => b.AddProvider(new SingleLineConsole(console))));
        var refusal = new DestinationException("NoSuchBucket", isPermanent: true, words => $"Bucket 'acme' does not exist (NoSuchBucket). Check the bucket name in {words.Name("Bucket")} and the endpoint ({words.Name("ServiceUrl")}).", null);

        CopyFailed(loggers.CreateLogger("RawDataDestination.Staging.StagedBatchCopier"), refusal, "web/1.gz");

        Assert.That(console.ToString(), Does.EndWith(
            "(DestinationException: Bucket 'acme' does not exist (NoSuchBucket). Check the bucket name in the tenant's \"bucket\" in the --tenants file and the endpoint (--endpoint-url).)" + Environment.NewLine));
    }

    [Test]
    public void CreateLogger_AnErrorWithAnException_KeepsItsStackTrace()
    {
        var console = new StringWriter();
        using var loggers = new ShortWarningsLoggerFactory(LoggerFactory.Create(b => b.AddProvider(new SingleLineConsole(console))));

        CopierFailed(loggers.CreateLogger("RawDataDestination.KafkaToS3.TenantCopier"), Thrown(), "acme");

        Assert.That(console.ToString(), Does.StartWith("fail: RawDataDestination.KafkaToS3.TenantCopier[52] Tenant acme: the copier of staged batches could not start System.TimeoutException: No answer from acme's bucket within 2 s.")
            .And.Contain($" at {typeof(KafkaShortWarningsLoggerFactoryTests).FullName}.{nameof(Thrown)}()"), "an unexpected failure, as the console wrote it before");
    }

    [Test]
    public void CreateLogger_AWarningWithoutAnException_IsUnchanged()
    {
        var console = new StringWriter();
        using var loggers = new ShortWarningsLoggerFactory(LoggerFactory.Create(b => b.AddProvider(new SingleLineConsole(console))));

        NoStage(loggers.CreateLogger("RawDataDestination.KafkaToS3.KafkaToS3Worker"));

        Assert.That(console.ToString(), Is.EqualTo("warn: RawDataDestination.KafkaToS3.KafkaToS3Worker[1] No --stage-bucket: a window waits." + Environment.NewLine));
    }

    // The library's and the worker's lines, as they log them (LoggerMessage).
    [LoggerMessage(115, LogLevel.Warning, "Copy of staged batch {StagedKey} failed; it stays staged for the next pass.")]
    private static partial void CopyFailed(ILogger logger, Exception exception, string stagedKey);

    [LoggerMessage(52, LogLevel.Error, "Tenant {Tenant}: the copier of staged batches could not start")]
    private static partial void CopierFailed(ILogger logger, Exception exception, string tenant);

    [LoggerMessage(1, LogLevel.Warning, "No --stage-bucket: a window waits.")]
    private static partial void NoStage(ILogger logger);

    private static TimeoutException Thrown()
    {
        try
        {
            throw new TimeoutException("No answer from acme's bucket within 2 s.");
        }
        catch (TimeoutException exception)
        {
            return exception;
        }
    }

    /// <summary>A provider that writes each line with the console's own single-line SimpleConsole formatter (as KafkaToS3 configures it), into a writer.</summary>
    private sealed class SingleLineConsole : ILoggerProvider
    {
        private readonly ServiceProvider _services;
        private readonly ConsoleFormatter _formatter;
        private readonly TextWriter _writer;

        public SingleLineConsole(TextWriter writer)
        {
            _services = new ServiceCollection()
                .AddLogging(b => b.AddSimpleConsole(o => (o.SingleLine, o.ColorBehavior) = (true, LoggerColorBehavior.Disabled)))
                .BuildServiceProvider();
            _formatter = _services.GetServices<ConsoleFormatter>().Single(f => f.Name == ConsoleFormatterNames.Simple);
            _writer = writer;
        }

        public ILogger CreateLogger(string categoryName) => new Writer(this, categoryName);

        public void Dispose() => _services.Dispose();

        private sealed class Writer(SingleLineConsole console, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => NullScope.Instance;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                console._formatter.Write(new LogEntry<TState>(logLevel, category, eventId, state, exception, formatter), null, console._writer);
        }

        private sealed class NullScope : IDisposable
        {
            public static readonly NullScope Instance = new();

            public void Dispose()
            {
            }
        }
    }
}
