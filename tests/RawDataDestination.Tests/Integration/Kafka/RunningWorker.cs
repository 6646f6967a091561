namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// A KafkaToS3 worker run in process until the test stops it, on the thread pool, over a delivery made by
/// <see cref="WorkerRuns.Delivery"/>. <see cref="StopAsync"/>
/// cancels the run and returns its exit code; disposing stops it too (bounded), then disposes the delivery.
/// </summary>
internal sealed class RunningWorker : IAsyncDisposable
{
    private readonly TenantDelivery _delivery;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task<int> _run;
    private bool _disposed;

    private RunningWorker(KafkaToS3Options options, TenantDestinationsOptions tenants, StagingOptions? staging, CapturingLogger? log, WorkerHooks? hooks)
    {
        _delivery = WorkerRuns.Delivery(options, tenants, staging, log);
        Worker = new KafkaToS3Worker(options, _delivery, log, hooks);
        _run = Task.Run(() => Worker.RunAsync(_stop.Token));
    }

    public KafkaToS3Worker Worker { get; }

    /// <summary>Starts a worker for <paramref name="tenants"/> with <paramref name="options"/>, logging to <paramref name="log"/>.</summary>
    public static RunningWorker Start(KafkaToS3Options options, TenantDestinationsOptions tenants, StagingOptions? staging = null, CapturingLogger? log = null, WorkerHooks? hooks = null) =>
        new(options, tenants, staging, log, hooks);

    /// <summary>Tells the worker to stop and waits for the end of its run, at most <see cref="WorkerRuns.Limit"/>.</summary>
    /// <returns>The run's exit code.</returns>
    public async Task<int> StopAsync()
    {
        await _stop.CancelAsync();
        return await _run.WaitAsync(WorkerRuns.Limit);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            await _stop.CancelAsync();
            await _run.WaitAsync(WorkerRuns.Limit); // a test that failed before its stop: the run ends here
        }
        catch (Exception) when (!_run.IsCompletedSuccessfully)
        {
            // The test has failed already, or says so from StopAsync; the delivery is disposed all the same.
        }
        finally
        {
            await _delivery.DisposeAsync();
            _stop.Dispose();
        }
    }
}
