using System.Collections.Concurrent;
using Amazon.Runtime;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RawDataDestination.Aws;
using RawDataDestination.Internal;
using RawDataDestination.S3;

namespace RawDataDestination.Staging;

/// <summary>
/// Moves staged batches to the customer's bucket: lists the staging prefix of one destination, reads each batch back with
/// the service's own credentials, writes it through <see cref="S3RoleDestination"/> (the customer's assumed role; same key,
/// same bytes, <c>If-None-Match</c> where conditional writes are on), and deletes the staged copy only once the customer's
/// write is confirmed. Any number of hosts may run copiers over the same prefix: two copying one batch write the same
/// object, and the second delete of a staged copy is harmless.
/// </summary>
/// <remarks>
/// <para>
/// ListObjectsV2, GetObject, PutObject and DeleteObject go to the staging bucket only; the customer's bucket sees
/// PutObject and nothing else.
/// </para>
/// <para>
/// A batch the customer's bucket refuses for a reason retrying cannot fix (<see cref="DestinationException.IsPermanent"/>:
/// AccessDenied, NoSuchBucket, a KMS denial, ...) is parked: it stays staged, the reason goes into a marker object
/// <c>{staged key}.parked.json</c>, the log and <c>rawdata.staging.park_events</c>, and it is tried again after
/// <see cref="StagingOptions.ParkedRetryInterval"/>, while the other batches go on. A staged batch is kept for
/// <see cref="StagingOptions.Retention"/>; from <see cref="StagingOptions.WarnBeforeExpiry"/> before that, each retry warns.
/// Past it, the batch is tried once more and deleted undelivered only if the customer's bucket refuses it in that try
/// (<see cref="StagedCopyResult.Expired"/>): the retention never deletes a batch the customer's bucket would take.
/// </para>
/// </remarks>
public sealed partial class StagedBatchCopier : IDisposable
{
    private readonly StagingStore _store;
    private readonly StagingSettings _settings;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _prefix;
    private readonly string _legacyPrefix;

    /// <summary>The identity tag of the batches this copier takes (<see cref="StagedFor.Tag"/>), or <see langword="null"/>: those staged without one.</summary>
    private readonly string? _tag;

