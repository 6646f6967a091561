using Microsoft.Extensions.Logging;

namespace RawDataDestination.Internal;

/// <summary>
/// Every line the library logs, in one place: its event id, level and message. A reader finds each message here, and
/// can check at a glance that none carries credentials, session tokens or event bodies.
/// </summary>
/// <remarks>
/// <para>
/// Event ids are unique within a logger category, and hosts may filter on them (the <c>rawdata</c> program does), so an
/// id, once used, keeps its meaning. The categories: the buffer's logger (<c>ILogger&lt;BatchBuffer&gt;</c>, given to
/// its delivery stage, recovery, schedule and spool) uses 2 to 44, 46 to 54 and 56 to 57; the destination's (<c>S3RoleDestination</c>) 1 to 8, which
/// overlap the buffer's only because both were numbered before this file existed, and 45; staging 101 to 122; tenants
/// 302 to 304. A new event takes an id no category uses yet.
/// </para>
/// </remarks>
internal static partial class LogEvents
{
    /// <summary>How many lanes a log line names at most.</summary>
    internal const int LanesNamed = 10;

    /// <summary>
    /// The lanes a log line names, in the order given: at most <see cref="LanesNamed"/>, then how many more (<c>a, b and 3
    /// more</c>). The one wording of every line that lists lanes (<see cref="NotDeliveredAtShutdown"/>,
    /// <see cref="LeftInSpool"/>, <see cref="LanesGivenUpAtShutdown"/>).
    /// </summary>
    /// <param name="lanes">The lanes, in the order to name them.</param>
    /// <param name="name">How to name one.</param>
    public static string Lanes<T>(IReadOnlyList<T> lanes, Func<T, string> name)
    {
        string named = string.Join(", ", lanes.Take(LanesNamed).Select(name));
        return lanes.Count > LanesNamed ? $"{named} and {lanes.Count - LanesNamed} more" : named;
    }

    // The buffer (BatchBuffer.cs): shutdown and the spool.
    [LoggerMessage(2, LogLevel.Warning, "Deliveries did not finish within the shutdown timeout of {Timeout}; the ones under way were cancelled.")]
    public static partial void ShutdownDeadlinePassed(ILogger logger, TimeSpan timeout);

    [LoggerMessage(3, LogLevel.Error, "Not delivered at shutdown: batches {BatchCount}, events {EventCount}. Take them with TakeUndeliveredBatches to keep them. By lane: {Lanes}.")]
    public static partial void NotDeliveredAtShutdown(ILogger logger, int batchCount, long eventCount, string lanes);

    [LoggerMessage(4, LogLevel.Warning, "Not delivered by shutdown: batches {BatchCount}, events {EventCount}; they stay in the spool at {Directory} and the next start delivers them. By lane: {Lanes}.")]
    public static partial void LeftInSpool(ILogger logger, int batchCount, long eventCount, string directory, string lanes);

    // Not "the next start delivers them": no start does while their sources route to no lane they may go to.
    [LoggerMessage(56, LogLevel.Warning, "Held at shutdown, with no lane to deliver them (a removed customer's, or sealed for a lane their sources no longer route to): batches {BatchCount}, events {EventCount}; they stay in the spool at {Directory}, and a start delivers them only once their sources route to the lane each was sealed for again (a batch sealed with no route: to any lane). To let them go without losing them, take them with BatchBuffer.TakeHeldBatchesAsync before stopping. By lane: {Lanes}.")]
    public static partial void HeldInSpool(ILogger logger, int batchCount, long eventCount, string directory, string lanes);

    [LoggerMessage(57, LogLevel.Information, "Handed to the host by TakeHeldBatchesAsync, and removed from the buffer and its spool: batches {BatchCount}, events {EventCount}, held with no lane to deliver them.")]
    public static partial void HeldBatchesTaken(ILogger logger, int batchCount, long eventCount);

    [LoggerMessage(70, LogLevel.Warning, "TakeHeldBatchesAsync skipped held batches whose spool files were gone (deleted by hand?): batches {BatchCount}, events {EventCount}; their events cannot be handed over, and the buffer forgets them. The other held batches were handed over. Files: {Files}.")]
    public static partial void HeldBatchFilesGone(ILogger logger, int batchCount, long eventCount, string files);

