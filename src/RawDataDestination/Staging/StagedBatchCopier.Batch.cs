using Amazon.S3.Model;
using RawDataDestination.Batching;
using RawDataDestination.Internal;
using RawDataDestination.S3;

namespace RawDataDestination.Staging;

/// <summary>One staged batch's way: read back and checked, written to the customer's bucket, then deleted; or parked, or, past its retention and refused once more, expired.</summary>
public sealed partial class StagedBatchCopier
{
    private async Task CopyAsync(string key, StagedBatchIdentity identity, S3Object? markerObject, bool retryParkedNow, StagedCopyTally pass, CancellationToken cancellationToken)
    {
        string? mayBeAt = null; // where the batch may be in the customer's bucket: its PutObject was sent in full and got no answer
        long events = 0;
        bool earlyRetryOfParked = false; // a parked batch tried ahead of its schedule
        try
        {
            if (Takes is { } takes && !takes(key))
            {
                return; // another copier's since the listing (its owner changed during the pass)
            }

            ParkedMarker? marker = markerObject is null ? null : await ReadMarkerAsync(key, markerObject, cancellationToken).ConfigureAwait(false);
            DateTimeOffset now = _time.GetUtcNow();
            earlyRetryOfParked = marker is not null && now < marker.NextAttemptAt && now < marker.StagedAt + _settings.Retention;
            ParkedRetry? retry = _parkedRetries.TryGetValue(key, out ParkedRetry pending) ? pending : null;
            bool retryDue = retry is { } due && now >= due.Due;
            if (earlyRetryOfParked && !retryParkedNow && !retryDue)
            {
                pass.Parked(marker!.EventCount, retry is { } next && next.Due < marker.NextAttemptAt ? next.Due : marker.NextAttemptAt);
                return;
            }

            if (pass.Stopped)
            {
                // A batch of this pass failed for a transient reason (an endpoint that never answers, throttling): the
                // others would most likely cost as much each, holding the copy slot. They wait for the next pass; a parked
                // one tried early still is, at the next pass, rather than on its schedule.
                if (earlyRetryOfParked)
                {
                    _parkedRetries[key] = new ParkedRetry(retry?.Retries ?? 0, now);
                }

                pass.Deferred();
                return;
            }

            using StagedContent? content = await OnStageAsync("GetObject", key, token => _store.GetBatchAsync(key, identity, token), cancellationToken).ConfigureAwait(false);
            if (content is null)
            {
                return; // another copier delivered it since the listing
            }

            if (!content.ChecksumMatches)
            {
                // Cut, changed or replaced in the staging bucket since it was staged: no later pass reads other bytes, so
                // it is not a transient failure to try again at every pass, but one for a person.
                StagingTelemetry.CopyFailures.Add(1, Telemetry.Tag("error.type", "ChecksumMismatch"));
                Unconfirmed(key, "its bytes do not match the SHA-256 recorded in its metadata when it was staged (it was cut, changed or replaced in the staging bucket since)", pass);
                return;
            }

            using SealedBatch batch = content.ToSealedBatch();
            string customerKey = Destination.GetObjectKey(batch);
            if (!string.Equals(StagingKeys.Staged(_settings.Location, Destination.Location, customerKey, _tag), key, StringComparison.Ordinal))
            {
                LogEvents.NotABatch(_logger, key);
                pass.Failed();
                return;
            }

            // The key alone could be another setup's (a staging bucket shared with a different prefix): the object's own
            // metadata, written at staging, must name this bucket and key before anything is sent, parked or expired.
            if (!content.IsStagedFor(Destination.Location.BucketName, customerKey))
            {
                string stagedFor = content.DestinationBucket is null || content.DestinationKey is null
                    ? "its metadata does not say which bucket and key it was staged for"
                    : $"its metadata says it was staged for s3://{content.DestinationBucket}/{content.DestinationKey}, not s3://{Destination.Location.BucketName}/{customerKey}";
                Unconfirmed(key, stagedFor, pass);
                return;
            }

            // A batch past its retention is tried once more, as any other: the retention never deletes a batch the
            // customer's bucket would take. Only a refusal in this try (below) deletes it undelivered; a transient failure
            // leaves it staged for the next pass, as it leaves any batch.
            DateTimeOffset stagedAt = marker?.StagedAt ?? content.StagedAt ?? now;
            DateTimeOffset expiresAt = stagedAt + _settings.Retention;
            if (now >= expiresAt - _settings.WarnBeforeExpiry)
            {
                StagingTelemetry.Expiring.Add(1);
                LogEvents.Expiring(_logger, key, content.Manifest.EventCount, expiresAt, marker?.ErrorCode ?? "none");
            }

            UploadedObject uploaded;
            try
            {
                uploaded = await Destination.UploadAsync(batch, cancellationToken).ConfigureAwait(false);
            }
            catch (DestinationException exception) when (exception.IsPermanent && now >= expiresAt)
            {
                _failedInPass.TryRemove(key, out _);
                _parkedRetries.TryRemove(key, out _);
                await ExpireAsync(new ExpiredStagedBatch(key, Destination.Location.BucketName, customerKey, batch.EventCount, stagedAt, exception.ErrorCode), pass, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (DestinationException exception) when (exception.IsPermanent)
            {
                _failedInPass.TryRemove(key, out _);
                _parkedRetries.TryRemove(key, out _); // refused again: back to its schedule
                await ParkAsync(key, marker, exception, stagedAt, batch.EventCount, now, cancellationToken).ConfigureAwait(false);
                pass.Parked(batch.EventCount, now + _settings.ParkedRetryInterval); // the marker's next attempt
                Tell(BatchNotDelivered, nameof(BatchNotDelivered), new UndeliveredStagedBatch(key, exception, Parked: true), key);
                return;
            }
            catch (Exception) when (batch.MayHaveBeenWritten)
            {
                mayBeAt = $"s3://{Destination.Location.BucketName}/{customerKey}";
                events = batch.EventCount;
                throw;
            }

            // The customer's bucket holds the object: only now may the staged copy go. A DELETE retried after its answer
            // was lost is answered 204 again, so a batch whose staged copy is gone is counted delivered. Should the staging
            // bucket fail it, the batch stays staged, and is in the customer's bucket all the same.
            (mayBeAt, events) = (uploaded.Location, uploaded.EventCount);
            await DeleteStagedAsync(key, cancellationToken).ConfigureAwait(false);
            if (markerObject is not null || marker is not null)
            {
                _markers.TryRemove(key, out _);
                await DeleteQuietlyAsync(StagingKeys.Marker(key), cancellationToken).ConfigureAwait(false);
            }

            _failedInPass.TryRemove(key, out _);
            _parkedRetries.TryRemove(key, out _);
            StagingTelemetry.Delivered.Add(1);
            LogEvents.StagedBatchDelivered(_logger, key, uploaded.Bucket, uploaded.Key, uploaded.EventCount);
            pass.Delivered(uploaded);
            Tell(BatchDelivered, nameof(BatchDelivered), new DeliveredStagedBatch(key, uploaded), key);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            if (earlyRetryOfParked)
            {
                ScheduleParkedRetry(key);
            }

            LogEvents.CopyFailed(_logger, exception, key);
            StagingTelemetry.CopyFailures.Add(1, Telemetry.Tag("error.type", exception.GetType().Name));
            _failedInPass[key] = Interlocked.Increment(ref _failures);
            pass.FailedTransiently();
            Tell(BatchNotDelivered, nameof(BatchNotDelivered), new UndeliveredStagedBatch(key, exception, Parked: false) { MayBeAt = mayBeAt, EventCount = events }, key);
        }
        catch (Exception exception) when (mayBeAt is not null)
        {
            // Stopped while its PutObject waited for an answer: the object may be in the customer's bucket, which the host
            // is told; the batch stays staged, and the stop goes on.
            Tell(BatchNotDelivered, nameof(BatchNotDelivered), new UndeliveredStagedBatch(key, exception, Parked: false) { MayBeAt = mayBeAt, EventCount = events }, key);
            throw;
        }
    }

    /// <summary>
    /// Calls the host's <paramref name="callback"/>, if any. What it throws is logged and goes no further: the batch's fate
    /// is already decided and counted, so a failing callback can neither fail the pass nor have a batch counted twice.
    /// </summary>
    private void Tell<T>(Action<T>? callback, string name, T batch, string key)
    {
        if (callback is null)
        {
            return;
        }

        try
        {
            callback(batch);
        }
        catch (Exception exception)
        {
            LogEvents.CallbackFailed(_logger, exception, name, key);
        }
    }

    /// <summary>
    /// Schedules another early retry of a parked batch whose early retry failed for a transient reason: after a delay of the
    /// library's retry rule (<see cref="RetryPipelines.FullJitter"/>: from up to <see cref="StagingOptions.PollInterval"/>,
    /// doubling, never more than <see cref="StagingOptions.ParkedRetryInterval"/>), at most <see cref="MaxParkedRetries"/>
    /// times; then the batch waits for its marker's schedule.
    /// </summary>
    private void ScheduleParkedRetry(string key)
    {
        int retries = (_parkedRetries.TryGetValue(key, out ParkedRetry pending) ? pending.Retries : 0) + 1;
        if (retries > MaxParkedRetries)
        {
            _parkedRetries.TryRemove(key, out _);
            return;
        }

        TimeSpan delay = RetryPipelines.FullJitter(retries - 1, _settings.PollInterval, _settings.ParkedRetryInterval);
        _parkedRetries[key] = new ParkedRetry(retries, _time.GetUtcNow() + delay);
    }

    /// <summary>A parked batch's next early retry: how many it has had, and when it is due.</summary>
    private readonly record struct ParkedRetry(int Retries, DateTimeOffset Due);

    /// <summary>Reads a marker, or takes it from the cache when the listing shows the same ETag.</summary>
    private async Task<ParkedMarker?> ReadMarkerAsync(string key, S3Object markerObject, CancellationToken cancellationToken)
    {
        if (_markers.TryGetValue(key, out (string? ETag, ParkedMarker Marker) cached) && cached.ETag is not null && cached.ETag == markerObject.ETag)
        {
            return cached.Marker;
        }

        ParkedMarker? marker = await OnStageAsync("GetObject", markerObject.Key, token => _store.GetMarkerAsync(markerObject.Key, token), cancellationToken).ConfigureAwait(false);
        if (marker is not null)
        {
            _markers[key] = (markerObject.ETag, marker);
        }

        return marker;
    }

    private async Task ParkAsync(string key, ParkedMarker? previous, DestinationException exception, DateTimeOffset stagedAt, long eventCount, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var marker = new ParkedMarker(
            exception.ErrorCode,
            exception.Message,
            stagedAt,
            previous?.FirstParkedAt ?? now,
            now,
            now + _settings.ParkedRetryInterval,
            (previous?.Attempts ?? 0) + 1,
            eventCount);
        StagingTelemetry.Parked.Add(1, Telemetry.Tag("error.code", exception.ErrorCode));
        // STS refusing the customer's role is not the bucket's refusal: the bucket never saw a request.
        string refuser = exception.IsAssumeRoleFailure ? "STS (assuming the customer's role)" : "the customer's bucket";
        LogEvents.Parked(_logger, key, refuser, exception.ErrorCode, marker.Attempts, marker.NextAttemptAt, stagedAt + _settings.Retention, exception.Describe(Destination.Words));
        string? etag = await OnStageAsync("PutObject", StagingKeys.Marker(key), token => _store.PutMarkerAsync(StagingKeys.Marker(key), marker, token), cancellationToken).ConfigureAwait(false);
        _markers[key] = (etag, marker);
    }

    /// <summary>Deletes a batch past its retention that the customer's bucket has just refused once more, and counts and names it.</summary>
    private async Task ExpireAsync(ExpiredStagedBatch expired, StagedCopyTally pass, CancellationToken cancellationToken)
    {
        LogEvents.Expired(_logger, expired.StagedKey, expired.EventCount, expired.Location, expired.StagedAt, _settings.Retention, expired.ErrorCode);
        await DeleteStagedAsync(expired.StagedKey, cancellationToken).ConfigureAwait(false);
        _markers.TryRemove(expired.StagedKey, out _);
        await DeleteQuietlyAsync(StagingKeys.Marker(expired.StagedKey), cancellationToken).ConfigureAwait(false);
        StagingTelemetry.Expired.Add(1);
        pass.Expired(expired);
    }

    /// <summary>
    /// One call to the staging bucket for one staged batch, retried as the customer's PutObject is
    /// (<see cref="_stagingRetry"/>): a staging bucket that throttles or fails for a moment costs the batch a retry, not
    /// the pass; one that keeps failing for the destination's retry time limit fails the batch with its last error.
    /// </summary>
    private Task<T> OnStageAsync<T>(string operation, string key, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken) =>
        RetryPipelines.ExecuteAsync(_stagingRetry, static (c, token) => c(token), call, new StagingRetryLog(_logger, operation, key, _store.BucketName), _time, cancellationToken);

    /// <summary>Deletes a staged batch, retried as <see cref="OnStageAsync"/> says; deleting one already gone succeeds.</summary>
    private async Task DeleteStagedAsync(string key, CancellationToken cancellationToken) =>
        await OnStageAsync(
            "DeleteObject",
            key,
            async token =>
            {
                await _store.DeleteAsync(key, token).ConfigureAwait(false);
                return true;
            },
            cancellationToken).ConfigureAwait(false);

    /// <summary>Deletes a marker; a failure leaves an orphan that the next pass removes.</summary>
    private async Task DeleteQuietlyAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await _store.DeleteAsync(key, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            LogEvents.MarkerNotDeleted(_logger, exception, key);
        }
    }
}
