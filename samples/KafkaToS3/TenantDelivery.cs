using Amazon.Runtime;
using Microsoft.Extensions.Logging;
using Polly.CircuitBreaker;
using RawDataDestination.Batching;
using RawDataDestination.Routing;
using RawDataDestination.Staging;

namespace RawDataDestination.KafkaToS3;

/// <summary>
/// Delivers the batches of one window, each to its tenant's bucket, up to <see cref="KafkaToS3Options.MaxConcurrentDeliveries"/>
/// at once: through the library's <see cref="DestinationRouter"/> (one attempt per call), the tenant's retry and circuit
/// breaker (<see cref="TenantBreakers"/>), and, when that fails or the circuit is open, the operator's staging bucket.
/// </summary>
/// <remarks>
/// Routing is the router's: <see cref="Route"/> is <see cref="DestinationRouter.Route"/>, so a source no tenant lists is
/// refused with <see cref="Ndjson.EventRejectionReason.NoDestination"/> and sent nowhere. The direct attempt is not
/// cancelled by a stop: it is bounded by the destination's connect and response timeouts, and a window whose batches are
/// all delivered or staged is committed.
/// </remarks>
internal sealed partial class TenantDelivery : IAsyncDisposable
{
    private readonly DestinationRouter _router;
    private readonly IDisposable? _resolver;
    private readonly StagedDelivery? _stage;
    private readonly TenantBreakers _breakers;
    private readonly int _maxConcurrent;
    private readonly ILogger _logger;

    /// <summary>Creates the delivery of windows; it owns <paramref name="router"/>, <paramref name="resolver"/> and <paramref name="stage"/> and disposes them.</summary>
    public TenantDelivery(DestinationRouter router, IDisposable? resolver, StagedDelivery? stage, KafkaToS3Options options, TimeProvider? time = null, ILoggerFactory? loggers = null)
    {
        _router = router;
        _resolver = resolver;
        _stage = stage;
        _maxConcurrent = options.MaxConcurrentDeliveries;
        _logger = (loggers ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger<TenantDelivery>();
        _breakers = new TenantBreakers(options, time ?? TimeProvider.System, _logger, staging: stage is not null);
    }

    /// <summary>
    /// Builds the library's <see cref="TenantDestinationResolver"/> (fixed tenants) and <see cref="DestinationRouter"/> over
    /// <paramref name="tenants"/>, and the stage when <paramref name="staging"/> is given.
    /// </summary>
    /// <param name="options">The worker's options (concurrency, retries, breaker).</param>
    /// <param name="tenants">The customers, checked (see <see cref="TenantsFile"/>).</param>
    /// <param name="staging">The operator's staging bucket, or <see langword="null"/> to hold windows instead.</param>
    /// <param name="baseCredentials">The service's own credentials for STS. <see langword="null"/>: the AWS SDK's default chain.</param>
    /// <param name="stagingCredentials">The service's own credentials for the staging bucket. <see langword="null"/>: the AWS SDK's default chain.</param>
    /// <param name="time">The clock of the breakers, credentials and copiers. <see langword="null"/>: the system's.</param>
    /// <param name="loggers">Where deliveries are logged. <see langword="null"/>: nowhere.</param>
    /// <exception cref="ArgumentException">The staging settings are invalid, or a customer's staged keys would be too long.</exception>
    public static TenantDelivery Create(KafkaToS3Options options, TenantDestinationsOptions tenants, StagingOptions? staging, AWSCredentials? baseCredentials, AWSCredentials? stagingCredentials, TimeProvider? time, ILoggerFactory? loggers)
    {
        loggers ??= Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;
        time ??= TimeProvider.System;
        var resolver = new TenantDestinationResolver(tenants, loggers.CreateLogger<TenantDestinationResolver>());
        var router = new DestinationRouter(resolver, null, baseCredentials, time, loggers);
        try
        {
            StagedDelivery? stage = staging is null ? null : new StagedDelivery(
                staging,
                tenants.Tenants.Select(t => resolver.Resolve(t.Sources[0])!).DistinctBy(d => d.Tenant),
                stagingCredentials,
                baseCredentials,
                time,
                loggers);
            return new TenantDelivery(router, resolver, stage, options, time, loggers);
        }
        catch
        {
            router.Dispose();
            resolver.Dispose();
            throw;
        }
    }

    /// <summary>Gets whether batches a customer's bucket does not take go to a staging bucket.</summary>
    public bool Stages => _stage is not null;

    /// <summary>Gets the number of staged batches the worker's copiers delivered to customers' buckets.</summary>
    public long CopiedFromStage => _stage?.Copied ?? 0;

    /// <summary>Gets the tenant of <paramref name="sourceId"/>.</summary>
    /// <exception cref="Ndjson.EventRejectedException">No tenant lists the source (<see cref="Ndjson.EventRejectionReason.NoDestination"/>).</exception>
    public TenantDestination Route(string sourceId) => (TenantDestination)_router.Route(sourceId).State!;

    /// <summary>Starts the copiers' first pass over what earlier runs left staged.</summary>
    public void Start() => _stage?.Start();

    /// <summary>Delivers a window's batches, concurrently; returns where each one ended up, in order.</summary>
    /// <exception cref="StageRefusedException">The staging bucket refused a batch for a reason retrying cannot fix.</exception>
    public async Task<BatchOutcome[]> DeliverAsync(IReadOnlyList<RoutedBatch> batches, CancellationToken cancellationToken)
    {
        var outcomes = new BatchOutcome[batches.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, batches.Count),
            new ParallelOptions { MaxDegreeOfParallelism = _maxConcurrent, CancellationToken = cancellationToken },
            async (i, token) => outcomes[i] = await DeliverAsync(batches[i], token));
        return outcomes;
    }

