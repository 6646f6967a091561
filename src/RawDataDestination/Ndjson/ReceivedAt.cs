using System.Globalization;
using System.Text;
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
        // a value refused) is read again below as text, which words every refusal.
        if (!reader.ValueIsEscaped && TryParse(ref reader, reader.ValueSpan, out DateTimeOffset plain) && plain >= DateTimeOffset.UnixEpoch)
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

        if (!TryParse(ref reader, Encoding.UTF8.GetBytes(text), out DateTimeOffset value))
        {
            // A valid date and time that its offset moves out of what a date can hold (0001-01-01T00:00:00+01:00,
            // 9999-12-31T23:59:59-05:00) is said as such, not as a malformed date.
            throw OutOfRange(text) ?? Refused("'" + text + "'");
        }

        if (value < DateTimeOffset.UnixEpoch)
        {
            throw BeforeEpoch(text);
        }

        return value;
    }

    /// <summary>
    /// The refusal of a date and time, valid in themselves, that their offset moves before year 1 or past year 9999 in
    /// UTC; <see langword="null"/> for any other value. Only the first and the last day can be moved out so.
    /// </summary>
    private static EventRejectedException? OutOfRange(string text)
    {
        int offset = text.LastIndexOfAny(['+', '-']);
        if (offset <= text.IndexOf('T', StringComparison.Ordinal)
            || !DateTime.TryParse(text.AsSpan(0, offset), CultureInfo.InvariantCulture, DateTimeStyles.None, out DateTime local))
        {
            return null;
        }

        return (local.Year, text[offset]) switch
        {
            (1, '+') => BeforeEpoch(text),
            (9999, '-') => new EventRejectedException(
                EventRejectionReason.InvalidReceivedAt,
                $"The event's receivedAt is '{text}', after 9999-12-31T23:59:59Z in UTC, the latest time that can be stored. Fix the sender's clock, or leave receivedAt out to have the time of receipt recorded."),
            _ => null,
        };
    }

    private static EventRejectedException BeforeEpoch(string text) => new(
        EventRejectionReason.InvalidReceivedAt,
        $"The event's receivedAt is '{text}', before 1970-01-01T00:00:00Z: object keys and spool folders count days from then, so earlier dates cannot be stored. Fix the sender's clock, or leave receivedAt out to have the time of receipt recorded.");

    /// <summary>
    /// Parses the value the reader is on, given its unescaped UTF-8 <paramref name="text"/>: with an offset after the
    /// time, as that offset; without one, as UTC, without a detour through local time.
    /// </summary>
    private static bool TryParse(ref Utf8JsonReader reader, ReadOnlySpan<byte> text, out DateTimeOffset value)
    {
        if (HasOffset(text))
        {
            return reader.TryGetDateTimeOffset(out value);
        }

        if (reader.TryGetDateTime(out DateTime dateTime) && dateTime.Kind == DateTimeKind.Unspecified)
        {
            value = new DateTimeOffset(dateTime, TimeSpan.Zero);
            return true;
        }

        value = default;
        return false;
    }

    /// <summary>Whether an ISO-8601 date-time ends with an offset (<c>Z</c> or <c>±hh:mm</c>) after its time.</summary>
    private static bool HasOffset(ReadOnlySpan<byte> text)
    {
        int time = text.IndexOf((byte)'T');
        return time >= 0 && (text[^1] is (byte)'Z' or (byte)'z' || text[time..].IndexOfAny((byte)'+', (byte)'-') >= 0);
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