    [LoggerMessage(6, LogLevel.Error, "Saving sealed batch {FileName} of source {SourceId} ({EventCount} events) to the spool failed; it stays in memory and is delivered from there, and its journal is kept until then. (While the spool's disk stays full, the next failed saves are logged at Debug, event 53.)")]
    public static partial void SpoolSaveFailed(ILogger logger, Exception exception, string sourceId, string fileName, long eventCount);

    [LoggerMessage(53, LogLevel.Debug, "Saving sealed batch {FileName} of source {SourceId} ({EventCount} events) to the spool failed, its disk still full ({Message}); it stays in memory and is delivered from there, and its journal is kept until then.")]
    public static partial void SpoolSaveFailedAgain(ILogger logger, string sourceId, string fileName, long eventCount, string message);

    [LoggerMessage(7, LogLevel.Warning, "The journal of sealed batch {FileName} of source {SourceId} could not be deleted; it is deleted again once the batch is delivered (until then, a restart finds the sealed file and drops the journal).")]
    public static partial void JournalNotDeleted(ILogger logger, Exception exception, string sourceId, string fileName);

    [LoggerMessage(8, LogLevel.Error, "Recovering the spool at {Directory} stopped early; what it did not reach stays there for the next start.")]
    public static partial void RecoveryFailed(ILogger logger, Exception exception, string directory);

    // The spool's disk (BatchSpool.Room.cs): one line when it fills, one when writes go through again; one at start.
    [LoggerMessage(46, LogLevel.Warning, "The spool's disk at {Directory} is full ({FreeSpace}): appends that cannot write their journal line now {WhatAppendsDo}, and sealed batches that cannot be saved stay in memory, until deliveries or someone else free room. Free room on that file system, or move SpoolDirectory to a larger one.")]
    public static partial void SpoolDiskFull(ILogger logger, string directory, string freeSpace, string whatAppendsDo);

    [LoggerMessage(47, LogLevel.Information, "The spool's disk at {Directory} has room again, after {FullFor} full: appends go on.")]
    public static partial void SpoolDiskHasRoom(ILogger logger, string directory, TimeSpan fullFor);

    [LoggerMessage(75, LogLevel.Warning, "The spool's disk at {Directory} was full, then had room again, {Count} more times since {Since:u} (the longest {LongestFull} full), said here rather than each: a full disk and its room again are logged at most once every {Every}. It hovers at full: free room on that file system, or move SpoolDirectory to a larger one.")]
    public static partial void SpoolDiskFullSpellsNotSaid(ILogger logger, string directory, int count, DateTimeOffset since, TimeSpan longestFull, TimeSpan every);

    [LoggerMessage(49, LogLevel.Warning, "The spool at {Directory} holds {SpoolBytes} bytes, at its limit of {Limit} ({LimitSays}): appends wait for room (SpoolFullMode.Wait). Open batches are sealed so the lanes that deliver free room; the lanes that deliver keep at least a quarter of it. Held most by: {Holders}. Fix those lanes' destinations, or raise MaxSpoolBytes (or give the spool a larger file system).")]
    public static partial void SpoolLimitReached(ILogger logger, string directory, long spoolBytes, long limit, string limitSays, string holders);

    [LoggerMessage(50, LogLevel.Information, "The spool at {Directory} has room again, after appends waited {WaitedFor} at MaxSpoolBytes: appends go on (it holds {SpoolBytes} bytes).")]
    public static partial void SpoolLimitHasRoom(ILogger logger, string directory, TimeSpan waitedFor, long spoolBytes);

    [LoggerMessage(48, LogLevel.Warning, "MaxSpoolBytes {MaxSpoolBytes} is more than the spool at {Directory} can take: its file system has {FreeBytes} bytes free (the spool holds {SpoolBytes}). Its limit is 4/5 of that room, {Limit} bytes, so the lanes that deliver keep room on the disk when failing lanes fill the spool; a disk that others fill still fills first, and then SpoolFullMode applies as at the limit. Lower MaxSpoolBytes, or give the spool a larger file system.")]
    public static partial void SpoolLimitPastFreeSpace(ILogger logger, long maxSpoolBytes, string directory, long freeBytes, long spoolBytes, long limit);

