using System.Diagnostics;
using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SecurityToken;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RawDataDestination.Aws;
using RawDataDestination.Batching;
using RawDataDestination.Internal;
using RawDataDestination.Sts;

namespace RawDataDestination.S3;

/// <summary>
/// Writes sealed batches to a customer's S3 bucket as the customer's IAM role: STS AssumeRole with an external id,
/// then one PutObject per batch at <c>{prefix/}segment-logs/{source-id}/{received-day}/{file}.gz</c>.
/// </summary>
/// <remarks>
/// <para>
/// PutObject is the only S3 call it makes, so the role needs nothing but <c>s3:PutObject</c> and
/// <c>s3:PutObjectAcl</c> on <c>arn:aws:s3:::{bucket}/{prefix/}segment-logs/*</c> (plus <c>kms:GenerateDataKey</c>
/// for SSE-KMS). It never lists, reads, heads the bucket, or uses multipart uploads.
/// </para>
/// <para>
/// Objects are sent with <c>Content-Type: application/gzip</c> and no <c>Content-Encoding</c>: the object is a
/// <c>.gz</c> file, and clients that honour <c>Content-Encoding: gzip</c> would silently decompress it on download.
/// </para>
/// <para>
/// Every PUT carries <c>x-amz-checksum-sha256</c>, the SHA-256 of the batch's bytes computed once when it was sealed, so
/// S3 refuses a body changed on the way (BadDigest) and the next attempt sends the sealed bytes again; and the batch's
/// event count and NDJSON size as <c>x-amz-meta-event-count</c> and <c>x-amz-meta-ndjson-bytes</c>.
/// </para>
/// <para>Destinations with the same role, external id, session settings and base credentials share one credential cache.</para>
/// </remarks>
public sealed partial class S3RoleDestination : ISealedBatchConsumer, IDisposable
{
    /// <summary>The content type of every object.</summary>
    public const string ContentType = "application/gzip";

    /// <summary>The user metadata (<c>x-amz-meta-event-count</c>) that holds an object's number of events (lines).</summary>
    public const string EventCountMetadata = "x-amz-meta-event-count";

    /// <summary>The user metadata (<c>x-amz-meta-ndjson-bytes</c>) that holds an object's NDJSON size before compression, in bytes.</summary>
    public const string NdjsonBytesMetadata = "x-amz-meta-ndjson-bytes";

    private readonly S3RoleDestinationSettings _settings;
    private readonly IAmazonS3 _s3;
    private readonly bool _ownsClient;
    private readonly AwsClientSettings _client;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Polly.ResiliencePipeline _retry;
    private int _conditionalWritesRefused;
    private int _aclRefused;

    /// <summary>Creates a destination from validated settings.</summary>
    /// <param name="options">The settings. Validated and copied now.</param>
    /// <param name="baseCredentials">The host's own credentials for calling STS. The default is the AWS SDK's default credential chain.</param>
    /// <param name="timeProvider">The clock for credential refresh. The default is <see cref="TimeProvider.System"/>.</param>
    /// <param name="loggerFactory">Where upload problems are logged. The default logs nothing.</param>
    /// <exception cref="ArgumentException">Some settings are invalid; the message names each setting, the value given and what a valid one looks like.</exception>
    public S3RoleDestination(
        S3RoleDestinationOptions options,
        AWSCredentials? baseCredentials = null,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null)
        : this(S3RoleDestinationSettings.From(options), baseCredentials, timeProvider ?? TimeProvider.System, loggerFactory)
    {
    }

    /// <summary>Creates a destination over given clients, for tests of failure paths.</summary>
    internal S3RoleDestination(S3RoleDestinationOptions options, IAmazonS3 s3, AssumeRoleCredentials credentials, ILogger? logger = null, TimeProvider? timeProvider = null)
        : this(S3RoleDestinationSettings.From(options), s3, ownsClient: false, credentials, logger, timeProvider ?? TimeProvider.System)
    {
    }

    /// <summary>Shares the settings' cached credentials (one per role, external id and base credentials, leased) and owns its S3 client.</summary>
    internal S3RoleDestination(S3RoleDestinationSettings settings, AWSCredentials? baseCredentials, TimeProvider clock, ILoggerFactory? loggerFactory)
        : this(settings, SharedCredentials(settings, baseCredentials, clock), clock, loggerFactory)
    {
    }

    private S3RoleDestination(S3RoleDestinationSettings settings, SharedCredentialsCache.Lease credentials, TimeProvider clock, ILoggerFactory? loggerFactory)
        : this(settings, new AmazonS3Client(credentials.Credentials, S3Client(settings).ForS3(clock)), ownsClient: true, credentials.Credentials, loggerFactory?.CreateLogger<S3RoleDestination>(), clock)
    {
        _credentialsLease = credentials;
    }

