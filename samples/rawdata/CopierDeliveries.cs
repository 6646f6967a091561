using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using RawDataDestination.S3;
using RawDataDestination.Staging;

namespace RawDataDestination.Cli;

/// <summary>
/// The staged batches a <see cref="StagedBatchCopier"/> has delivered so far, from its log (event 111, "Delivered
/// staged batch"): so that a pass stopped by a signal still says what it delivered before it stopped, as a finished
/// pass says in its <see cref="StagedCopyResult"/>. And the errors of the batches it could not deliver
/// (<see cref="StagedBatchCopier.NotDelivered"/>), so that the user reads why they stay staged.
/// </summary>
internal sealed class CopierDeliveries : ILoggerFactory, ILogger
{
    private const int DeliveredEvent = 111;

    private readonly ConcurrentQueue<(string StagedKey, string Bucket, string Key, long EventCount)> _delivered = new();

    private readonly ConcurrentQueue<(Exception Error, bool Parked)> _setbacks = new();

    /// <summary>Gets the deliveries seen so far: the staged key, and the customer's bucket, key and event count.</summary>
    public IReadOnlyCollection<(string StagedKey, string Bucket, string Key, long EventCount)> Delivered => _delivered;

    /// <summary>Gets the errors of the batches not delivered so far, each with whether it parked its batch.</summary>
    public IReadOnlyCollection<(Exception Error, bool Parked)> Setbacks => _setbacks;

    /// <summary>Notes a batch the copier could not deliver; give this to <see cref="StagedBatchCopier.NotDelivered"/>.</summary>
    public void NotDelivered(string stagedKey, Exception error, bool parked) => _setbacks.Enqueue((error, parked));

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (eventId.Id != DeliveredEvent || state is not IReadOnlyList<KeyValuePair<string, object?>> values)
        {
            return;
        }

        object? Value(string name) => values.FirstOrDefault(pair => pair.Key == name).Value;
        if (Value("StagedKey") is string stagedKey && Value("Bucket") is string bucket && Value("Key") is string key && Value("EventCount") is long events)
        {
            _delivered.Enqueue((stagedKey, bucket, key, events));
        }
    }

    public void Dispose()
    {
    }
}