    // Delivery by lane (DeliveryStage): one line when a lane starts failing and one when it recovers; each attempt at Debug.
    [LoggerMessage(10, LogLevel.Debug, "Delivery of batch {FileName} of source {SourceId} ({EventCount} events) failed on attempt {Attempt} ({Error}); next try at {NextTry:o}. Other batches go on.")]
    public static partial void AttemptFailed(ILogger logger, Exception exception, string sourceId, string fileName, long eventCount, int attempt, string error, DateTimeOffset nextTry);

    // At Debug, as each failed attempt: the lane's one warning (LaneFailing) names the customer and the refusal, once;
    // an error per batch was a thousand lines for a customer with a thousand batches, again at every scheduled seal.
    [LoggerMessage(11, LogLevel.Debug, "Delivery of batch {FileName} of source {SourceId} ({EventCount} events) was refused permanently; the batch is kept and tried again at the next scheduled seal, flush or shutdown.")]
    public static partial void Refused(ILogger logger, Exception exception, string sourceId, string fileName, long eventCount);

    [LoggerMessage(17, LogLevel.Warning, "No route ({Lane}: {Error}): batches {Batches}, events {Events}, sources {Sources}; they are kept in that one lane, sent to no other destination, and tried again at each scheduled seal, flush and shutdown; a host that will not list their sources again takes them with BatchBuffer.TakeHeldBatchesAsync.")]
    public static partial void UnroutedKept(ILogger logger, int batches, long events, int sources, string lane, string error);

    [LoggerMessage(18, LogLevel.Debug, "Batch {FileName} of source {SourceId} ({EventCount} events) has no route and was refused; it is kept in lane {Lane} and tried again at the next scheduled seal, flush or shutdown.")]
    public static partial void RefusedUnrouted(ILogger logger, Exception exception, string sourceId, string fileName, long eventCount, string lane);

    [LoggerMessage(12, LogLevel.Debug, "Delivered batch {FileName} of source {SourceId} ({EventCount} events) on attempt {Attempt}.")]
    public static partial void BatchDelivered(ILogger logger, string sourceId, string fileName, long eventCount, int attempt);

    [LoggerMessage(14, LogLevel.Warning, "Lane {Lane} is failing ({Error}); its batches are kept and retried with backoff, and other lanes go on. One line is logged when it recovers.")]
    public static partial void LaneFailing(ILogger logger, string lane, string error, Exception? exception);

    [LoggerMessage(9, LogLevel.Warning, "Lane {Lane} is failing ({Error}); the refusal is permanent, so its batches are kept and tried again at each scheduled seal, flush and shutdown, not before, and other lanes go on. One line is logged when it recovers.")]
    public static partial void LaneRefused(ILogger logger, string lane, string error, Exception? exception);

    [LoggerMessage(15, LogLevel.Information, "Lane {Lane} recovered after {Duration}: batch {FileName} of source {SourceId} was delivered.")]
    public static partial void LaneRecovered(ILogger logger, string lane, TimeSpan duration, string sourceId, string fileName);

    [LoggerMessage(16, LogLevel.Warning, "Delivery attempts under way that did not stop within {Grace} of their cancellation at shutdown: {Count}; they are left running, not awaited. Their batches are not delivered and, like the other batches not delivered ({Others}: waiting for an upload slot or a retry, or refused; their runs cancelled at once), stay in the spool for the next start or are handed over by TakeUndeliveredBatches.")]
    public static partial void AttemptsAbandoned(ILogger logger, int count, TimeSpan grace, int others);

    [LoggerMessage(19, LogLevel.Warning, "Shutdown did not wait for the lanes failing for longer than the retry budget of {RetryBudget} ({Count}: {Lanes}): their batches were not waited for: they stay in the spool, or are reported as not delivered.")]
    public static partial void LanesGivenUpAtShutdown(ILogger logger, int count, string lanes, TimeSpan retryBudget);

