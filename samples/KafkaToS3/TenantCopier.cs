using Amazon.Runtime;
using Microsoft.Extensions.Logging;
using RawDataDestination.Routing;
using RawDataDestination.S3;
using RawDataDestination.Staging;

namespace RawDataDestination.KafkaToS3;

/// <summary>
/// The copier of one tenant's staged batches: a <see cref="StagedBatchCopier"/> pass every poll interval while the
/// tenant has batches in the staging bucket, and nothing (no client, no listing) once a pass leaves none behind and
/// nothing was staged since. A batch staged for the tenant wakes it. With <c>takes</c>, a pass copies only the staged
/// batches it accepts (<see cref="CopierShare.Takes"/>: those of the partitions this worker holds); the others are left to
/// the other workers' copiers, and count nowhere here.
/// </summary>
/// <remarks>
/// A pass lists two prefixes: the tenant's own (<c>~BUCKET~TAG/</c>, its <see cref="TenantIdentity"/>), where this worker
/// stages its batches; and the one earlier versions staged at without an identity (<c>~BUCKET/</c>), of which it takes
/// only the batches of the tenant's own <paramref name="sources"/> (their source id is in their key): where the router sends
/// that source's records now. A batch of that prefix of another source (another deployment's customer whose bucket has the
/// same name) is left for its own tenant, never sent to this one's.
/// </remarks>
internal sealed partial class TenantCopier(
    TenantDestination tenant,
    StagingOptions staging,
    AWSCredentials? stagingCredentials,
    AWSCredentials? baseCredentials,
    SemaphoreSlim passes,
    TimeProvider time,
    ILoggerFactory loggers,
    Func<string, bool>? takes = null,
    IReadOnlySet<string>? sources = null)
{
    /// <summary>The tenant's identity: the prefix its batches are staged under and the record they carry.</summary>
    public StagedFor Identity { get; } = TenantIdentity.Of(tenant.Options);

    private readonly ILogger _logger = loggers.CreateLogger<TenantCopier>();
    private readonly Lock _gate = new();
    private long _staged;
    private long _copied;
    private Task? _loop;
    private bool _retryParked = true; // the first pass of a run (and the first after each assignment: Given) tries parked batches at once, as rawdata deliver-staged does: the setup may have been fixed since
    private TaskCompletionSource _recovered = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Gets the tenant.</summary>
    public string Tenant => tenant.Tenant;

    /// <summary>Gets the number of staged batches this copier delivered to the customer's bucket.</summary>
    public long Copied => Interlocked.Read(ref _copied);

    /// <summary>Notes that a batch was staged (or that earlier runs may have staged some) and runs passes until none is left.</summary>
    public void Wake(CancellationToken stopping)
    {
        lock (_gate)
        {
            _staged++;
            if (_loop is null && !stopping.IsCancellationRequested)
            {
                _loop = Task.Run(() => RunAsync(stopping), CancellationToken.None);
            }
        }
    }

    /// <summary>
    /// Notes that this worker was given partitions: the next pass tries the parked batches it takes at once, as the first
    /// pass of a run does, since the earlier owner may have parked them before the customer's setup was fixed; and runs
    /// passes until none is left.
    /// </summary>
    public void Given(CancellationToken stopping)
    {
        lock (_gate)
        {
            _retryParked = true;
            Wake(stopping);
        }
    }

    /// <summary>
    /// Notes that a direct delivery to the tenant's bucket succeeded after a failure: the customer's setup works again (a
    /// trust policy restored, a bucket created), so a pass tries the parked batches at once instead of on their hourly
    /// schedule.
    /// </summary>
    public void NoteRecovered(CancellationToken stopping)
    {
        lock (_gate)
        {
            _retryParked = true;
            Wake(stopping);
            _recovered.TrySetResult(); // a loop waiting for its next poll makes that pass now
        }
    }

    /// <summary>Waits for the loop to end after its token was cancelled.</summary>
    public Task StoppedAsync()
    {
        lock (_gate)
        {
            return _loop ?? Task.CompletedTask;
        }
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        ParkedLeft parked = ParkedLeft.None; // what the last pass left parked, as last said in the log
        try
        {
            using var destination = new S3RoleDestination(OneAttemptPerPass(tenant.Options), baseCredentials, time, loggers);
            using StagedBatchCopier copier = Copier(destination, Identity.Tag, takes);
            using StagedBatchCopier unmarked = Copier(destination, tag: null, TakesUnmarked(destination.Location));
            while (true)
            {
                long seen;
                bool retryParked;
                lock (_gate)
                {
                    seen = _staged;
                    retryParked = _retryParked;
                    _retryParked = false;
                }

                StagedCopyResult? result = await PassAsync(copier, unmarked, retryParked, stopping);
                if (result is not null && ParkedLeft.Of(result) is var left && left != parked)
                {
                    if (left.Batches > 0)
                    {
                        Log.Parked(_logger, tenant.Tenant, left.Batches, left.Events, left.NextAttemptAt);
                    }

                    parked = left; // said once, until the parked batches or their schedule change
                }

                if (result is null && retryParked)
                {
                    lock (_gate)
                    {
                        _retryParked = true; // the pass failed: the next one tries the parked batches again
                    }
                }

                lock (_gate)
                {
                    if (result is { ParkedBatches: 0, FailedBatches: 0 } && _staged == seen)
                    {
                        _loop = null; // nothing left, nothing new: idle until the next batch is staged
                        return;
                    }
                }

                Task recoveredSince;
                lock (_gate)
                {
                    recoveredSince = _recovered.Task;
                }

                await Task.WhenAny(Task.Delay(staging.PollInterval, time, stopping), recoveredSince);
                stopping.ThrowIfCancellationRequested();
                lock (_gate)
                {
                    if (_recovered.Task.IsCompleted)
                    {
                        _recovered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopped: what is still staged stays there for the next run's copier (or rawdata deliver-staged).
            if (parked.Batches > 0)
            {
                Log.ParkedAtStop(_logger, tenant.Tenant, parked.Batches, parked.Events, parked.NextAttemptAt);
            }
        }
        catch (Exception exception)
        {
            // Not a pass that failed (those are logged and retried): the copier itself could not be built.
            Log.CopierFailed(_logger, exception, tenant.Tenant);
            lock (_gate)
            {
                _loop = null; // the next staged batch tries again
            }
        }
    }

    /// <summary>
    /// The tenant's settings with no retries inside an upload: a pass tries each staged batch once, and one that fails for a
    /// transient reason (a 503 SlowDown, a 5xx, silence) waits for the next pass, a <see cref="StagingOptions.PollInterval"/>
    /// later. Passes share <see cref="StagingOptions.MaxConcurrentCopies"/> slots among all tenants: with the library's
    /// retry time limit (5 minutes per batch by default), a few throttled customers' passes would hold every slot for
    /// minutes, and a recovered customer's staged batches would wait behind them. The copier's calls to the staging bucket
    /// for a batch retry within the same limit, so with it they too make one attempt (with the AWS SDK's own retries, as
    /// before): a batch the staging bucket fails waits for the next pass as well.
    /// </summary>
    internal static S3RoleDestinationOptions OneAttemptPerPass(S3RoleDestinationOptions options)
    {
        S3RoleDestinationOptions copy = options.Clone(); // every setting, those added later too
        copy.RetryTimeLimit = TimeSpan.Zero;
        return copy;
    }

    /// <summary>
    /// Counts one staged batch delivered, as the copier tells it (<see cref="StagedBatchCopier.BatchDelivered"/>): a pass
    /// that a stop cancels returns no result, yet still counts what it delivered.
    /// </summary>
    private void OnCopied(DeliveredStagedBatch delivered)
    {
        Interlocked.Increment(ref _copied);
        WorkerMetrics.StagedCopied.Add(1);
    }

    /// <summary>A copier of the batches staged for the tenant's bucket with identity tag <paramref name="tag"/> (or none) that <paramref name="taking"/> accepts.</summary>
    private StagedBatchCopier Copier(S3RoleDestination destination, string? tag, Func<string, bool>? taking) =>
        new(new StagingStore(StagingSettings.From(staging), stagingCredentials), destination, time, loggers.CreateLogger<StagedBatchCopier>(), tag)
        {
            BatchDelivered = OnCopied,
            Takes = taking,
        };

    /// <summary>
    /// Which batches staged without an identity (by earlier versions, at <c>~BUCKET/</c>) this tenant's copier takes: those
    /// of its own sources (none without <paramref name="sources"/>), and of them those <c>takes</c> accepts.
    /// </summary>
    private Func<string, bool> TakesUnmarked(BucketLocation bucket)
    {
        string prefix = StagingKeys.DestinationPrefix(StagingSettings.From(staging).Location, bucket);
        return Taking;

        bool Taking(string stagedKey) =>
            sources is not null
            && StagingKeys.TryParse(stagedKey, prefix, out StagedBatchIdentity batch)
            && sources.Contains(batch.SourceId)
            && (takes is null || takes(stagedKey));
    }

    /// <summary>
    /// One pass over the tenant's own prefix and one over the batches earlier versions staged without an identity
    /// (<see cref="TakesUnmarked"/>), in one of the shared slots; their results added up. <see langword="null"/> when either failed.
    /// </summary>
    private async Task<StagedCopyResult?> PassAsync(StagedBatchCopier copier, StagedBatchCopier unmarked, bool retryParkedNow, CancellationToken stopping)
    {
        await passes.WaitAsync(stopping);
        try
        {
            StagedCopyResult? own = await PassOverAsync(copier, retryParkedNow, stopping); // each delivery counted as it happens (OnCopied)
            StagedCopyResult? earlier = await PassOverAsync(unmarked, retryParkedNow, stopping);
            if (own is null || earlier is null)
            {
                return null;
            }

            var result = new StagedCopyResult(
                [.. own.Delivered, .. earlier.Delivered],
                own.ParkedBatches + earlier.ParkedBatches,
                own.ParkedEvents + earlier.ParkedEvents,
                own.FailedBatches + earlier.FailedBatches,
                own.ExpiredBatches + earlier.ExpiredBatches)
            {
                UnconfirmedBatches = own.UnconfirmedBatches + earlier.UnconfirmedBatches,
                Expired = [.. own.Expired, .. earlier.Expired],
                NextParkedAttemptAt = new[] { own.NextParkedAttemptAt, earlier.NextParkedAttemptAt }.Min(),
            };
            if (result.Delivered.Count > 0)
            {
                Log.Copied(_logger, tenant.Tenant, result.Delivered.Count, result.DeliveredEvents, result.ParkedBatches + result.FailedBatches);
            }

            return result;
        }
        finally
        {
            passes.Release();
        }
    }

    private async Task<StagedCopyResult?> PassOverAsync(StagedBatchCopier copier, bool retryParkedNow, CancellationToken stopping)
    {
        try
        {
            return await copier.CopyOnceAsync(retryParkedNow, stopping);
        }
        catch (Exception exception) when (!stopping.IsCancellationRequested)
        {
            Log.PassFailed(_logger, exception, tenant.Tenant, copier.StagingPrefix, WhyPassFailed(exception));
            return null;
        }
    }

    /// <summary>
    /// Why a pass failed, naming the staging bucket and its flag when it could not be reached (a bare
    /// <c>HttpRequestException: Connection refused</c> named neither, QA N3): a pass starts with a listing of the stage, and
    /// a customer's failures are counted per batch, not thrown.
    /// </summary>
    private string WhyPassFailed(Exception exception) => exception switch
    {
        HttpRequestException or IOException or TimeoutException or TaskCanceledException =>
            $"could not reach the staging bucket '{staging.Bucket}'{(staging.ServiceUrl is { } url ? $" (S3 at {url})" : string.Empty)}: {exception.GetBaseException().Message.TrimEnd('.')}; check that it is up and reachable from here (--stage-endpoint-url)",
        DestinationException explained => explained.Message.TrimEnd('.'),
        _ => $"{exception.GetType().Name}: {exception.Message.TrimEnd('.')}",
    };

    /// <summary>The batches a pass left parked, and when the first of them is tried again on its schedule.</summary>
    private readonly record struct ParkedLeft(int Batches, long Events, DateTimeOffset? NextAttemptAt)
    {
        public static readonly ParkedLeft None = new(0, 0, null);

        public static ParkedLeft Of(StagedCopyResult result) => new(result.ParkedBatches, result.ParkedEvents, result.NextParkedAttemptAt);
    }

    private static partial class Log
    {
        [LoggerMessage(50, LogLevel.Information, "Tenant {Tenant}: delivered staged batches {Objects} (events {Events}) to the customer's bucket; left staged {Left}")]
        public static partial void Copied(ILogger logger, string tenant, int objects, long events, int left);

        [LoggerMessage(52, LogLevel.Error, "Tenant {Tenant}: the copier of staged batches could not start; its batches stay staged until the next one is staged, or until rawdata deliver-staged runs")]
        public static partial void CopierFailed(ILogger logger, Exception exception, string tenant);

        [LoggerMessage(53, LogLevel.Warning, "Tenant {Tenant}: staged batches parked {Batches} (events {Events}): the customer's side refused them for a reason retrying cannot fix: its bucket, or STS its role (each one's marker {{staged key}}.parked.json in the staging bucket says which, and why); next tried at {NextAttemptAt:u}, or at once when this worker is given partitions or its direct deliveries to the customer work again; rawdata deliver-staged tries them at once")]
        public static partial void Parked(ILogger logger, string tenant, int batches, long events, DateTimeOffset? nextAttemptAt);

        [LoggerMessage(54, LogLevel.Warning, "Tenant {Tenant}: staged batches left parked in the staging bucket at the stop {Batches} (events {Events}), next tried at {NextAttemptAt:u}; the next run's first pass, or rawdata deliver-staged, tries them at once")]
        public static partial void ParkedAtStop(ILogger logger, string tenant, int batches, long events, DateTimeOffset? nextAttemptAt);

        [LoggerMessage(51, LogLevel.Warning, "Tenant {Tenant}: a pass over the staging prefix {Prefix} failed: {Why}; the next one tries again")]
        public static partial void PassFailed(ILogger logger, Exception exception, string tenant, string prefix, string why);
    }
}
