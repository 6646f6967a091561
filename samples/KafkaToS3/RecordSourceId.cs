using System.Text;
using Confluent.Kafka;
using RawDataDestination.Batching;
using RawDataDestination.Ndjson;

namespace RawDataDestination.KafkaToS3;

/// <summary>
/// The source id of a record: its <c>source-id</c> header; without that header, its key (UTF-8). A record with
/// neither, or whose id breaks the library's rule (<see cref="SourceIdRules"/>), is refused as
/// <see cref="EventRejectionReason.InvalidSourceId"/>, before any tenant is looked up: no tenant can list such an id.
/// </summary>
internal static class RecordSourceId
{
    public const string HeaderName = "source-id";

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <exception cref="EventRejectedException">The record has no <c>source-id</c> header and no key, or its source id is invalid.</exception>
    public static string Of(Message<byte[]?, byte[]?> message)
    {
        if (message.Headers is { } headers && headers.TryGetLastBytes(HeaderName, out byte[] header))
        {
            return Checked(header, $"its '{HeaderName}' header");
        }

        if (message.Key is { Length: > 0 } key)
        {
            return Checked(key, "its key (it has no '" + HeaderName + "' header)");
        }

        throw new EventRejectedException(
            EventRejectionReason.InvalidSourceId,
            $"The record has no '{HeaderName}' header and no key. Produce it with a '{HeaderName}' header naming its source (1–128 characters of [A-Za-z0-9_.-]).");
    }

    private static string Checked(byte[] bytes, string where)
    {
        if (bytes.Length == 0)
        {
            throw new EventRejectedException(
                EventRejectionReason.InvalidSourceId,
                $"The record's '{HeaderName}' header is empty. Produce it with a '{HeaderName}' header naming its source (1–128 characters of [A-Za-z0-9_.-]).");
        }

        string id;
        try
        {
            id = Strict.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new EventRejectedException(
                EventRejectionReason.InvalidSourceId,
                $"The record's source id, {where}, is not UTF-8 (0x{Convert.ToHexString(bytes, 0, Math.Min(bytes.Length, 32))}). Produce it with a '{HeaderName}' header naming its source (1–128 characters of [A-Za-z0-9_.-]).");
        }

        return SourceIdRules.IsValid(id, out string? reason)
            ? id
            : throw new EventRejectedException(EventRejectionReason.InvalidSourceId, $"The record's source id, {where}, is not valid: {reason}");
    }
}