    /// <summary>The one place a destination's state is set.</summary>
    private S3RoleDestination(S3RoleDestinationSettings settings, IAmazonS3 s3, bool ownsClient, AssumeRoleCredentials credentials, ILogger? logger, TimeProvider clock)
    {
        _settings = settings;
        _s3 = s3;
        _ownsClient = ownsClient;
        Credentials = credentials;
        _time = clock;
        _client = S3Client(settings);
        _logger = logger ?? NullLogger.Instance;
        _retry = BuildRetry(settings, clock);
    }

    private static SharedCredentialsCache.Lease SharedCredentials(S3RoleDestinationSettings settings, AWSCredentials? baseCredentials, TimeProvider clock) =>
        SharedCredentialsCache.Acquire(
            new SharedCredentialsCache.Key(settings.RoleArn, settings.ExternalId, settings.RoleSessionName, settings.SessionDuration, settings.StsRegion, settings.StsServiceUrl, baseCredentials),
            () => AssumeRoleCredentials.Create(
                CreateStsClient(settings, baseCredentials, clock),
                settings.RoleArn,
                settings.ExternalId,
                settings.RoleSessionName,
                settings.SessionDuration,
                settings.CredentialRefreshWindow,
                clock,
                settings.RequestTimeout));

    /// <summary>UploadAsync's retries: transient errors only, until RetryTimeLimit, each attempt (a PutObject and at most one resend inside it) bounded by twice RequestTimeout.</summary>
    private static Polly.ResiliencePipeline BuildRetry(S3RoleDestinationSettings settings, TimeProvider time) => RetryPipelines.Build(
        new DeliveryRetryPolicy(settings.RetryBaseDelay, settings.RetryMaxDelay, settings.RequestTimeout * 2, settings.RetryTimeLimit, CircuitBreaker: false),
        TransientErrors.IsTransient,
        time);

    /// <summary>Gets the bucket and prefix objects are written to.</summary>
    public BucketLocation Location => _settings.Location;

    /// <summary>Gets the assumed-role credentials, shared with other destinations of the same role.</summary>
    internal AssumeRoleCredentials Credentials { get; }

