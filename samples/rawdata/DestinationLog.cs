using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RawDataDestination.S3;

namespace RawDataDestination.Cli;

/// <summary>
/// The destination's own warnings on stderr, in <c>rawdata</c>'s words (<see cref="SettingFlags.Words"/>): a bucket with
/// ACLs disabled (objects go without the ACL; <c>add --acl none</c> stops it) and a store without conditional writes.
/// Upload failures and refusals are left out: the status lines and the summary say those.
/// </summary>
internal sealed class DestinationLog(StderrLines lines) : ILoggerFactory, ILogger
{
    // S3RoleDestination: 4 no conditional writes, 7 ACLs disabled.
    private static readonly HashSet<int> Shown = [4, 7];

    public ILogger CreateLogger(string categoryName) => categoryName == typeof(S3RoleDestination).FullName ? this : NullLogger.Instance;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel) && Shown.Contains(eventId.Id))
        {
            lines.WriteLine("warning: " + formatter(state, exception));
        }
    }

    public void Dispose()
    {
    }
}
