using System.Runtime.CompilerServices;
using Amazon.Runtime;
using Microsoft.Extensions.Logging;
using RawDataDestination.Batching;
using RawDataDestination.Internal;
using RawDataDestination.Ndjson;
using RawDataDestination.S3;

namespace RawDataDestination.Routing;

/// <summary>
/// Delivers each batch to its customer's bucket: the consumer, and the router, of a <see cref="BatchBuffer"/> that serves
/// many customers, each with their own role, external id and bucket. Give it to the buffer as its consumer.
/// </summary>
/// <remarks>
/// <para>
/// Each source resolves, through an <see cref="IDestinationResolver"/>, to its customer's destination. The customer's
/// name is the lane its batches travel in, so a customer whose role, bucket or endpoint is broken fills only its own
/// share of memory and upload slots, backs off on its own circuit breaker, and never slows the others. An event whose
/// source has no destination is refused at append (<see cref="EventRejectionReason.NoDestination"/>) and sent nowhere.
/// </para>
/// <para>
/// A batch keeps the destination it was sealed for (its region, bucket and prefix) on every attempt, whatever changes
/// later; when the customer's current settings name the same bucket, their current role and external id are used, so a
/// fixed trust policy lets the batches already waiting through. Batches read back from a spool at start take the
/// destination their source resolves to then.
/// </para>
/// <para>
/// Destinations are built on first use and disposed after <see cref="DestinationRouterOptions.DestinationIdleTimeout"/>
/// without an upload; their credentials are shared while in use and evicted, with their STS client, after the last.
/// Settings are validated once per version: a customer's invalid settings refuse that customer's batches (parked, kept,
/// tried again at the next scheduled seal, flush or shutdown), and no one else's.
/// </para>
/// </remarks>
public sealed class DestinationRouter : ISealedBatchConsumer, IBatchRouter, IUnroutedBatchRefusal, IDisposable
{
    private readonly IDestinationResolver _resolver;
    private readonly DestinationPool _pool;
    private readonly ConditionalWeakTable<S3RoleDestinationOptions, Validated> _validated = [];

    /// <summary>Creates a router.</summary>
    /// <param name="resolver">Maps each source to its customer's destination.</param>
    /// <param name="options">The idle timeout of destinations. Copied now. The default is <see cref="DestinationRouterOptions"/>'s defaults.</param>
    /// <param name="baseCredentials">The service's own credentials for calling STS. The default is the AWS SDK's default credential chain.</param>
    /// <param name="timeProvider">The clock for idle timeouts and credential refresh. The default is <see cref="TimeProvider.System"/>.</param>
    /// <param name="loggerFactory">Where upload problems are logged. The default logs nothing.</param>
    /// <exception cref="ArgumentException">The idle timeout is not greater than zero.</exception>
    public DestinationRouter(IDestinationResolver resolver, DestinationRouterOptions? options = null, AWSCredentials? baseCredentials = null, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        options ??= new DestinationRouterOptions();
        SettingChecks.ThrowIfAny(options.Problems(), nameof(options));
        TimeSpan idle = options.DestinationIdleTimeout;

        _resolver = resolver;
        _pool = new DestinationPool(idle, baseCredentials, timeProvider ?? TimeProvider.System, loggerFactory);
    }

    /// <summary>Gets how many customers' destinations are built now (idle ones are disposed).</summary>
    public int ActiveDestinations => _pool.Count;

    /// <inheritdoc />
    public BatchRoute Route(string sourceId)
    {
        TenantDestination destination = _resolver.Resolve(sourceId)
            ?? throw new EventRejectedException(EventRejectionReason.NoDestination, $"Source '{sourceId}' has no destination: {WhyUnresolved(sourceId)}. Its events are refused and sent nowhere until it has one.");
        return new BatchRoute(destination.Tenant, destination);
    }

    /// <inheritdoc />
    /// <exception cref="DestinationException">The source has no destination, or its customer's settings are invalid (both permanent: the batch is parked and kept); or S3 or STS refused the upload.</exception>
    public async Task<BatchReceipt> ConsumeAsync(SealedBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        TenantDestination bound = batch.RouteState as TenantDestination
            ?? _resolver.Resolve(batch.SourceId)
            ?? throw new DestinationException("NoDestination", isPermanent: true, $"Source '{batch.SourceId}' has no destination any more ({WhyUnresolved(batch.SourceId)}); its batch {batch.FileName} ({batch.EventCount} events) is kept and tried again at the next scheduled seal, flush or shutdown, and is never sent to another customer's bucket.", null);
        S3RoleDestinationSettings settings = SettingsFor(bound, batch.SourceId);
        using DestinationPool.Lease lease = _pool.Rent(settings);
        return await ((ISealedBatchConsumer)lease.Destination).ConsumeAsync(batch, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    bool IUnroutedBatchRefusal.WouldRefuseUnrouted(string sourceId) => _resolver.Resolve(sourceId) is null; // ConsumeAsync's NoDestination, for a batch with no route state

    /// <summary>Disposes every customer's destination.</summary>
    public void Dispose() => _pool.Dispose();

    /// <summary>
    /// The bucket the batch was sealed for, with the customer's current credentials when they still name that bucket. A
    /// batch sealed while its tenant's settings were invalid was sealed for no bucket: once the same tenant's settings are
    /// valid, it goes where they say (never to another tenant's).
    /// </summary>
    private S3RoleDestinationSettings SettingsFor(TenantDestination bound, string sourceId)
    {
        Validated sealedFor = Validate(bound);
        if (sealedFor.Settings is null)
        {
            return _resolver.Resolve(sourceId) is { } fixedNow && fixedNow.Tenant == bound.Tenant && Validate(fixedNow).Settings is { } valid
                ? valid
                : throw new DestinationException("InvalidSettings", isPermanent: true, $"The settings of tenant '{bound.Tenant}' are invalid, so its batches are kept (parked) until they are fixed: {sealedFor.Problems}", null);
        }

        if (_resolver.Resolve(sourceId) is { } current && !ReferenceEquals(current, bound)
            && Validate(current).Settings is { } now
            && now.Client.Region == sealedFor.Settings.Client.Region && now.Location == sealedFor.Settings.Location)
        {
            return now;
        }

        return sealedFor.Settings;
    }

    private Validated Validate(TenantDestination destination) =>
        destination.ParkedBecause is { } parked ? new Validated(null, parked)
        : _validated.GetValue(destination.Options, static options =>
        {
            List<SettingProblem> problems = options.Problems();
            return problems.Count == 0 ? new Validated(S3RoleDestinationSettings.From(options), null) : new Validated(null, string.Join(" ", problems.Select(problem => problem.Message)));
        });

    private string WhyUnresolved(string sourceId) =>
        (_resolver as TenantDestinationResolver)?.WhyUnresolved(sourceId) ?? "the resolver knows no destination for it";

    private sealed record Validated(S3RoleDestinationSettings? Settings, string? Problems);
}