    /// <summary>
    /// Assumes the role now and caches the credentials, so the first upload need not wait for STS: a short-lived
    /// program (such as <c>rawdata ship</c>) can start this while it reads its input. Nothing is sent to the bucket.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting for STS.</param>
    /// <returns>A task that completes when credentials are cached.</returns>
    /// <exception cref="DestinationException">STS refused the role; the message says what to change. The first upload assumes the role again.</exception>
    public async Task WarmUpAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await Credentials.GetCredentialsAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (AssumeRoleException refused)
        {
            throw DestinationException.From(refused);
        }
    }

    /// <summary>Gets the key a batch is written to: <c>{prefix/}segment-logs/{source-id}/{received-day}/{file}.gz</c>.</summary>
    /// <param name="batch">A sealed batch.</param>
    /// <returns>The object key.</returns>
    public string GetObjectKey(SealedBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return ObjectKeyLayout.Build(_settings.Location, batch.SourceId, batch.ReceivedDay, batch.FileName);
    }

    /// <summary>
    /// Uploads a sealed batch with one PutObject, retrying transient errors with exponential backoff and full jitter
    /// until <see cref="S3RoleDestinationOptions.RetryTimeLimit"/> has passed since the first attempt started (the
    /// attempts' own time counts). Every attempt writes the same key and bytes. Retries run through the same retry
    /// pipeline as <see cref="BatchBuffer"/>'s deliveries.
    /// </summary>
    /// <param name="batch">The batch.</param>
    /// <param name="cancellationToken">Cancels the upload and its retries.</param>
    /// <returns>What was written.</returns>
    /// <exception cref="DestinationException">S3 or STS refused the upload for a reason retrying cannot fix; the message says what to change.</exception>
    public Task<UploadedObject> UploadAsync(SealedBatch batch, CancellationToken cancellationToken = default) =>
        UploadCoreAsync(batch, withRetries: true, cancellationToken);

    /// <summary>
    /// One delivery attempt for a <see cref="BatchBuffer"/>, which owns the retries: a single PutObject, with only the
    /// fallbacks that belong inside one attempt (an object already present, a store without conditional writes, a
    /// bucket without ACLs, and S3 declaring the session token expired: the credentials are assumed again and the
    /// same key and bytes sent once more).
    /// </summary>
    /// <inheritdoc />
    async Task<BatchReceipt> ISealedBatchConsumer.ConsumeAsync(SealedBatch batch, CancellationToken cancellationToken) =>
        BatchReceipt.For(batch, (await UploadCoreAsync(batch, withRetries: false, cancellationToken).ConfigureAwait(false)).Location);

    private async Task<UploadedObject> UploadCoreAsync(SealedBatch batch, bool withRetries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        string key = GetObjectKey(batch);
        long started = _time.GetTimestamp();
        string outcome = "failed";
        using Activity? activity = Telemetry.ActivitySource.StartActivity("rawdata.upload", ActivityKind.Client);
        activity?.SetTag("aws.s3.bucket", _settings.Location.BucketName);
        activity?.SetTag("aws.s3.key", key);
        activity?.SetTag("rawdata.events", batch.EventCount);
        try
        {
            var attempts = new AttemptLog(this, key);
            PutOutcome put = withRetries
                ? await RetryPipelines.ExecuteAsync(_retry, static (s, ct) => s.Destination.PutOnceAsync(s.Batch, s.Key, s.Attempts, ct), (Destination: this, Batch: batch, Key: key, Attempts: attempts), attempts, _time, cancellationToken).ConfigureAwait(false)
                : await PutOnceAsync(batch, key, attempts, cancellationToken).ConfigureAwait(false);
            outcome = put == PutOutcome.AlreadyPresent ? "already-present" : "uploaded";
            Log.Uploaded(_logger, key, batch.EventCount, batch.CompressedBytes, attempts.Count);
            Telemetry.ObjectsUploaded.Add(1);
            Telemetry.BytesOut.Add(batch.CompressedBytes);
            return new UploadedObject(_settings.Location.BucketName, key, batch.EventCount, batch.UncompressedBytes, batch.CompressedBytes);
        }
        catch (Exception exception)
        {
            outcome = cancellationToken.IsCancellationRequested ? "cancelled" : "failed";
            activity?.SetStatus(ActivityStatusCode.Error, exception is DestinationException refused ? refused.ErrorCode : exception.Message);
            if (withRetries && exception is not DestinationException && !cancellationToken.IsCancellationRequested)
            {
                Log.GaveUp(_logger, exception, key, _settings.RetryTimeLimit);
            }

            throw;
        }
        finally
        {
            Telemetry.UploadDuration.Record(_time.GetElapsedTime(started).TotalSeconds, Telemetry.Tag("outcome", outcome));
        }
    }

    /// <summary>
    /// One attempt: a PutObject, plus the fallbacks that belong inside it, each at most once: 412 to a conditional write
    /// (the object is there: done), 501 to it (send plain PUTs from now on), ACLs refused (send none from now on), and
    /// S3 refusing the session token (assume the role again, once per rejected session, and send the same request).
    /// </summary>
    private async Task<PutOutcome> PutOnceAsync(SealedBatch batch, string key, AttemptLog attempts, CancellationToken cancellationToken)
    {
        bool refreshed = false;
        while (true)
        {
            bool conditional = _settings.ConditionalWrites && Volatile.Read(ref _conditionalWritesRefused) == 0;
            bool withAcl = SendsAcl;
            int attempt = attempts.Next();
            string? signedWith = null;
            Telemetry.UploadAttempts.Add(1);
            try
            {
                signedWith = Credentials.IssuedAccessKey; // what the SDK signs with, unless it assumes the role during the call

                // WaitAsync: the SDK asks for credentials without the token, so a silent STS would otherwise hold the
                // attempt (and its upload slot) past a cancellation or a shutdown. The call left behind is bounded by the
                // AssumeRole timeout and sends nothing once its token is cancelled.
                await _s3.PutObjectAsync(CreatePutRequest(batch, key, conditional, withAcl), cancellationToken).WaitAsync(cancellationToken).ConfigureAwait(false);
                return PutOutcome.Uploaded;
            }
            catch (AmazonS3Exception exception) when (conditional && exception.StatusCode == HttpStatusCode.PreconditionFailed)
            {
                // If-None-Match: * refused because the key exists: an earlier attempt, or an earlier run, already landed it.
                CountFallback("already-present");
                Log.AlreadyPresent(_logger, key, attempt);
                return PutOutcome.AlreadyPresent;
            }
            catch (AmazonS3Exception exception) when (conditional && (exception.StatusCode == HttpStatusCode.NotImplemented || exception.ErrorCode == "NotImplemented"))
            {
                // The store has no conditional writes: plain PUTs from now on. Concurrent uploads may all be refused
                // once; only the first to record it warns.
                CountFallback("no-conditional-writes");
                if (Interlocked.Exchange(ref _conditionalWritesRefused, 1) == 0)
                {
                    Log.ConditionalWritesUnsupported(_logger, _settings.Location.BucketName);
                }
            }
            catch (AmazonS3Exception exception) when (withAcl && exception.ErrorCode == "AccessControlListNotSupported")
            {
                // The bucket enforces object ownership: ACLs are refused, and the owner owns every object anyway.
                // Concurrent uploads may all be refused once; only the first to record it warns.
                CountFallback("acl-not-supported");
                if (Interlocked.Exchange(ref _aclRefused, 1) == 0)
                {
                    Log.AclNotSupported(_logger, _settings.Location.BucketName, _settings.Acl);
                }
            }
            catch (AmazonS3Exception exception) when (!refreshed && AwsErrorCodes.IsSessionTokenRefused(exception.ErrorCode))
            {
                // The session ended earlier than the cache expected (clock skew, a revoked session): assume the role
                // again and send the same key and bytes. A second refusal is left to the retry owner.
                refreshed = true;
                CountFallback("token-refresh");
                bool cleared = Credentials.InvalidateIfCurrent(signedWith);
                Log.TokenRejected(_logger, key, exception.ErrorCode, cleared);
            }
            catch (AmazonS3Exception exception) when (!AwsErrorCodes.IsSessionTokenRefused(exception.ErrorCode)
                && ErrorExplanations.ForPutObject(exception, _settings.Location, _settings.Region) is { } explained)
            {
                CountFailure(explained);
                Log.UploadRefused(_logger, explained.ErrorCode, key, explained.Message);
                throw explained;
            }
            catch (AssumeRoleException refused)
            {
                // The SDK assumed the role for this call, and STS refused: the destination's refusal, in STS's explanation.
                DestinationException passed = DestinationException.From(refused);
                CountFailure(passed);
                throw passed;
            }
            catch (Exception exception)
            {
                CountFailure(exception);
                throw;
            }
        }
    }

    /// <summary>Gets a value indicating whether PutObject sends a canned ACL: one is configured and the bucket has not refused ACLs.</summary>
    private bool SendsAcl => _settings.Acl != ObjectAcl.None && Volatile.Read(ref _aclRefused) == 0;

    /// <summary>Records a failed attempt with its error code.</summary>
    private static void CountFailure(Exception exception)
    {
        string code = exception switch
        {
            AmazonServiceException { ErrorCode: { Length: > 0 } awsCode } => awsCode,
            DestinationException destination => destination.ErrorCode,
            AmazonServiceException service => ((int)service.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => exception.GetType().Name,
        };
        Telemetry.UploadFailures.Add(1, Telemetry.Tag("error.code", code));
    }

    /// <summary>Records a fallback inside an attempt: not a failure.</summary>
    private static void CountFallback(string kind) => Telemetry.UploadFallbacks.Add(1, Telemetry.Tag("fallback", kind));

    /// <summary>What one successful attempt found.</summary>
    private enum PutOutcome
    {
        Uploaded,
        AlreadyPresent,
    }

    /// <summary>Numbers the PutObject calls of one upload and logs its retries.</summary>
    private sealed class AttemptLog(S3RoleDestination destination, string key) : IRetryObserver
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public int Next() => Interlocked.Increment(ref _count);

        public void OnRetry(int failedAttempt, Exception error, TimeSpan delay) =>
            Log.Retrying(destination._logger, key, Count, error.GetType().Name, error.Message, delay);
    }

    /// <summary>
    /// Releases the S3 client and this destination's hold on the shared credentials: they stay cached while another
    /// destination uses them, and are evicted (their STS client disposed) with the last. Calling it again does nothing.
    /// </summary>
    public void Dispose()
    {
        if (_ownsClient && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _s3.Dispose();
            _credentialsLease?.Dispose();
        }
    }

    private readonly SharedCredentialsCache.Lease? _credentialsLease;

    private int _disposed;

    private PutObjectRequest CreatePutRequest(SealedBatch batch, string key, bool conditional, bool withAcl)
    {
        var request = new PutObjectRequest
        {
            BucketName = _settings.Location.BucketName,
            Key = key,
            InputStream = batch.OpenRead(),
            AutoCloseStream = true,
            AutoResetStreamPosition = true,
            ContentType = ContentType,

            // Computed once at seal: S3 refuses the PUT (BadDigest) if the body it received hashes differently, and the
            // SDK sends a checksum given here as a header instead of hashing the body again on every attempt.
            ChecksumAlgorithm = ChecksumAlgorithm.SHA256,
            ChecksumSHA256 = batch.ChecksumSha256,
        };
        request.Metadata[EventCountMetadata] = batch.EventCount.ToString(System.Globalization.CultureInfo.InvariantCulture);
        request.Metadata[NdjsonBytesMetadata] = batch.UncompressedBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);

        if (conditional)
        {
            request.IfNoneMatch = "*";
        }

        ApplyAclAndEncryption(request, withAcl);
        return _client.ForEndpoint(request);
    }

    /// <summary>Sets the configured canned ACL (unless <paramref name="withAcl"/> is false) and server-side encryption.</summary>
    private void ApplyAclAndEncryption(PutObjectRequest request, bool withAcl)
    {
        request.CannedACL = !withAcl ? null : _settings.Acl switch
        {
            ObjectAcl.BucketOwnerFullControl => S3CannedACL.BucketOwnerFullControl,
            ObjectAcl.BucketOwnerRead => S3CannedACL.BucketOwnerRead,
            ObjectAcl.Private => S3CannedACL.Private,
            _ => null,
        };

        switch (_settings.Encryption)
        {
            case ObjectEncryption.Aes256:
                request.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AES256;
                break;
            case ObjectEncryption.Kms:
                request.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS;
                request.ServerSideEncryptionKeyManagementServiceKeyId = _settings.KmsKeyId;
                break;
        }
    }

    /// <summary>How the customer's bucket is called: its region or endpoint URL, with the destination's timeouts.</summary>
    private static AwsClientSettings S3Client(S3RoleDestinationSettings settings) =>
        new(settings.Region, settings.ServiceUrl, settings.RequestTimeout, settings.ConnectTimeout, settings.ResponseTimeout);

    /// <summary>
    /// The STS client of the shared credentials: STS's region or endpoint URL, with the destination's timeouts and one
    /// attempt per call (a failed AssumeRole fails the upload attempt, and the retry owner tries again).
    /// </summary>
    private static AmazonSecurityTokenServiceClient CreateStsClient(S3RoleDestinationSettings settings, AWSCredentials? baseCredentials, TimeProvider clock)
    {
        AmazonSecurityTokenServiceConfig config = new AwsClientSettings(settings.StsRegion, settings.StsServiceUrl, settings.RequestTimeout, settings.ConnectTimeout, settings.ResponseTimeout).ForSts(clock);
        return baseCredentials is null
            ? new AmazonSecurityTokenServiceClient(config)
            : new AmazonSecurityTokenServiceClient(baseCredentials, config);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Uploaded {Key}: {EventCount} events, {CompressedBytes} bytes, attempt {Attempt}.")]
        public static partial void Uploaded(ILogger logger, string key, long eventCount, long compressedBytes, int attempt);

        [LoggerMessage(3, LogLevel.Information, "{Key} is already in the bucket (412 to If-None-Match on attempt {Attempt}): an earlier attempt landed it; counted as delivered.")]
        public static partial void AlreadyPresent(ILogger logger, string key, int attempt);

        [LoggerMessage(4, LogLevel.Warning, "The store behind bucket {Bucket} does not implement conditional writes (If-None-Match); sending plain PUTs from now on.")]
        public static partial void ConditionalWritesUnsupported(ILogger logger, string bucket);

        [LoggerMessage(5, LogLevel.Warning, "Upload of {Key} failed on attempt {Attempt} ({ErrorType}: {Error}); retrying in {Delay}.")]
        public static partial void Retrying(ILogger logger, string key, int attempt, string errorType, string error, TimeSpan delay);

        [LoggerMessage(6, LogLevel.Error, "Upload of {Key} failed; retries stopped (the retry time limit is {Limit}).")]
        public static partial void GaveUp(ILogger logger, Exception exception, string key, TimeSpan limit);

        [LoggerMessage(8, LogLevel.Warning, "S3 refused the session token for {Key} ({ErrorCode}); assuming the role again (cleared the cached credentials: {Cleared}) and resending the same object.")]
        public static partial void TokenRejected(ILogger logger, string key, string errorCode, bool cleared);

        [LoggerMessage(7, LogLevel.Warning, "Bucket {Bucket} has ACLs disabled (AccessControlListNotSupported): sending objects without the {Acl} ACL from now on. Set Acl to None to stop this warning; the bucket owner owns every object anyway.")]
        public static partial void AclNotSupported(ILogger logger, string bucket, ObjectAcl acl);

        [LoggerMessage(2, LogLevel.Error, "Upload of {Key} was refused ({ErrorCode}): {Explanation}")]
        public static partial void UploadRefused(ILogger logger, string errorCode, string key, string explanation);
    }
}