    // A delivered batch's spool files (SpooledBatchFiles.cs).
    [LoggerMessage(13, LogLevel.Warning, "Batch {FileName} of source {SourceId} was delivered, but removing its spool files failed.")]
    public static partial void CleanupFailed(ILogger logger, Exception exception, string sourceId, string fileName);

    // Recovery of the spool at start (SpoolRecovery.cs, SpoolRecovery.Journals.cs).
    [LoggerMessage(30, LogLevel.Warning, "The spool file {Path} cannot be recovered because {Reason}; it was moved to {QuarantinePath}, where it is kept (never deleted). Every other batch is delivered.")]
    public static partial void Quarantined(ILogger logger, string path, string quarantinePath, string reason);

    [LoggerMessage(31, LogLevel.Error, "The spool file {Path} cannot be recovered because {Reason}, and moving it to the quarantine folder failed; it is left in place and skipped.")]
    public static partial void QuarantineFailed(ILogger logger, Exception exception, string path, string reason);

    [LoggerMessage(43, LogLevel.Error, "The spool file {Path} cannot be read by this process ({Error}); it is left in place, not set aside: give the process read and write access to it (chmod u+rw, or its owner), then start again, and it is delivered.")]
    public static partial void SpoolFileDenied(ILogger logger, string path, string error);

    [LoggerMessage(44, LogLevel.Warning, "The sealed spool file {Path} is a second copy of batch {BatchId}, byte for byte (a copy of the spool restored over it); the batch is delivered once, as {FileName}, and the copy was deleted.")]
    public static partial void SealedCopyDeleted(ILogger logger, string path, string batchId, string fileName);

    [LoggerMessage(54, LogLevel.Warning, "The spool's journal {Path} of source {SourceId} ends in {Bytes} bytes of a line with no newline, cut short: left out; its {EventCount} whole lines are recovered. A kill in the middle of an append leaves such a line, whose event was not acknowledged; lines cut from the journal before it (a file damaged on disk or by hand) cannot be told from here, and their events are lost.")]
    public static partial void JournalLineCutShort(ILogger logger, string path, string sourceId, long bytes, long eventCount);

    // One line per journal (hundreds or thousands at a restart after a kill, one per source) at Debug; their sum in event 57.
    [LoggerMessage(32, LogLevel.Debug, "Recovered batch {FileName} of source {SourceId} ({EventCount} events) from the spool's journal.")]
    public static partial void RecoveredJournal(ILogger logger, string sourceId, string fileName, long eventCount);

    [LoggerMessage(59, LogLevel.Information, "Spool recovered at start in {Elapsed}: journals an earlier run left open, sealed now {Journals} (events {EventCount}, bytes {Bytes} compressed); sealed batches of earlier runs found {SealedFound}. Each is delivered as any other batch; the journals' own lines are at Debug (event 32).")]
    public static partial void SpoolRecovered(ILogger logger, int journals, long eventCount, long bytes, int sealedFound, TimeSpan elapsed);

    [LoggerMessage(33, LogLevel.Error, "The spool journal {Path} could not be sealed now; its events stay in it, and it is tried again at the next scheduled seal, flush and start.")]
    public static partial void JournalNotRecovered(ILogger logger, Exception exception, string path);

    [LoggerMessage(34, LogLevel.Warning, "The spool's {Path} was not one the spool trusts ({Reason}); it was renamed to {AsidePath} (never deleted), and the spool made its own.")]
    public static partial void SetAside(ILogger logger, string path, string asidePath, string reason);

    [LoggerMessage(35, LogLevel.Warning, "The spool journal {Path} cannot be deleted; its batch is delivered, and the journal is deleted again after that, or marked delivered, so it is never sealed again under a new key. Check the file's attributes and its folder's permissions.")]
    public static partial void JournalNotDeletable(ILogger logger, string path);

    [LoggerMessage(36, LogLevel.Warning, "The spool journal {Path} still cannot be deleted; its batch was delivered as {FileName}, so it is left alone. Delete it once its attributes or its folder's permissions allow.")]
    public static partial void DeliveredJournalKept(ILogger logger, string path, string fileName);

