using Amazon.Runtime;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RawDataDestination.Batching;
using RawDataDestination.Internal;
using RawDataDestination.S3;

namespace RawDataDestination.Staging;

/// <summary>
/// Writes each sealed batch once to the operator's staging bucket, with the service's own AWS credentials (never the
/// customer's role), keyed one-to-one to the key it will have in the customer's bucket. Given to a
/// <see cref="BatchBuffer"/> as its consumer, a batch counts as delivered, and is released, once it is staged:
/// a <see cref="StagedBatchCopier"/> on any host then moves it to the customer's bucket.
/// </summary>
/// <remarks>
/// <para>
/// The staged object is <c>{stage-prefix/}~{customer-bucket}/{customer key}</c> (unambiguous: see the README's
/// "Staging"), holds the batch's gzip bytes unchanged, and carries its SHA-256 (<c>x-amz-checksum-sha256</c>, which S3
/// checks on arrival, and <c>x-amz-meta-rawdata-sha256</c>, which the copier checks on reading), its event count, NDJSON
/// size, open time, seal cause and staging time, and the customer's bucket and key it is staged for
/// (<c>x-amz-meta-rawdata-destination-bucket</c>, <c>-destination-key</c>), which the copier checks before it sends anything.
/// </para>
/// <para>The staging credentials need <c>s3:PutObject</c> on the stage prefix; the customer's role is never used here.</para>
/// </remarks>
public sealed class StagingConsumer : ISealedBatchConsumer, IDisposable
{
    private readonly StagingStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly StagedFor? _stagedFor;

    /// <summary>Creates a consumer that stages batches bound for <paramref name="destination"/>.</summary>
    /// <param name="options">The staging settings. Validated and copied now.</param>
    /// <param name="destination">The customer's bucket and prefix, as in <see cref="S3RoleDestinationOptions.Bucket"/>: it names the staged keys.</param>
    /// <param name="credentials">The service's own credentials for the staging bucket. The default is the AWS SDK's default credential chain.</param>
    /// <param name="timeProvider">The clock for the staging time. The default is <see cref="TimeProvider.System"/>.</param>
    /// <param name="loggerFactory">Where staged batches are logged. The default logs nothing.</param>
    /// <exception cref="ArgumentException">Some settings are invalid; the message names each.</exception>
    public StagingConsumer(StagingOptions options, BucketLocation destination, AWSCredentials? credentials = null, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
        : this(new StagingStore(StagingSettings.From(options), credentials), destination, timeProvider, loggerFactory?.CreateLogger<StagingConsumer>())
    {
    }

    /// <summary>Creates a consumer that stages batches bound for <paramref name="destination"/>, under the staging prefix of <paramref name="stagedFor"/>.</summary>
    internal StagingConsumer(StagingOptions options, BucketLocation destination, StagedFor? stagedFor)
        : this(new StagingStore(StagingSettings.From(options), credentials: null), destination, timeProvider: null, logger: null, stagedFor)
    {
    }

    internal StagingConsumer(StagingStore store, BucketLocation destination, TimeProvider? timeProvider, ILogger? logger, StagedFor? stagedFor = null)
    {
        if (stagedFor is not null && StagingKeys.TagError(stagedFor.Tag) is { } badTag)
        {
            store.Dispose();
            throw new ArgumentException(badTag, nameof(stagedFor));
        }

        if (destination.BucketName.Length == 0)
        {
            store.Dispose();
            throw new ArgumentException("The destination bucket is not set; parse it with BucketLocation.Parse.", nameof(destination));
        }

        if (StagingKeys.KeyLengthError(store.Settings.Location, destination, stagedFor?.Tag) is { } tooLong)
        {
            store.Dispose();
            throw new ArgumentException(tooLong, nameof(destination));
        }

        _store = store;
        _stagedFor = stagedFor;
        Destination = destination;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Gets the customer's bucket and prefix the staged batches are bound for.</summary>
    public BucketLocation Destination { get; }

    /// <summary>Gets the staging key of a batch: <c>{stage-prefix/}~{customer-bucket}/{customer key}</c>.</summary>
    /// <param name="batch">A sealed batch.</param>
    /// <returns>The staging key.</returns>
    public string GetStagedKey(SealedBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return StagingKeys.Staged(_store.Settings.Location, Destination, ObjectKeyLayout.Build(Destination, batch.SourceId, batch.ReceivedDay, batch.FileName), _stagedFor?.Tag);
    }

    /// <summary>Writes a sealed batch to the staging bucket with one PutObject (the AWS SDK retries transient errors).</summary>
    /// <param name="batch">The batch.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>What was written to the staging bucket.</returns>
    public async Task<UploadedObject> StageAsync(SealedBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        string customerKey = ObjectKeyLayout.Build(Destination, batch.SourceId, batch.ReceivedDay, batch.FileName);
        string key = StagingKeys.Staged(_store.Settings.Location, Destination, customerKey, _stagedFor?.Tag);
        await _store.PutBatchAsync(key, batch, _time.GetUtcNow(), Destination.BucketName, customerKey, _stagedFor, cancellationToken).ConfigureAwait(false);
        StagingTelemetry.Staged.Add(1);
        LogEvents.Staged(_logger, key, batch.EventCount, batch.CompressedBytes);
        return new UploadedObject(_store.BucketName, key, batch.EventCount, batch.UncompressedBytes, batch.CompressedBytes);
    }

    /// <summary>
    /// Stages a batch for a <see cref="BatchBuffer"/>. A write the staging bucket refuses for a reason retrying cannot fix
    /// (AccessDenied to the service's credentials, NoSuchBucket, a wrong region: whatever the retry rule does not call
    /// transient) is thrown as the library's explanation, a permanent <see cref="DestinationException"/>, so the buffer
    /// treats it as the refusal it is rather than retrying it for its whole retry budget; any other failure is thrown
    /// as it is, and retried.
    /// </summary>
    async Task<BatchReceipt> ISealedBatchConsumer.ConsumeAsync(SealedBatch batch, CancellationToken cancellationToken)
    {
        try
        {
            return BatchReceipt.For(batch, (await StageAsync(batch, cancellationToken).ConfigureAwait(false)).Location);
        }
        catch (Exception exception) when (exception is not DestinationException && ErrorExplanations.ForS3(exception, _store.Target, cancellationToken) is { IsPermanent: true } refused)
        {
            throw refused;
        }
    }

    /// <summary>Releases the staging bucket's client.</summary>
    public void Dispose() => _store.Dispose();
}
