using System.Text.Json;

namespace RawDataDestination.Ndjson;

/// <summary>
/// The rule for an event's own <c>receivedAt</c>: an ISO-8601 date string, at or after 1970-01-01T00:00:00Z. A value
/// without an offset is UTC (as in Segment's API) and is read without passing through the server's time zone. Every
/// malformed value, escapes included, is refused with an <see cref="EventRejectedException"/>.
/// </summary>
internal static class ReceivedAt
{
    /// <summary>Reads the value the reader is on; throws <see cref="EventRejectedException"/> when it breaks the rule.</summary>
    public static DateTimeOffset Read(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw Refused($"a JSON {Describe(reader.TokenType)}");
        }

        // The usual value, unescaped and valid, is read from its bytes: no string per event. Anything else (an escape,
        // a value refused) takes the path below, which words every refusal.
        if (!reader.ValueIsEscaped && TryReadPlain(ref reader, out DateTimeOffset plain))
        {
            return plain;
        }

        string text;
        try
        {
            text = reader.GetString()!; // unescapes; a lone surrogate escape such as \ud800 throws here
        }
        catch (InvalidOperationException exception)
        {
            throw new EventRejectedException(
                EventRejectionReason.InvalidReceivedAt,
                $"The event's receivedAt holds an escape that is not valid UTF-16 ({exception.Message}). Use a value like \"2023-11-24T10:00:00.000Z\".",
                exception);
        }

        DateTimeOffset value;
        if (HasOffset(text))
        {
            if (!reader.TryGetDateTimeOffset(out value))
            {
                throw Refused("'" + text + "'");
            }
        }
        else if (reader.TryGetDateTime(out DateTime dateTime) && dateTime.Kind == DateTimeKind.Unspecified)
        {
            value = new DateTimeOffset(dateTime, TimeSpan.Zero); // UTC, without a detour through local time
        }
        else
        {
            throw Refused("'" + text + "'");
        }

        if (value < DateTimeOffset.UnixEpoch)
        {
            throw new EventRejectedException(
                EventRejectionReason.InvalidReceivedAt,
                $"The event's receivedAt is '{text}', before 1970-01-01T00:00:00Z: object keys and spool folders count days from then, so earlier dates cannot be stored. Fix the sender's clock, or leave receivedAt out to have the time of receipt recorded.");
        }

        return value;
    }

    /// <summary>Whether an ISO-8601 date-time ends with an offset (<c>Z</c> or <c>±hh:mm</c>) after its time.</summary>
    /// <summary>The rule below, on the bytes of an unescaped value; false for anything the rule would refuse.</summary>
    private static bool TryReadPlain(ref Utf8JsonReader reader, out DateTimeOffset value)
    {
        ReadOnlySpan<byte> raw = reader.ValueSpan;
        int time = raw.IndexOf((byte)'T');
        bool hasOffset = time >= 0 && (raw[^1] is (byte)'Z' or (byte)'z' || raw[time..].IndexOfAny((byte)'+', (byte)'-') >= 0);
        if (hasOffset)
        {
            if (!reader.TryGetDateTimeOffset(out value))
            {
                return false;
            }
        }
        else if (reader.TryGetDateTime(out DateTime dateTime) && dateTime.Kind == DateTimeKind.Unspecified)
        {
            value = new DateTimeOffset(dateTime, TimeSpan.Zero);
        }
        else
        {
            value = default;
            return false;
        }

        return value >= DateTimeOffset.UnixEpoch;
    }

    private static bool HasOffset(string text)
    {
        int time = text.IndexOf('T', StringComparison.Ordinal);
        return time >= 0 && (text.EndsWith('Z') || text.EndsWith('z') || text.IndexOfAny(['+', '-'], time) >= 0);
    }

    private static EventRejectedException Refused(string what) => new(
        EventRejectionReason.InvalidReceivedAt,
        $"The event's receivedAt is {what}, not an ISO-8601 date. Use a value like \"2023-11-24T10:00:00.000Z\", or leave receivedAt out to have the time of receipt recorded.");

    private static string Describe(JsonTokenType tokenType) => tokenType switch
    {
        JsonTokenType.StartArray => "array",
        JsonTokenType.Number => "number",
        JsonTokenType.True or JsonTokenType.False => "boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.StartObject => "object",
        _ => tokenType.ToString(),
    };
}
