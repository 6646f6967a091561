using System.Diagnostics;
using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;
using RawDataDestination.Aws;
using RawDataDestination.Batching;
using RawDataDestination.Internal;
using RawDataDestination.Sts;

namespace RawDataDestination.S3;

/// <summary>Uploads: one PutObject per batch, the fallbacks inside an attempt, the retries around attempts, and what they log.</summary>
public sealed partial class S3RoleDestination
{
    /// <summary>Gets the key a batch is written to: <c>{prefix/}segment-logs/{source-id}/{received-day}/{file}.gz</c>.</summary>
    /// <param name="batch">A sealed batch.</param>
    /// <returns>The object key.</returns>
    public string GetObjectKey(SealedBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return ObjectKeyLayout.Build(_settings.Location, batch.SourceId, batch.ReceivedDay, batch.FileName);
    }

    /// <summary>The customer's bucket as error explanations name it, and whether the role was assumed yet (an upload with no answer before that was waiting for STS).</summary>
    private S3Target UploadTarget => new(Staging: false, _settings.Location, _settings.Client.Region, _settings.Client.ServiceUrl)
    {
        RoleAssumed = () => Credentials.IssuedAccessKey is not null,
        ExpectedBucketOwner = _settings.ExpectedBucketOwner,
    };

    /// <summary>
    /// Uploads a sealed batch with one PutObject, retrying transient errors with exponential backoff and full jitter
    /// until <see cref="S3RoleDestinationOptions.RetryTimeLimit"/> has passed since the first attempt started (the
    /// attempts' own time counts). Every attempt writes the same key and bytes. Retries run through the same retry
    /// pipeline as <see cref="BatchBuffer"/>'s deliveries.
    /// </summary>
    /// <param name="batch">The batch.</param>
    /// <param name="cancellationToken">Cancels the upload and its retries.</param>
    /// <returns>What was written.</returns>
    /// <exception cref="DestinationException">
    /// S3 or STS refused the upload for a reason retrying cannot fix (<see cref="DestinationException.IsPermanent"/>; the
    /// message says what to change), or the last attempt's error when the retry time limit ran out, explained the same way.
    /// </exception>
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
            LogEvents.Uploaded(_logger, key, batch.EventCount, batch.CompressedBytes, attempts.Count);
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
                LogEvents.GaveUp(_logger, exception, key, _settings.RetryTimeLimit);
            }

            // Callers get every failure explained, by the one mapping of S3's, STS's and the network's errors, with the
            // error inside; a cancellation they asked for stays what it is.
            if (exception is not DestinationException && ErrorExplanations.ForS3(exception, UploadTarget, cancellationToken) is { } explained)
            {
                throw explained;
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
                PutWatch.Current = batch.Puts; // told, below the SDK, whether a request went out in full and got no answer

                // WaitAsync: the SDK asks for credentials without the token, so a silent STS would otherwise hold the
                // attempt (and its upload slot) past a cancellation or a shutdown. The call left behind is bounded by the
                // AssumeRole timeout and sends nothing once its token is cancelled.
                PutObjectResponse answer = await _s3.PutObjectAsync(CreatePutRequest(batch, key, conditional, withAcl), cancellationToken).WaitAsync(cancellationToken).ConfigureAwait(false);
                ErrorExplanations.ThrowIfNotS3(answer, UploadTarget);
                return PutOutcome.Uploaded;
            }
            catch (AmazonS3Exception exception) when (conditional && exception.StatusCode == HttpStatusCode.PreconditionFailed)
            {
                // If-None-Match: * refused because the key exists: an earlier attempt, or an earlier run, already landed it.
                CountFallback("already-present");
                LogEvents.AlreadyPresent(_logger, key, attempt);
                return PutOutcome.AlreadyPresent;
            }
            catch (AmazonS3Exception exception) when (conditional && (exception.StatusCode == HttpStatusCode.NotImplemented || exception.ErrorCode == "NotImplemented"))
            {
                // The store has no conditional writes: plain PUTs from now on. Concurrent uploads may all be refused
                // once; only the first to record it warns.
                CountFallback("no-conditional-writes");
                if (Interlocked.Exchange(ref _conditionalWritesRefused, 1) == 0)
                {
                    LogEvents.ConditionalWritesUnsupported(_logger, _settings.Location.BucketName);
                }
            }
            catch (AmazonS3Exception exception) when (withAcl && exception.ErrorCode == "AccessControlListNotSupported")
            {
                // The bucket enforces object ownership: ACLs are refused, and the owner owns every object anyway.
                // Concurrent uploads may all be refused once; only the first to record it warns.
                CountFallback("acl-not-supported");
                if (Interlocked.Exchange(ref _aclRefused, 1) == 0)
                {
                    LogEvents.AclNotSupported(_logger, _settings.Location.BucketName, CannedAcl!.Value, _settings.Words.Assign("Acl", "ObjectAcl.None"));
                }
            }
            catch (AmazonS3Exception exception) when (!refreshed && AwsErrorCodes.IsSessionTokenRefused(exception.ErrorCode))
            {
                // The session ended earlier than the cache expected (clock skew, a revoked session): assume the role
                // again and send the same key and bytes. A second refusal is left to the retry owner.
                refreshed = true;
                CountFallback("token-refresh");
                bool cleared = Credentials.InvalidateIfCurrent(signedWith);
                LogEvents.TokenRejected(_logger, key, exception.ErrorCode, cleared);
            }
            catch (AmazonS3Exception exception) when (!AwsErrorCodes.IsSessionTokenRefused(exception.ErrorCode)
                && ErrorExplanations.ForPutObject(exception, _settings.Location, _settings.Client.Region, _settings.ExpectedBucketOwner) is { } explained)
            {
                CountFailure(explained);
                LogEvents.UploadRefused(_logger, explained.ErrorCode, key, explained.Message);
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
            LogEvents.Retrying(destination._logger, key, Count, error.GetType().Name, error.Message, delay);
    }

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

        ApplyWriteSettings(request, withAcl);
        return _settings.Client.ForEndpoint(request);
    }

    /// <summary>The configured canned ACL as S3 names it, or <see langword="null"/> for <see cref="ObjectAcl.None"/>.</summary>
    private S3CannedACL? CannedAcl => _settings.Acl switch
    {
        ObjectAcl.BucketOwnerFullControl => S3CannedACL.BucketOwnerFullControl,
        ObjectAcl.BucketOwnerRead => S3CannedACL.BucketOwnerRead,
        ObjectAcl.Private => S3CannedACL.Private,
        _ => null,
    };

    /// <summary>
    /// Sets what every PutObject to the customer's bucket carries from the settings: the configured canned ACL (unless
    /// <paramref name="withAcl"/> is false), server-side encryption, and the bucket's expected owner.
    /// </summary>
    private void ApplyWriteSettings(PutObjectRequest request, bool withAcl)
    {
        request.CannedACL = !withAcl ? null : CannedAcl;
        request.ExpectedBucketOwner = _settings.ExpectedBucketOwner;

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
}
