using Microsoft.Extensions.Logging;

namespace RawDataDestination.S3;

/// <summary>What uploads log.</summary>
public sealed partial class S3RoleDestination
{
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
