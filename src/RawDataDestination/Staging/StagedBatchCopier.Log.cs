using Microsoft.Extensions.Logging;

namespace RawDataDestination.Staging;

/// <summary>What the copier logs.</summary>
public sealed partial class StagedBatchCopier
{
    private static partial class Log
    {
        [LoggerMessage(111, LogLevel.Information, "Delivered staged batch {StagedKey} to s3://{Bucket}/{Key} ({EventCount} events); the staged copy is deleted.")]
        public static partial void Delivered(ILogger logger, string stagedKey, string bucket, string key, long eventCount);

        [LoggerMessage(112, LogLevel.Warning, "Parked staged batch {StagedKey}: the customer's bucket refused it ({ErrorCode}, refusal {Attempts}); it stays staged, next attempt at {NextAttemptAt:o}, deleted undelivered at {ExpiresAt:o}. {Explanation}")]
        public static partial void Parked(ILogger logger, string stagedKey, string errorCode, int attempts, DateTimeOffset nextAttemptAt, DateTimeOffset expiresAt, string explanation);

        [LoggerMessage(113, LogLevel.Warning, "Staged batch {StagedKey} ({EventCount} events) is still undelivered and will be deleted at {ExpiresAt:o}, when its retention ends (last refusal: {ErrorCode}). Fix the customer's setup, or copy the object out of the staging bucket.")]
        public static partial void Expiring(ILogger logger, string stagedKey, long eventCount, DateTimeOffset expiresAt, string errorCode);

        [LoggerMessage(114, LogLevel.Error, "Deleted staged batch {StagedKey} undelivered: its {EventCount} events were staged at {StagedAt:o}, longer ago than the retention of {Retention}.")]
        public static partial void Expired(ILogger logger, string stagedKey, long eventCount, DateTimeOffset stagedAt, TimeSpan retention);

        [LoggerMessage(115, LogLevel.Warning, "Copy of staged batch {StagedKey} failed; it stays staged for the next pass.")]
        public static partial void CopyFailed(ILogger logger, Exception exception, string stagedKey);

        [LoggerMessage(116, LogLevel.Warning, "Staged batch {StagedKey} does not match the SHA-256 recorded when it was staged; it stays staged and is read again at the next pass.")]
        public static partial void ChecksumMismatch(ILogger logger, string stagedKey);

        [LoggerMessage(117, LogLevel.Warning, "{StagedKey} under the staging prefix is not a staged batch of this destination; left alone.")]
        public static partial void NotABatch(ILogger logger, string stagedKey);

        [LoggerMessage(118, LogLevel.Warning, "Could not delete {Key} from the staging bucket; the next pass tries again.")]
        public static partial void MarkerNotDeleted(ILogger logger, Exception exception, string key);

        [LoggerMessage(120, LogLevel.Error, "Staged object {StagedKey} in s3://{StagingBucket} is not sent: {Why}. It is left in the staging bucket for a person to look at; this copier never sends or deletes it.")]
        public static partial void Unconfirmed(ILogger logger, string stagedKey, string why, string stagingBucket);

        [LoggerMessage(119, LogLevel.Error, "A pass over s3://{Bucket}/{Prefix} failed; the next pass tries again.")]
        public static partial void PassFailed(ILogger logger, Exception exception, string bucket, string prefix);
    }
}
