using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using RawDataDestination.S3;
using RawDataDestination.Staging;

namespace RawDataDestination.Cli;

/// <summary>
/// The staged batches a <see cref="StagedBatchCopier"/> has delivered so far, from its log (event 111, "Delivered
/// staged batch"): so that a pass stopped by a signal still says what it delivered before it stopped, as a finished
/// pass says in its <see cref="StagedCopyResult"/>. And the errors of the batches it could not deliver
/// (<see cref="StagedBatchCopier.NotDelivered"/>), so that the user reads why they stay staged. A batch that kept
/// failing for its whole retry budget means the customer's bucket (or the stage) is down: the others would each wait as
/// long, so the first such batch stops the pass (<c>stopPass</c>), leaving the rest staged.
/// </summary>
/// <param name="stopPass">Cancelled at the first batch whose retry budget is spent.</param>
internal sealed class CopierDeliveries(CancellationTokenSource stopPass) : ILoggerFactory, ILogger
{
    private const int DeliveredEvent = 111;

    private readonly ConcurrentQueue<(string StagedKey, string Bucket, string Key, long EventCount)> _delivered = new();

    private readonly ConcurrentQueue<(Exception Error, bool Parked)> _setbacks = new();

    /// <summary>Gets the deliveries seen so far: the staged key, and the customer's bucket, key and event count.</summary>
    public IReadOnlyCollection<(string StagedKey, string Bucket, string Key, long EventCount)> Delivered => _delivered;

    /// <summary>Gets the errors of the batches not delivered so far, each with whether it parked its batch.</summary>
    public IReadOnlyCollection<(Exception Error, bool Parked)> Setbacks => _setbacks;

    /// <summary>Gets whether a batch kept failing for its whole retry budget, which stopped the pass.</summary>
    public bool GaveUp => _setbacks.Any(setback => !setback.Parked);

    /// <summary>
    /// Notes a batch the copier could not deliver, and stops the pass when it failed rather than parked; give this to
    /// <see cref="StagedBatchCopier.NotDelivered"/>.
    /// </summary>
    public void NotDelivered(string stagedKey, Exception error, bool parked)
    {
        _setbacks.Enqueue((error, parked));
        if (!parked)
        {
            stopPass.Cancel();
        }
    }

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
