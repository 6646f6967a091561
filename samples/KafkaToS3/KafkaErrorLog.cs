using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace RawDataDestination.KafkaToS3;

/// <summary>
/// The worker's log of Kafka's errors: each kind (error code) at most once per <see cref="Quiet"/>, with how many more
/// came since its last line. librdkafka reports every failed connection attempt, about twenty a second while the brokers
/// refuse, and a log of those lines hides everything else.
/// </summary>
internal sealed partial class KafkaErrorLog(ILogger logger, TimeProvider time)
{
    /// <summary>How long after one line of an error code the next line of that code waits, counting what it skips.</summary>
    public static readonly TimeSpan Quiet = QuietLines<ErrorCode>.Quiet;

    private readonly QuietLines<ErrorCode> _lines = new(time);

    /// <summary>Gets the last error reported, or <see langword="null"/>.</summary>
    public Error? Last { get; private set; }

    /// <summary>Logs <paramref name="error"/>, or counts it when a line of its code was logged within <see cref="Quiet"/>. A fatal error is always logged.</summary>
    /// <param name="error">The error librdkafka reported.</param>
    public void Report(Error error)
    {
        Last = error;
        if (!_lines.TryWrite(error.Code, out int skipped, always: error.IsFatal))
        {
            return;
        }

        if (skipped == 0)
        {
            KafkaError(logger, error.Code, error.Reason);
        }
        else
        {
            KafkaErrorAgain(logger, error.Code, error.Reason, skipped);
        }
    }

    [LoggerMessage(8, LogLevel.Warning, "Kafka error {Code}: {Reason}")]
    private static partial void KafkaError(ILogger logger, ErrorCode code, string reason);

    [LoggerMessage(13, LogLevel.Warning, "Kafka error {Code}: {Reason} ({Skipped} more like it since its last line, not logged)")]
    private static partial void KafkaErrorAgain(ILogger logger, ErrorCode code, string reason, int skipped);
}
