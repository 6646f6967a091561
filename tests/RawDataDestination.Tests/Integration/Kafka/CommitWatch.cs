namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// Watches an in-process worker's commits through its <see cref="Hooks"/>: <see cref="EveryWindowCommitted"/> completes
/// once every partition of the topic is committed to its end (<see cref="KafkaTopic.EndOffset"/>, read at each commit).
/// </summary>
/// <param name="topic">The topic the worker reads.</param>
internal sealed class CommitWatch(KafkaTopic topic)
{
    private readonly ConcurrentDictionary<int, long> _committed = new();
    private TaskCompletionSource _everyWindowCommitted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Gets the hooks to give the worker.</summary>
    public WorkerHooks Hooks => new()
    {
        BeforeCommit = commit =>
        {
            _committed[commit.Partition.Value] = commit.Offset.Value;
            if (Enumerable.Range(0, topic.Partitions).All(p => _committed.GetValueOrDefault(p) == topic.EndOffset(p)))
            {
                Volatile.Read(ref _everyWindowCommitted).TrySetResult();
            }
        },
    };

    /// <summary>Gets a task that completes when every partition is committed to its end.</summary>
    public Task EveryWindowCommitted => Volatile.Read(ref _everyWindowCommitted).Task;

    /// <summary>Waits again, for the records produced next: call it before producing them.</summary>
    public void ExpectMore() => Volatile.Write(ref _everyWindowCommitted, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}
