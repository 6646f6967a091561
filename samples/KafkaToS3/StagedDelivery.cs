using System.Net;
using Amazon.Runtime;
using Microsoft.Extensions.Logging;
using RawDataDestination.Aws;
using RawDataDestination.Internal;
using RawDataDestination.Routing;
using RawDataDestination.S3;
using RawDataDestination.Staging;

namespace RawDataDestination.KafkaToS3;

/// <summary>
/// The operator's staging bucket, for batches a customer's bucket did not take: one <see cref="StagingConsumer"/> per
/// tenant, which stages under its bucket and identity (<see cref="TenantIdentity"/>: <c>~BUCKET~TAG/</c>), and one <see cref="TenantCopier"/> per tenant that delivers
/// them once the customer's bucket takes them again: in a group, those cut from the partitions this worker holds
/// (<see cref="CopierShare"/>), so that each staged batch is copied by one worker.
/// </summary>
/// <remarks>
/// A staged batch maps one-to-one to the key it has in the customer's bucket. A batch whose direct PUT landed but whose
/// answer was lost, and that was then staged, is written by the copier onto the same key with the same bytes (a 412
/// under conditional writes counts as delivered): one object at one key.
/// </remarks>
internal sealed partial class StagedDelivery : IAsyncDisposable
{
    private readonly Dictionary<string, StagingConsumer> _stagers = new(StringComparer.Ordinal);

    /// <summary>Each tenant's bucket and path prefix, identity tag and sources (<see langword="null"/>: none given), by tenant.</summary>
    private readonly Dictionary<string, (BucketLocation Bucket, string Tag, IReadOnlySet<string>? Sources)> _destinations = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TenantCopier> _copiers = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _passes;
    private readonly CancellationTokenSource _stop = new();
    private readonly ILogger _logger;
    private readonly AWSCredentials? _stagingCredentials;
    private readonly CopierShare? _share;

