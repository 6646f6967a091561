namespace RawDataDestination.Tests.Support;

/// <summary>Records every activity of the library's activity source that stops while it lives (sampled with all data).</summary>
internal sealed class ActivityRecorder : IDisposable
{
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ActivityListener _listener;

    public ActivityRecorder()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "RawDataDestination",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>The one stopped activity named <paramref name="operationName"/>; fails the test when there are none or several.</summary>
    public Activity Single(string operationName) => _stopped.Single(a => a.OperationName == operationName);

    public void Dispose() => _listener.Dispose();
}
