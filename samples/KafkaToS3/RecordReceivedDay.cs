using System.Text.Json;
using Confluent.Kafka;
using RawDataDestination.Ndjson;

namespace RawDataDestination.KafkaToS3;

/// <summary>
/// The UTC day a record's event was received: its top-level <c>receivedAt</c> when it has one (read as the library
/// reads it: a date without an offset is UTC), else the record's log timestamp, which the library then stamps as the
/// event's <c>receivedAt</c>. A malformed event gets the timestamp's day; the library refuses it when appended.
/// </summary>
internal static class RecordReceivedDay
{
    /// <summary>The record's log timestamp; the Unix epoch when the record has none.</summary>
    /// <exception cref="EventRejectedException">The timestamp is not a date at all.</exception>
    public static DateTimeOffset Timestamp(Message<byte[]?, byte[]?> message)
    {
        if (message.Timestamp.Type == TimestampType.NotAvailable)
        {
            return DateTimeOffset.UnixEpoch;
        }

        try
        {
            return DateTimeOffset.FromUnixTimeMilliseconds(message.Timestamp.UnixTimestampMs);
        }
        catch (ArgumentOutOfRangeException exception)
        {
            throw new EventRejectedException(
                EventRejectionReason.InvalidReceivedAt,
                $"The record's timestamp ({message.Timestamp.UnixTimestampMs} ms) is not a date. Produce records with their creation time.",
                exception);
        }
    }

    public static DateOnly Of(ReadOnlySpan<byte> json, DateTimeOffset timestamp)
    {
        DateTimeOffset receivedAt = ReceivedAt(json) ?? timestamp;
        return DateOnly.FromDateTime(receivedAt.UtcDateTime);
    }

    /// <summary>
    /// The sealed-at of a batch this record opens, which the library also stamps on the batch's events that have no
    /// <c>receivedAt</c>: the record's log timestamp, or its own <c>receivedAt</c> when that is on another day than the
    /// timestamp. A sealed-at on another day than the batch's would have every later event of the batch without
    /// <c>receivedAt</c> refused as received on that other day.
    /// </summary>
    public static DateTimeOffset SealedAt(ReadOnlySpan<byte> json, DateTimeOffset timestamp) =>
        ReceivedAt(json) is { } receivedAt && DateOnly.FromDateTime(receivedAt.UtcDateTime) != DateOnly.FromDateTime(timestamp.UtcDateTime)
            ? receivedAt
            : timestamp;

    private static DateTimeOffset? ReceivedAt(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.CurrentDepth > 0)
            {
                if (reader.CurrentDepth == 1 && reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("receivedAt"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String || !reader.TryGetDateTimeOffset(out DateTimeOffset value))
                    {
                        return null;
                    }

                    return reader.TryGetDateTime(out DateTime dateTime) && dateTime.Kind == DateTimeKind.Unspecified
                        ? new DateTimeOffset(dateTime, TimeSpan.Zero)
                        : value;
                }

                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            // The library refuses the event with its own message when it is appended.
        }

        return null;
    }
}