    [LoggerMessage(55, LogLevel.Warning, "Batch {FileName} of source {SourceId} was delivered, but its sealed file {Path} cannot be deleted; its batch is marked delivered, so no restart sends it again. Delete the file, and its .sha256 beside it, once its attributes or its folder's permissions allow.")]
    public static partial void SealedMarkedDelivered(ILogger logger, Exception exception, string sourceId, string fileName, string path);

    [LoggerMessage(58, LogLevel.Warning, "The sealed file {Path} still cannot be deleted; an earlier run delivered its batch, so it is not sent again. Delete it, and its .sha256 beside it, once its attributes or its folder's permissions allow.")]
    public static partial void DeliveredSealedKept(ILogger logger, string path);

    [LoggerMessage(37, LogLevel.Warning, "The spool journal {Path} cannot be deleted; its batch was delivered as {FileName} and the journal is marked delivered, so a restart leaves it alone.")]
    public static partial void JournalMarkedDelivered(ILogger logger, string path, string fileName);

    [LoggerMessage(52, LogLevel.Warning, "The spool journal {Path} of batch {FileName} of source {SourceId}, kept while the batch is delivered from memory, could not be renamed to record the batch's seal time. Should this process be killed after the batch landed and before the journal is deleted, the next start seals the journal again under a new file name, and its events land twice (conditional writes cannot catch a second key).")]
    public static partial void JournalSealTimeNotKept(ILogger logger, Exception exception, string path, string sourceId, string fileName);

    [LoggerMessage(42, LogLevel.Error, "The spool journal {Path} of batch {FileName} of source {SourceId}, delivered from memory, can be neither deleted nor marked delivered (the spool's file system refuses writes); it is the last copy of the batch's events on disk. Delete it before the next start over this spool: that start would seal it again under a new key and send its events twice.")]
    public static partial void DeliveredJournalLeft(ILogger logger, Exception exception, string path, string sourceId, string fileName);

    [LoggerMessage(38, LogLevel.Warning, "The spool journal {Path} holds no complete line (no event of it was acknowledged) and cannot be deleted; it is left as it is.")]
    public static partial void EmptyJournalKept(ILogger logger, string path);

    [LoggerMessage(39, LogLevel.Warning, "The buffer stopped before recovering the spool at {Directory} was over: what it had not handed over stays there (journals {JournalCount}, sealed batch files {SealedCount}); the next start delivers it.")]
    public static partial void StoppedEarly(ILogger logger, string directory, int journalCount, int sealedCount);

    [LoggerMessage(41, LogLevel.Warning, "The sealed spool file {Path} has no SHA-256 recorded at its seal to check it against ({Checksum}); it was read whole, is complete gzip and holds {EventCount} events, so it is delivered.")]
    public static partial void SealedReadWhole(ILogger logger, string path, string checksum, long eventCount);

    // Sealing at a flush, the schedule or shutdown (SealPolicy.cs).
    [LoggerMessage(20, LogLevel.Error, "Sealing the open batch of source {SourceId} for {Day} ({Cause}) failed; its events stay in its journal when there is a spool. Other batches are sealed as usual.")]
    public static partial void SealFailed(ILogger logger, Exception exception, string sourceId, DateOnly day, string cause);

    [LoggerMessage(21, LogLevel.Error, "The open batch of source {SourceId} for {Day} ({EventCount} events) was not sealed ({Cause}): an append still held its partition when the seal stopped waiting for it (cancelled, or out of time). Its events are counted as open (DeliveryStatus.OpenEvents); with a spool they stay in its journal.")]
    public static partial void SealSkippedBusy(ILogger logger, string sourceId, DateOnly day, string cause, long eventCount);

    // The flush schedule (SealSchedule.cs).
    [LoggerMessage(51, LogLevel.Warning, "{PartitionCount} open batches ({EventCount} events) were not sealed after the scheduled seal of {ScheduledAt:u}: their lanes held their whole share of the in-memory bound (MaxPendingBatchesPerLane, within MaxPendingBatches), {FailingCount} of them in lanes that are failing, the others until the next scheduled seal. They stay open, sealed oldest first as room comes back. Without a spool they are lost in a crash: raise MaxPendingBatches (or MaxPendingBatchesPerLane), or give the buffer a SpoolDirectory. By source: {Sources}.")]
    public static partial void HeldPastSchedule(ILogger logger, int partitionCount, long eventCount, DateTimeOffset scheduledAt, int failingCount, string sources);