    /// <summary>Builds a stager and a copier per tenant; nothing is called yet.</summary>
    /// <param name="options">The staging bucket; also the copiers' poll interval and parked-retry schedule.</param>
    /// <param name="tenants">Every tenant, once each.</param>
    /// <param name="stagingCredentials">The service's own credentials for the staging bucket. The default is the AWS SDK's default chain.</param>
    /// <param name="baseCredentials">The service's own credentials for STS (the copiers assume the customers' roles). The default is the AWS SDK's default chain.</param>
    /// <param name="time">The clock of the copiers.</param>
    /// <param name="loggers">Where staging and copies are logged.</param>
    /// <param name="share">
    /// Which staged batches the copiers take: those of the partitions this worker holds (<see cref="Hold"/>). The default,
    /// <see langword="null"/>, takes every staged batch of the tenants.
    /// </param>
    /// <param name="sourcesOf">
    /// Each tenant's sources, by tenant: of the batches earlier versions staged without an identity, a tenant's copier takes
    /// those of its own sources (<see cref="TenantCopier"/>). The default, <see langword="null"/>, takes none of them.
    /// </param>
    /// <exception cref="ArgumentException">The staging settings are invalid, or a customer's staged keys would be too long; the message says why.</exception>
    public StagedDelivery(StagingOptions options, IEnumerable<TenantDestination> tenants, AWSCredentials? stagingCredentials, AWSCredentials? baseCredentials, TimeProvider time, ILoggerFactory loggers, CopierShare? share = null, IReadOnlyDictionary<string, IReadOnlySet<string>>? sourcesOf = null)
    {
        Options = options;
        _stagingCredentials = stagingCredentials;
        _share = share;
        _logger = loggers.CreateLogger<StagedDelivery>();
        _passes = new SemaphoreSlim(options.MaxConcurrentCopies);
        try
        {
            foreach (TenantDestination tenant in tenants)
            {
                var copier = new TenantCopier(tenant, options, stagingCredentials, baseCredentials, _passes, time, loggers, share is null ? null : share.Takes, sourcesOf?.GetValueOrDefault(tenant.Tenant));
                _copiers[tenant.Tenant] = copier;

                // Staged under the tenant's identity (~BUCKET~TAG/), with it in each batch's metadata: another customer's
                // bucket of the same name (another partition or store) has a prefix of its own.
                _stagers[tenant.Tenant] = new StagingConsumer(
                    new StagingStore(StagingSettings.From(options), stagingCredentials), BucketLocation.Parse(tenant.Options.Bucket), time, loggers.CreateLogger<StagingConsumer>(), copier.Identity);
                _destinations[tenant.Tenant] = (BucketLocation.Parse(tenant.Options.Bucket), copier.Identity.Tag, sourcesOf?.GetValueOrDefault(tenant.Tenant));
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Gets the staging settings.</summary>
    public StagingOptions Options { get; }

    /// <summary>Gets the number of staged batches the copiers delivered to customers' buckets.</summary>
    public long Copied => _copiers.Values.Sum(c => c.Copied);

    /// <summary>
    /// Counts the batches staged for these tenants (<see cref="StagingKeys.TryParse"/>, as the copiers take them: under a
    /// tenant's identity, or without one for a source of the tenant; parked markers not counted, and a batch of a tenant
    /// whose path prefix starts with another's key prefix counted once), and apart the others (<see cref="StageLeft.Unowned"/>):
    /// those staged for a bucket and prefix no tenant lists, or with another identity, or without one for a source no
    /// tenant of that bucket lists; in one
    /// listing of the stage with the service's own credentials: what the next run's copiers, or
    /// <c>rawdata deliver-staged</c>, have to copy. Never throws: when a listing failed, or
    /// <paramref name="cancellationToken"/> ended it, the result says why (it ends a run, whose exit code is already decided).
    /// </summary>
    public async Task<StageLeft> CountLeftAsync(CancellationToken cancellationToken)
    {
        try
        {
            StagingSettings settings = StagingSettings.From(Options);
            using var store = new StagingStore(settings, _stagingCredentials);
            int left = 0;
            var unowned = new SortedDictionary<string, int>(StringComparer.Ordinal);
            var rotated = new SortedDictionary<RotatedIdentity, int>();
            foreach (Amazon.S3.Model.S3Object entry in await store.ListAsync(StagingKeys.AnyDestinationPrefix(settings.Location), cancellationToken))
            {
                if (!StagingKeys.IsMarker(entry.Key, out _)
                    && StagingKeys.TryParseStaged(entry.Key, out _, out string bucket, out string customerKey, out string tag)
                    && ObjectKeyLayout.PathPrefixOf(customerKey) is { } pathPrefix
                    && BucketLocation.CreateUnchecked(bucket, pathPrefix) is var destination
                    && StagingKeys.TryParse(entry.Key, StagingKeys.DestinationPrefix(settings.Location, destination, tag.Length == 0 ? null : tag), out StagedBatchIdentity batch))
                {
                    if (IsOwned(destination, tag, batch.SourceId))
                    {
                        left++;
                    }
                    else if (tag.Length > 0 && RotatedFrom(destination, tag, batch.SourceId) is { } tenant)
                    {
                        // Staged under an earlier identity of a bucket a tenant lists now for the batch's source: its role,
                        // external id or owner changed in the file (a rotation). Not taken (the identity is what keeps
                        // another customer's bucket of the same name apart), but named with the move that delivers it.
                        var key = new RotatedIdentity(
                            tenant,
                            StagingKeys.DestinationPrefix(settings.Location, destination, tag),
                            StagingKeys.DestinationPrefix(settings.Location, destination, _destinations[tenant].Tag));
                        rotated[key] = rotated.GetValueOrDefault(key) + 1;
                    }
                    else
                    {
                        // Another identity's (a bucket of the same name of another customer), or staged by an earlier
                        // version without one for a source no tenant with that bucket lists.
                        string whose = tag.Length == 0 ? destination.ToString() : $"{destination} (identity {tag})";
                        unowned[whose] = unowned.GetValueOrDefault(whose) + 1;
                    }
                }
            }

            return StageLeft.Listed(left) with { Unowned = unowned.Count > 0 ? unowned : null, Rotated = rotated.Count > 0 ? rotated : null };
        }
        catch (Exception exception)
        {
            // Any failure (no credentials at all is an AmazonClientException): the end of a run says it, and never aborts.
            Log.NotCounted(_logger, exception);
            return StageLeft.NotListedFor(WhyNotListed(exception, cancellationToken));
        }
    }

    /// <summary>
    /// Notes partitions given to this worker (<see cref="CopierShare.Hold"/>), and runs one pass for every tenant: to deliver
    /// what earlier runs, or the partitions' earlier owners, left staged; tenants with nothing staged then go idle. Every
    /// assignment, not only the first, makes that pass try the parked batches at once (<see cref="TenantCopier.Given"/>): an earlier owner may
    /// have parked them before the customer was fixed, and a pass made before this assignment (the first of the run
    /// included) did not take them. It tries those of every partition held, not only of the ones just given: the copier's
    /// schedule is one per pass, and an eager rebalance gives every partition anew anyway; the cost is the one of a
    /// restart, one attempt per parked batch held.
    /// </summary>
    public void Hold(IEnumerable<int> partitions)
    {
        _share?.Hold(partitions);
        foreach (TenantCopier copier in _copiers.Values)
        {
            copier.Given(_stop.Token);
        }
    }

    /// <summary>Notes partitions taken from this worker (revoked, or lost): their staged batches are left to their new owners.</summary>
    public void Release(IEnumerable<int> partitions) => _share?.Release(partitions);

    /// <summary>Writes a batch to the staging bucket (the AWS SDK retries transient errors) and wakes its tenant's copier.</summary>
    /// <exception cref="StageRefusedException">The staging bucket refused the batch for a reason retrying cannot fix.</exception>
    /// <exception cref="Exception">Any other failure is transient: the batch is not staged.</exception>
    public async Task StageAsync(RoutedBatch routed, CancellationToken cancellationToken)
    {
        StagingConsumer stager = _stagers[routed.Tenant];
        try
        {
            UploadedObject staged = await stager.StageAsync(routed.Batch, cancellationToken);
            Log.Staged(_logger, routed.Tenant, staged.Bucket, staged.Key, routed.Batch.EventCount);
        }
        catch (AmazonServiceException exception) when (IsRefusal(exception))
        {
            // The library's explanation, in the worker's words: a refused key or token names the service's credentials, a
            // missing bucket --stage-bucket, a wrong region --stage-region.
            string why = ErrorExplanations.ForS3(exception, Target, cancellationToken)?.Describe(TenantWords.Words) ?? exception.Message;
            throw new StageRefusedException(
                $"The staging bucket '{Options.Bucket}' refused batch {routed.Batch.FileName} of tenant '{routed.Tenant}': {why}",
                exception);
        }
        catch (DestinationException exception) when (exception.IsPermanent)
        {
            // The library's own refusal of the write, such as an answer without an ETag (what answered is not S3).
            throw new StageRefusedException(
                $"The staging bucket '{Options.Bucket}' refused batch {routed.Batch.FileName} of tenant '{routed.Tenant}': {TenantWords.Explain(exception)}",
                exception);
        }

        _copiers[routed.Tenant].Wake(_stop.Token);
    }

    /// <summary>
    /// Why a write to the staging bucket failed for a reason that passes (a refusal throws <see cref="StageRefusedException"/>
    /// instead), as the library explains it, naming the staging bucket: <c>the staging bucket 'B' did not take it: WHY</c>.
    /// </summary>
    public string ExplainNotStaged(Exception error) =>
        $"the staging bucket '{Options.Bucket}' did not take it: {(ErrorExplanations.ForS3(error, Target, CancellationToken.None)?.Describe(TenantWords.Words) ?? TenantWords.Explain(error)).TrimEnd('.')}";

    /// <summary>Notes that a direct delivery to the tenant's bucket succeeded after a failure: its copier tries its parked batches at once.</summary>
    public void NoteRecovered(string tenant)
    {
        if (_copiers.TryGetValue(tenant, out TenantCopier? copier))
        {
            copier.NoteRecovered(_stop.Token);
        }
    }

    /// <summary>Stops the copiers (what is staged stays staged) and releases every client.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_copiers.Values.Select(c => c.StoppedAsync()));
        Dispose();
    }

    /// <summary>
    /// Whether a copier of this worker takes a batch staged for <paramref name="destination"/> with identity tag
    /// <paramref name="tag"/> (empty: none, staged by an earlier version) of source <paramref name="source"/>.
    /// </summary>
    private bool IsOwned(BucketLocation destination, string tag, string source) =>
        _destinations.Values.Any(d => d.Bucket == destination && (tag.Length == 0 ? d.Sources?.Contains(source) == true : d.Tag == tag));

    /// <summary>
    /// The tenant that lists <paramref name="destination"/> now with an identity other than <paramref name="tag"/>, and
    /// source <paramref name="source"/> when its sources are given; <see langword="null"/> when none does.
    /// </summary>
    private string? RotatedFrom(BucketLocation destination, string tag, string source) =>
        _destinations.Where(d => d.Value.Bucket == destination && d.Value.Tag != tag && d.Value.Sources?.Contains(source) != false)
            .Select(d => d.Key).Order(StringComparer.Ordinal).FirstOrDefault();

    /// <summary>Gets the staging bucket, for the library's explanations.</summary>
    private S3Target Target => new(Staging: true, BucketLocation.Parse(Options.Bucket), Options.Region, Options.ServiceUrl);

    /// <summary>Why the count of what is left in the stage failed, in the words of the last line: <c>(what is left there could not be listed: WHY)</c>.</summary>
    private static string WhyNotListed(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        _ when MissingCredentials.In(exception) => "this service has no AWS credentials",
        DestinationException { ErrorCode: "AccessDenied" or "HTTP 403" } => "this service's credentials may not list it (s3:ListBucket)",
        OperationCanceledException when cancellationToken.IsCancellationRequested => "it did not answer in time",
        AmazonServiceException answer => $"S3 answered {ServiceAnswers.Code(answer)}",
        HttpRequestException or IOException => $"it could not be reached ({exception.GetBaseException().Message.TrimEnd('.')})",
        _ => exception.GetType().Name,
    };

    private static bool IsRefusal(AmazonServiceException exception) =>
        exception.StatusCode != 0 && (int)exception.StatusCode is >= 400 and < 500
        && exception.StatusCode is not (HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout)
        && exception.ErrorCode is not ("SlowDown" or "RequestTimeout" or "RequestTimeTooSkewed");

    private void Dispose()
    {
        foreach (StagingConsumer stager in _stagers.Values)
        {
            stager.Dispose();
        }

        _passes.Dispose();
        _stop.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(60, LogLevel.Debug, "Tenant {Tenant}: staged s3://{Bucket}/{Key} ({Events} events)")]
        public static partial void Staged(ILogger logger, string tenant, string bucket, string key, long events);

        [LoggerMessage(61, LogLevel.Debug, "What is left in the staging bucket was not counted; the last line says why")]
        public static partial void NotCounted(ILogger logger, Exception exception);
    }
}
