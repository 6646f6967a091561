using Microsoft.Extensions.Logging;

namespace RawDataDestination.Batching;

/// <summary>The delivery stage's log lines: one when a lane starts failing and one when it recovers; each attempt at Debug.</summary>
internal sealed partial class DeliveryStage
{
    private static partial class Log
    {
        [LoggerMessage(10, LogLevel.Debug, "Delivery of batch {FileName} of source {SourceId} ({EventCount} events) failed on attempt {Attempt} ({Error}); next try at {NextTry:o}. Other batches go on.")]
        public static partial void AttemptFailed(ILogger logger, Exception exception, string sourceId, string fileName, long eventCount, int attempt, string error, DateTimeOffset nextTry);

        [LoggerMessage(11, LogLevel.Error, "Delivery of batch {FileName} of source {SourceId} ({EventCount} events) was refused permanently; the batch is kept and tried again at the next scheduled seal, flush or shutdown.")]
        public static partial void Refused(ILogger logger, Exception exception, string sourceId, string fileName, long eventCount);

        [LoggerMessage(12, LogLevel.Debug, "Delivered batch {FileName} of source {SourceId} ({EventCount} events) on attempt {Attempt}.")]
        public static partial void Delivered(ILogger logger, string sourceId, string fileName, long eventCount, int attempt);

        [LoggerMessage(14, LogLevel.Warning, "Lane {Lane} is failing ({Error}); its batches are kept and retried with backoff, and other lanes go on. One line is logged when it recovers.")]
        public static partial void LaneFailing(ILogger logger, string lane, string error, Exception exception);

        [LoggerMessage(15, LogLevel.Information, "Lane {Lane} recovered after {Duration}: batch {FileName} of source {SourceId} was delivered.")]
        public static partial void LaneRecovered(ILogger logger, string lane, TimeSpan duration, string sourceId, string fileName);

        [LoggerMessage(16, LogLevel.Warning, "{Count} delivery attempt(s) did not stop within {Grace} of their cancellation at shutdown; they are left behind and their batches reported as not delivered.")]
        public static partial void AttemptsAbandoned(ILogger logger, int count, TimeSpan grace);
    }
}