    [LoggerMessage(40, LogLevel.Error, "The scheduled seal failed; batches it could not seal stay open (and in their journals with a spool). The schedule goes on.")]
    public static partial void TickFailed(ILogger logger, Exception exception);

    // The destination's uploads (S3RoleDestination.Upload.cs), logged under the destination's category.
    [LoggerMessage(1, LogLevel.Debug, "Uploaded {Key}: {EventCount} events, {CompressedBytes} bytes, attempt {Attempt}.")]
    public static partial void Uploaded(ILogger logger, string key, long eventCount, long compressedBytes, int attempt);

    // Debug: the refusal is thrown, explained, to whoever called (UploadAsync's caller, or a buffer, which logs a lane's
    // failure once); an Error here too was one line per batch and retry round for a customer whose bucket was deleted.
    [LoggerMessage(2, LogLevel.Debug, "Upload of {Key} was refused ({ErrorCode}): {Explanation}")]
    public static partial void UploadRefused(ILogger logger, string errorCode, string key, string explanation);

    [LoggerMessage(3, LogLevel.Information, "{Key} is already in the bucket (412 to If-None-Match on attempt {Attempt}): an earlier attempt landed it; counted as delivered.")]
    public static partial void AlreadyPresent(ILogger logger, string key, int attempt);

    [LoggerMessage(4, LogLevel.Warning, "The store behind bucket {Bucket} does not implement conditional writes (If-None-Match); sending plain PUTs from now on.")]
    public static partial void ConditionalWritesUnsupported(ILogger logger, string bucket);

    [LoggerMessage(5, LogLevel.Warning, "Upload of {Key} failed on attempt {Attempt} ({ErrorType}: {Error}); retrying in {Delay}.")]
    public static partial void Retrying(ILogger logger, string key, int attempt, string errorType, string error, TimeSpan delay);

    [LoggerMessage(6, LogLevel.Error, "Upload of {Key} failed; retries stopped (the retry time limit is {Limit}).")]
    public static partial void GaveUp(ILogger logger, Exception exception, string key, TimeSpan limit);

    [LoggerMessage(7, LogLevel.Warning, "Bucket {Bucket} has ACLs disabled (AccessControlListNotSupported): sending objects without the {Acl} ACL from now on. To stop this warning, {Fix}; the bucket owner owns every object anyway.")]
    public static partial void AclNotSupported(ILogger logger, string bucket, string acl, string fix);

    [LoggerMessage(8, LogLevel.Warning, "S3 refused the session token for {Key} ({ErrorCode}); assuming the role again (cleared the cached credentials: {Cleared}) and resending the same object.")]
    public static partial void TokenRejected(ILogger logger, string key, string errorCode, bool cleared);

    [LoggerMessage(45, LogLevel.Warning, "{Warning}")]
    public static partial void PathPrefixEndsInLayoutFolder(ILogger logger, string warning);

    // Staging (StagingConsumer.cs).
    [LoggerMessage(101, LogLevel.Debug, "Staged {Key}: {EventCount} events, {CompressedBytes} bytes.")]
    public static partial void Staged(ILogger logger, string key, long eventCount, long compressedBytes);

    // Moving staged batches on (StagedBatchCopier.cs, StagedBatchCopier.Batch.cs).
    [LoggerMessage(102, LogLevel.Warning, "A pass over s3://{Bucket}/{Prefix} stopped after a staged batch failed for a transient reason; the other staged batches wait for the next pass ({Deferred}).")]
    public static partial void PassStopped(ILogger logger, int deferred, string bucket, string prefix);

    [LoggerMessage(111, LogLevel.Information, "Delivered staged batch {StagedKey} to s3://{Bucket}/{Key} ({EventCount} events); the staged copy is deleted.")]
    public static partial void StagedBatchDelivered(ILogger logger, string stagedKey, string bucket, string key, long eventCount);

