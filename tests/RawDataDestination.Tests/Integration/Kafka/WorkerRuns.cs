namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>How the in-process Kafka tests run a worker: until it stops by itself, off the test's thread, bounded.</summary>
internal static class WorkerRuns
{
    /// <summary>The longest a worker's run on the mock cluster, or a test's wait on one, may take before the test fails.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);

    /// <summary>Runs <paramref name="worker"/> on the thread pool until it stops (caught up, or failed), at most <see cref="Limit"/>.</summary>
    /// <returns>The worker's exit code.</returns>
    public static Task<int> RunToEndAsync(this KafkaToS3Worker worker) => Task.Run(() => worker.RunAsync(CancellationToken.None)).WaitAsync(Limit);
}