    public async ValueTask DisposeAsync()
    {
        if (_stage is not null)
        {
            await _stage.DisposeAsync();
        }

        await _breakers.DisposeAsync();
        _router.Dispose();
        _resolver?.Dispose();
    }

    private async Task<BatchOutcome> DeliverAsync(RoutedBatch routed, CancellationToken cancellationToken)
    {
        try
        {
            await _breakers.ExecuteAsync(routed.Tenant, token => _router.ConsumeAsync(routed.Batch, token), CancellationToken.None);
            _stage?.NoteDirectOutcome(routed.Tenant, delivered: true);
            return BatchOutcome.Delivered;
        }
        catch (Exception direct) when (!cancellationToken.IsCancellationRequested)
        {
            bool open = direct is BrokenCircuitException or IsolatedCircuitException;
            if (!open)
            {
                _stage?.NoteDirectOutcome(routed.Tenant, delivered: false);
            }

            if (_stage is null)
            {
                if (!open)
                {
                    Log.NotDelivered(_logger, routed.Tenant, routed.Batch.FileName, direct.Message);
                }

                return BatchOutcome.NotDelivered;
            }

            if (!open)
            {
                Log.Staging(_logger, routed.Tenant, routed.Batch.FileName, direct.Message);
            }

            try
            {
                await _stage.StageAsync(routed, CancellationToken.None);
                return BatchOutcome.Staged;
            }
            catch (Exception staging) when (staging is not StageRefusedException)
            {
                Log.StagingFailed(_logger, staging, routed.Tenant, routed.Batch.FileName);
                return BatchOutcome.NotDelivered;
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(30, LogLevel.Information, "Tenant {Tenant}: batch {File} not delivered ({Error}); it goes to the staging bucket")]
        public static partial void Staging(ILogger logger, string tenant, string file, string error);

        [LoggerMessage(31, LogLevel.Warning, "Tenant {Tenant}: batch {File} not delivered ({Error}); its window waits and is tried again")]
        public static partial void NotDelivered(ILogger logger, string tenant, string file, string error);

        [LoggerMessage(32, LogLevel.Warning, "Tenant {Tenant}: batch {File} could not be staged either; its window waits and is tried again")]
        public static partial void StagingFailed(ILogger logger, Exception exception, string tenant, string file);
    }
}