    [LoggerMessage(112, LogLevel.Warning, "Parked staged batch {StagedKey}: {Refuser} refused it ({ErrorCode}, refusal {Attempts}); it stays staged, next attempt at {NextAttemptAt:o}, deleted undelivered at {ExpiresAt:o}. {Explanation}")]
    public static partial void Parked(ILogger logger, string stagedKey, string refuser, string errorCode, int attempts, DateTimeOffset nextAttemptAt, DateTimeOffset expiresAt, string explanation);

    [LoggerMessage(113, LogLevel.Warning, "Staged batch {StagedKey} ({EventCount} events) is still undelivered; its retention ends at {ExpiresAt:o}, after which the first try the customer's bucket refuses deletes it undelivered (last refusal: {ErrorCode}). Fix the customer's setup, or copy the object out of the staging bucket.")]
    public static partial void Expiring(ILogger logger, string stagedKey, long eventCount, DateTimeOffset expiresAt, string errorCode);

    [LoggerMessage(114, LogLevel.Error, "Deleted staged batch {StagedKey} undelivered: its {EventCount} events for {Location} were staged at {StagedAt:o}, longer ago than the retention of {Retention}, and the customer's bucket refused them once more ({ErrorCode}). Ship them again from their source if they are wanted.")]
    public static partial void Expired(ILogger logger, string stagedKey, long eventCount, string location, DateTimeOffset stagedAt, TimeSpan retention, string errorCode);

    [LoggerMessage(115, LogLevel.Warning, "Copy of staged batch {StagedKey} failed; it stays staged for the next pass.")]
    public static partial void CopyFailed(ILogger logger, Exception exception, string stagedKey);

    [LoggerMessage(117, LogLevel.Warning, "{StagedKey} under the staging prefix is not a staged batch of this destination; left alone.")]
    public static partial void NotABatch(ILogger logger, string stagedKey);

    [LoggerMessage(118, LogLevel.Warning, "Could not delete {Key} from the staging bucket; the next pass tries again.")]
    public static partial void MarkerNotDeleted(ILogger logger, Exception exception, string key);

    [LoggerMessage(119, LogLevel.Error, "A pass over s3://{Bucket}/{Prefix} failed; the next pass tries again.")]
    public static partial void PassFailed(ILogger logger, Exception exception, string bucket, string prefix);

    [LoggerMessage(120, LogLevel.Error, "Staged object {StagedKey} in s3://{StagingBucket} is not sent: {Why}. It is left in the staging bucket for a person to look at; this copier never sends or deletes it.")]
    public static partial void Unconfirmed(ILogger logger, string stagedKey, string why, string stagingBucket);

    [LoggerMessage(121, LogLevel.Error, "The copier's {Callback} callback threw for staged batch {StagedKey}; the batch is counted as before and the pass goes on.")]
    public static partial void CallbackFailed(ILogger logger, Exception exception, string callback, string stagedKey);

    [LoggerMessage(122, LogLevel.Warning, "{Operation} of {StagedKey} in the staging bucket s3://{StagingBucket} failed on attempt {Attempt} ({ErrorType}: {Error}); retrying in {Delay}.")]
    public static partial void StagingRetrying(ILogger logger, string operation, string stagedKey, string stagingBucket, int attempt, string errorType, string error, TimeSpan delay);

    // Tenants (TenantDestinationResolver.cs).
    [LoggerMessage(302, LogLevel.Warning, "Tenants: {Problem} Until it is fixed, that tenant's events or batches are refused (kept), and no one else's.")]
    public static partial void TenantProblem(ILogger logger, string problem);

    [LoggerMessage(304, LogLevel.Warning, "Tenants: {Problem}")]
    public static partial void TenantsWarning(ILogger logger, string problem);

    [LoggerMessage(303, LogLevel.Information, "Tenants reloaded: tenants {Tenants}, sources {Sources}. Batches sealed from now on use the new settings.")]
    public static partial void Reloaded(ILogger logger, int tenants, int sources);
}
