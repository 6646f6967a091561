namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>How the in-process Kafka tests run a worker: until it stops by itself, off the test's thread, bounded.</summary>
internal static class WorkerRuns
{
    /// <summary>The longest a worker's run on the mock cluster, or a test's wait on one, may take before the test fails.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);

    /// <summary>Runs <paramref name="worker"/> on the thread pool until it stops (caught up, or failed), at most <see cref="Limit"/>.</summary>
    /// <returns>The worker's exit code.</returns>
    public static Task<int> RunToEndAsync(this KafkaToS3Worker worker) => Task.Run(() => worker.RunAsync(CancellationToken.None)).WaitAsync(Limit);

    /// <summary>
    /// Runs a worker for <paramref name="tenants"/> with <paramref name="options"/> until it stops by itself (as
    /// <see cref="RunToEndAsync(KafkaToS3Worker)"/>), over a delivery made by <see cref="Delivery"/> and disposed after the run.
    /// </summary>
    /// <returns>The run's exit code, and the worker, for its counts.</returns>
    public static async Task<(int ExitCode, KafkaToS3Worker Worker)> RunToEndAsync(
        KafkaToS3Options options, TenantDestinationsOptions tenants, StagingOptions? staging = null, CapturingLogger? log = null, WorkerHooks? hooks = null)
    {
        await using TenantDelivery delivery = Delivery(options, tenants, staging, log);
        var worker = new KafkaToS3Worker(options, delivery, log, hooks);
        return (await worker.RunToEndAsync(), worker);
    }

    /// <summary>
    /// The tenants' delivery as the program builds it, with the service's identity for the customers' roles and, when
    /// <paramref name="staging"/> is given, its staging credentials for the staging bucket.
    /// </summary>
    public static TenantDelivery Delivery(KafkaToS3Options options, TenantDestinationsOptions tenants, StagingOptions? staging, CapturingLogger? log) =>
        TenantDelivery.Create(options, tenants, staging, Destinations.BaseCredentials(), staging is null ? null : StagingPeers.ServiceCredentials(), null, log);
}