    /// <summary>
    /// The retries of the calls to the staging bucket for one staged batch (reading it and its marker back, writing its
    /// marker, deleting it): transient errors (<see cref="TransientErrors"/>), with the destination's delays and
    /// <see cref="S3RoleDestinationOptions.RetryTimeLimit"/> from each call's first attempt, as its PutObject is retried;
    /// each attempt bounded by twice the staging request timeout. The listings are not retried here (the AWS SDK's
    /// retries only): a staging bucket that cannot be listed fails the pass.
    /// </summary>
    private readonly Polly.ResiliencePipeline _stagingRetry;
    private readonly ConcurrentDictionary<string, bool> _reportedUnconfirmed = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string? ETag, ParkedMarker Marker)> _markers = new(StringComparer.Ordinal);
    private int _parkedBatches;

    /// <summary>
    /// The batches whose last attempt failed for a transient reason, each with the order of that failure: a pass tries
    /// them after the others, oldest failure first, so the few a stopped pass tried are not the same at every pass.
    /// </summary>
    private readonly ConcurrentDictionary<string, long> _failedInPass = new(StringComparer.Ordinal);
    private long _failures;

    /// <summary>
    /// The parked batches whose retry ahead of their schedule (<c>retryParkedNow</c>, or a pass after one that delivered)
    /// failed for a transient reason, or was deferred behind such a failure, each with when a pass tries it again and how
    /// many such retries it has had: the fix that made the retry worth doing at once still holds, so one throttled or silent
    /// moment must not send it back to its <see cref="StagingOptions.ParkedRetryInterval"/> (an hour by default).
    /// Bounded: the delays grow by the library's retry rule (<see cref="RetryPipelines.FullJitter"/>, from
    /// <see cref="StagingOptions.PollInterval"/> up to the parked retry interval), and after <see cref="MaxParkedRetries"/>
    /// of them the batch is left to its schedule.
    /// </summary>
    private readonly ConcurrentDictionary<string, ParkedRetry> _parkedRetries = new(StringComparer.Ordinal);

    /// <summary>How many times a parked batch's early retry that failed for a transient reason is tried again before its schedule.</summary>
    internal const int MaxParkedRetries = 5;

    /// <summary>How many batches the last pass did not try because an earlier one failed for a transient reason.</summary>
    private int _lastPassDeferred;

    /// <summary>
    /// Whether the last pass delivered a batch while it left parked ones to their schedule: the customer's bucket takes
    /// batches again (fixed since they were parked), so the next pass tries them at once rather than up to
    /// <see cref="StagingOptions.ParkedRetryInterval"/> later, and the customer's oldest events do not come last.
    /// </summary>
    private int _retryParkedNextPass;

    /// <summary>Creates a copier for the staged batches of one destination.</summary>
    /// <param name="options">The staging settings. Validated and copied now.</param>
    /// <param name="destination">The customer's destination; the copier writes through it and does not dispose it.</param>
    /// <param name="credentials">The service's own credentials for the staging bucket. The default is the AWS SDK's default credential chain.</param>
    /// <param name="timeProvider">The clock for the parked-retry schedule, the retention and <see cref="RunAsync"/>. The default is <see cref="TimeProvider.System"/>.</param>
    /// <param name="loggerFactory">Where deliveries, parked and expiring batches are logged. The default logs nothing.</param>
    /// <exception cref="ArgumentException">Some settings are invalid; the message names each.</exception>
    public StagedBatchCopier(StagingOptions options, S3RoleDestination destination, AWSCredentials? credentials = null, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
        : this(new StagingStore(StagingSettings.From(options), credentials), destination, timeProvider, loggerFactory?.CreateLogger<StagedBatchCopier>())
    {
    }

    /// <summary>Creates a copier for the batches staged for <paramref name="destination"/> with identity tag <paramref name="tag"/> (<see cref="StagedFor.Tag"/>), or without one.</summary>
    internal StagedBatchCopier(StagingOptions options, S3RoleDestination destination, string? tag)
        : this(new StagingStore(StagingSettings.From(options), credentials: null), destination, timeProvider: null, logger: null, tag)
    {
    }

    internal StagedBatchCopier(StagingStore store, S3RoleDestination destination, TimeProvider? timeProvider, ILogger? logger, string? tag = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        _store = store;
        _settings = store.Settings;
        Destination = destination;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _tag = tag;
        _prefix = StagingKeys.DestinationPrefix(_settings.Location, destination.Location, tag);
        _legacyPrefix = StagingKeys.LegacyDestinationPrefix(_settings.Location, destination.Location);
        _stagingRetry = RetryPipelines.Build(destination.RetryPolicy with { AttemptTimeout = _settings.Client.RequestTimeout * 2 }, TransientErrors.IsTransient, _time);
        StagingTelemetry.Track(this);
    }

    /// <summary>Gets the destination the copier writes to.</summary>
    public S3RoleDestination Destination { get; }

    /// <summary>Gets the staging key prefix the copier lists: <c>{stage-prefix/}~{customer-bucket}/{prefix/}segment-logs/</c>.</summary>
    public string StagingPrefix => _prefix;

    /// <summary>
    /// Gets or sets what is called once for each staged batch this copier delivers, as it happens: once the customer's
    /// bucket holds the object and the staged copy is deleted. How a host counts or records deliveries, including those of
    /// a pass that is cancelled before it returns its <see cref="StagedCopyResult"/>.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: deliveries are not reported (the log still has them).</value>
    /// <remarks>
    /// <para>
    /// Called on the copying thread, by up to <see cref="StagingOptions.MaxConcurrentCopies"/> copies at once: it must be
    /// thread-safe, and quick, as the copy's slot waits for it. Set it before the first pass.
    /// </para>
    /// <para>
    /// An exception it throws is logged and otherwise ignored: the batch is already delivered and its staged copy
    /// deleted, so it is neither tried again nor counted as failed, and the pass goes on.
    /// </para>
    /// <para>
    /// One delivery is reported once by the copier that made it. Two copiers over the same prefix, or a staged copy that
    /// outlived its delete, can report one batch twice, as <see cref="StagedCopyResult.Delivered"/> would.
    /// </para>
    /// </remarks>
    public Action<DeliveredStagedBatch>? BatchDelivered { get; set; }

    /// <summary>
    /// Gets or sets what is called once for each staged batch a pass tried and could not deliver, as it happens: with
    /// the error, and whether the batch was parked (refused for a reason retrying cannot fix) or failed for a transient
    /// reason. The batch stays staged either way. How a host explains to its user why batches stay staged.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: failures are not reported (the log still has them).</value>
    /// <remarks>
    /// <para>
    /// Called on the copying thread, by up to <see cref="StagingOptions.MaxConcurrentCopies"/> copies at once: it must be
    /// thread-safe, and quick. Set it before the first pass. It may cancel the pass's token (to stop at the first
    /// failure, say): batches not yet delivered stay staged.
    /// </para>
    /// <para>
    /// An exception it throws is logged and otherwise ignored: the batch stays staged and is counted once, as parked or
    /// failed, and the pass goes on with the other batches.
    /// </para>
    /// <para>
    /// Not called for a staged object the copier does not send (a checksum mismatch, an unconfirmed or foreign object),
    /// nor for one deleted at the end of its retention (refused once more past it): those are in the log and the
    /// <see cref="StagedCopyResult"/> (<see cref="StagedCopyResult.Expired"/>).
    /// </para>
    /// </remarks>
    public Action<UndeliveredStagedBatch>? BatchNotDelivered { get; set; }

    /// <summary>
    /// Gets or sets which staged batches this copier takes, by staged key: a batch it declines is left to another copier
    /// over the same prefix, neither read, sent, parked nor expired by this one, and counted nowhere in its
    /// <see cref="StagedCopyResult"/>. Asked at the listing and again just before the batch is read back, so a batch whose
    /// owner changed during the pass is not started. How copiers of several hosts share one prefix, each batch copied by
    /// one of them (KafkaToS3's workers of one consumer group: a batch belongs to the worker holding the partition it was
    /// cut from).
    /// </summary>
    /// <value>The default value is <see langword="null"/>: every staged batch of the prefix is taken.</value>
    /// <remarks>Called on the copying threads: it must be thread-safe and quick, and must not throw. Set it before the first pass.</remarks>
    internal Func<string, bool>? Takes { get; set; }

    /// <summary>Gets the number of batches parked at the last pass.</summary>
    public int ParkedBatchCount => Volatile.Read(ref _parkedBatches);

    /// <summary>
    /// Makes one pass over the staging prefix: delivers every staged batch that is not parked (or every one, with
    /// <paramref name="retryParkedNow"/>, and every one past its retention), parks those the customer's bucket refuses, and
    /// deletes undelivered those past their retention that it refuses in this try.
    /// Each call for one batch, to the staging bucket (reading it back, its marker, deleting it) as to the customer's
    /// (<see cref="S3RoleDestination.UploadAsync"/>), retries transient errors for up to the destination's
    /// <see cref="S3RoleDestinationOptions.RetryTimeLimit"/> from its first attempt. Once a batch fails for a transient
    /// reason (an endpoint that never answers or throttles for that long), the pass starts no other: those wait for the next pass and count in
    /// <see cref="StagedCopyResult.FailedBatches"/>, so a broken customer with many staged batches costs a pass one failed
    /// attempt (at most <see cref="StagingOptions.MaxConcurrentCopies"/> at once), not one per batch. The next pass tries the
    /// batches that failed last, after the others.
    /// A staged object whose metadata does not confirm that it was staged for this destination's bucket and key, and any
    /// object under the layout of earlier versions, is never sent nor deleted: it is counted in
    /// <see cref="StagedCopyResult.UnconfirmedBatches"/>, logged once as an error, and left for a person.
    /// A listed key that does not parse as this destination's staged batch (or its marker) is left alone and counted
    /// nowhere: another destination's, whose path prefix starts with this one's key prefix (<c>b/nest/segment-logs/x</c>
    /// beside <c>b/nest</c>), without a word, as that destination's copier delivers it; anything else with a warning.
    /// A pass that delivers a batch while parked ones wait for their schedule has shown the customer's bucket takes batches
    /// again: the next pass tries the parked ones at once.
    /// </summary>
    /// <param name="retryParkedNow">Whether parked batches are tried now rather than on their schedule, as after a fix of the customer's setup.</param>
    /// <param name="cancellationToken">Cancels the pass; batches not yet delivered stay staged.</param>
    /// <returns>What the pass did.</returns>
    public async Task<StagedCopyResult> CopyOnceAsync(bool retryParkedNow = false, CancellationToken cancellationToken = default)
    {
        retryParkedNow |= Interlocked.Exchange(ref _retryParkedNextPass, 0) == 1;
        List<S3Object> listing = await _store.ListAsync(_prefix, cancellationToken).ConfigureAwait(false);
        var batches = new List<(string Key, StagedBatchIdentity Identity)>();
        var present = new HashSet<string>(StringComparer.Ordinal); // every batch listed, also those another copier takes: their markers are theirs
        var markers = new Dictionary<string, S3Object>(StringComparer.Ordinal);
        foreach (S3Object staged in listing)
        {
            bool isMarker = StagingKeys.IsMarker(staged.Key, out string markedKey);
            string batchKey = isMarker ? markedKey : staged.Key;
            if (!StagingKeys.TryParse(batchKey, _prefix, out StagedBatchIdentity identity))
            {
                // Another destination's (its path prefix starts with this one's key prefix): its copier's, not this one's.
                // Anything else is nobody's batch: said, and left for a person.
                if (!StagingKeys.IsAnotherDestinations(staged.Key, Destination.Location))
                {
                    LogEvents.NotABatch(_logger, staged.Key);
                }
            }
            else if (isMarker)
            {
                markers[batchKey] = staged;
            }
            else
            {
                present.Add(batchKey);
                if (Takes is not { } takes || takes(batchKey))
                {
                    batches.Add((batchKey, identity));
                }
            }
        }

        var pass = new StagedCopyTally();
        await ReportLegacyAsync(pass, cancellationToken).ConfigureAwait(false);
        foreach (string gone in _failedInPass.Keys.Where(k => !present.Contains(k)))
        {
            _failedInPass.TryRemove(gone, out _);
        }

        foreach (string gone in _parkedRetries.Keys.Where(k => !present.Contains(k)))
        {
            _parkedRetries.TryRemove(gone, out _);
        }

        await Parallel.ForEachAsync(
            batches.OrderBy(batch => _failedInPass.GetValueOrDefault(batch.Key)).ToList(), // never failed (0) first, in listing order; then the oldest failure
            new ParallelOptions { MaxDegreeOfParallelism = _settings.MaxConcurrentCopies, CancellationToken = cancellationToken },
            async (batch, token) => await CopyAsync(batch.Key, batch.Identity, markers.GetValueOrDefault(batch.Key), retryParkedNow, pass, token).ConfigureAwait(false)).ConfigureAwait(false);

        foreach ((string batchKey, S3Object marker) in markers.Where(m => !present.Contains(m.Key)))
        {
            // The batch was delivered (or expired) by another copier after this marker was written.
            _markers.TryRemove(batchKey, out _);
            await DeleteQuietlyAsync(marker.Key, cancellationToken).ConfigureAwait(false);
        }

        if (pass.DeferredBatches > 0)
        {
            LogEvents.PassStopped(_logger, pass.DeferredBatches, _store.BucketName, _prefix);
        }

        Volatile.Write(ref _lastPassDeferred, pass.DeferredBatches);
        StagedCopyResult result = pass.ToResult();
        Volatile.Write(ref _parkedBatches, result.ParkedBatches);
        Volatile.Write(ref _retryParkedNextPass, result.Delivered.Count > 0 && result.ParkedBatches > 0 ? 1 : 0);
        return result;
    }

    /// <summary>
    /// Runs passes, the first retrying parked batches at once, until a pass delivers nothing new and every batch left
    /// was tried: what is left then is parked or failing. A pass that stopped at a transient failure is followed by
    /// another while it failed a batch the run had not failed before, so each batch is tried at least once and one that
    /// always fails (listed first) does not keep the others from being delivered. For a one-off run, such as
    /// <c>rawdata deliver-staged</c>.
    /// </summary>
    /// <param name="cancellationToken">Cancels the run; batches not yet delivered stay staged.</param>
    /// <returns>Every object delivered, and what the last pass left behind.</returns>
    public async Task<StagedCopyResult> DrainAsync(CancellationToken cancellationToken = default)
    {
        var delivered = new Dictionary<string, UploadedObject>(StringComparer.Ordinal);
        var failed = new HashSet<string>(StringComparer.Ordinal);
        int expired = 0;
        var expiredBatches = new List<ExpiredStagedBatch>();
        for (bool first = true; ; first = false)
        {
            long failuresBefore = Interlocked.Read(ref _failures);
            StagedCopyResult pass = await CopyOnceAsync(retryParkedNow: first, cancellationToken).ConfigureAwait(false);
            bool failedAnotherBatch = false;
            foreach ((string key, long failure) in _failedInPass)
            {
                failedAnotherBatch |= failure > failuresBefore && failed.Add(key);
            }

            expired += pass.ExpiredBatches;
            expiredBatches.AddRange(pass.Expired);
            int before = delivered.Count;
            foreach (UploadedObject uploaded in pass.Delivered)
            {
                delivered.TryAdd(uploaded.Key, uploaded);
            }

            // A key delivered twice means its staged copy outlived the delivery (another copier's, or a delete that
            // S3 accepted but did not apply yet): stop rather than copy it forever.
            bool untried = Volatile.Read(ref _lastPassDeferred) > 0 && failedAnotherBatch;
            if (delivered.Count == before && !untried)
            {
                return pass with { Delivered = [.. delivered.Values.OrderBy(o => o.Key, StringComparer.Ordinal)], ExpiredBatches = expired, Expired = expiredBatches };
            }
        }
    }

    /// <summary>Makes a pass every <see cref="StagingOptions.PollInterval"/> until cancelled. A failed pass is logged and the next one goes on.</summary>
    /// <param name="cancellationToken">Stops the copier.</param>
    /// <returns>A task that completes when the copier has stopped.</returns>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_settings.PollInterval, _time);
        try
        {
            do
            {
                try
                {
                    await CopyOnceAsync(retryParkedNow: false, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
                {
                    LogEvents.PassFailed(_logger, exception, _store.BucketName, _prefix);
                }
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped.
        }
    }

    /// <summary>Releases the staging bucket's client and leaves <c>rawdata.staging.parked</c>. The destination is the caller's.</summary>
    public void Dispose()
    {
        StagingTelemetry.Untrack(this);
        _store.Dispose();
    }

    /// <summary>
    /// Lists where earlier versions staged this destination's batches (<see cref="StagingKeys.LegacyDestinationPrefix"/>)
    /// and reports each batch of this destination there (a key that parses as one; another destination's, whose path prefix
    /// starts with this one's key prefix, is its copier's to report) as unconfirmed: that layout cannot tell setups sharing
    /// a staging bucket apart, so nothing there is sent or deleted.
    /// </summary>
    private async Task ReportLegacyAsync(StagedCopyTally pass, CancellationToken cancellationToken)
    {
        foreach (S3Object legacy in await _store.ListAsync(_legacyPrefix, cancellationToken).ConfigureAwait(false))
        {
            if (StagingKeys.TryParse(legacy.Key, _legacyPrefix, out _))
            {
                Unconfirmed(legacy.Key, $"it is under '{_legacyPrefix}', the layout of earlier versions, which another setup sharing the staging bucket could also have written; if it is this destination's batch, deliver it with the earlier version's copier or copy it by hand", pass);
            }
        }
    }

    /// <summary>Counts an object this copier must not send, and logs it the first time this copier meets it.</summary>
    private void Unconfirmed(string key, string why, StagedCopyTally pass)
    {
        pass.Unconfirmed();
        if (_reportedUnconfirmed.TryAdd(key, true))
        {
            StagingTelemetry.Unconfirmed.Add(1);
            LogEvents.Unconfirmed(_logger, key, why, _store.BucketName);
        }
    }
}
