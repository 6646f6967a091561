using System.Text;
using Confluent.Kafka;
using RawDataDestination.Ndjson;

namespace RawDataDestination.KafkaToS3;

/// <summary>
/// The source id of a record: its <c>source-id</c> header; without that header, its key (UTF-8). A record with
/// neither is refused. Whether the id is valid is the library's rule (checked when a batch is started with it).
/// </summary>
internal static class RecordSourceId
{
    public const string HeaderName = "source-id";

    /// <exception cref="EventRejectedException">The record has no <c>source-id</c> header and no key.</exception>
    public static string Of(Message<byte[]?, byte[]?> message)
    {
        if (message.Headers is { } headers && headers.TryGetLastBytes(HeaderName, out byte[] header))
        {
            return Encoding.UTF8.GetString(header);
        }

        if (message.Key is { Length: > 0 } key)
        {
            return Encoding.UTF8.GetString(key);
        }

        throw new EventRejectedException(
            EventRejectionReason.InvalidSourceId,
            $"The record has no '{HeaderName}' header and no key. Produce it with a '{HeaderName}' header naming its source (1–128 characters of [A-Za-z0-9_.-]).");
    }
}
