using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace RawDataDestination.Ndjson;

/// <summary>
/// The rule for an event's own <c>receivedAt</c>: an ISO-8601 date string, at or after 1970-01-01T00:00:00Z and, when
/// the host's clock is given, at most <see cref="MostAhead"/> after it. A value without an offset is UTC (as in
/// Segment's API) and is read without passing through the server's time zone. RFC 3339's other forms are read too: a
/// lower-case <c>t</c> or <c>z</c>, a space between date and time (RFC 3339 section 5.6), and a leap second
/// (<c>23:59:60Z</c>, section 5.7), read as the last instant of the minute it ends, so of the UTC day it closes. The
/// event's bytes are kept as sent whatever the form. Every malformed value, escapes included, is refused with an
/// <see cref="EventRejectedException"/>.
/// </summary>
internal static class ReceivedAt
{
    /// <summary>
    /// How far after the host's clock a <c>receivedAt</c> may be: one day, more than any time zone's offset (at most
    /// 14 hours, as when a local time is sent marked <c>Z</c>) plus clock skew; beyond it the sender's clock is wrong,
    /// and its UTC day would put the event in a folder no reader looks in yet.
    /// </summary>
    public static readonly TimeSpan MostAhead = TimeSpan.FromDays(1);

    /// <summary>The longest value tried as one of RFC 3339's other forms: a date, time, nine fractional digits and an offset fit.</summary>
    private const int LongestOtherForm = 48;

    /// <summary>What a date and time in any of RFC 3339's forms is written with; a value with anything else is no such form.</summary>
    private static readonly SearchValues<byte> DateAndTimeBytes = SearchValues.Create("0123456789-:.+TZtz "u8);

    /// <summary>Reads the value the reader is on; throws <see cref="EventRejectedException"/> when it breaks the rule.</summary>
    /// <param name="reader">A reader on the value.</param>
    /// <param name="clock">
    /// The host's clock at receipt: a value more than <see cref="MostAhead"/> after it is refused. <see langword="null"/>
    /// for no such bound (a line the library wrote itself, or a time the host chose rather than read from a clock).
    /// </param>
    public static DateTimeOffset Read(ref Utf8JsonReader reader, DateTimeOffset? clock = null)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw Refused($"a JSON {Describe(reader.TokenType)}");
        }

        DateTimeOffset latest = Latest(clock);

        // The usual value, unescaped and valid, is read from its bytes: no string per event. Anything else (an escape,
        // a value refused) is read again below as text, which words every refusal.
        if (!reader.ValueIsEscaped && TryParse(ref reader, reader.ValueSpan, out DateTimeOffset plain) && plain >= DateTimeOffset.UnixEpoch && plain <= latest)
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

        if (value > latest)
        {
            throw new EventRejectedException(
                EventRejectionReason.InvalidReceivedAt,
                $"The event's receivedAt is '{text}', more than a day after this host's clock ({clock!.Value.UtcDateTime:yyyy'-'MM'-'dd'T'HH':'mm':'ss'Z'}): its UTC day would put it in a folder no reader looks in yet. Fix the sender's clock, or leave receivedAt out to have the time of receipt recorded.");
        }

        return value;
    }

    /// <summary>The latest <c>receivedAt</c> accepted at <paramref name="clock"/>: <see cref="MostAhead"/> after it, or any time without a clock.</summary>
    private static DateTimeOffset Latest(DateTimeOffset? clock) =>
        clock is { } now && now.UtcTicks <= DateTimeOffset.MaxValue.UtcTicks - MostAhead.Ticks ? now + MostAhead : DateTimeOffset.MaxValue;

    /// <summary>
    /// The refusal of a date and time, valid in themselves, that their offset moves before year 1 or past year 9999 in
    /// UTC; <see langword="null"/> for any other value. Only the first and the last day can be moved out so.
    /// </summary>
    private static EventRejectedException? OutOfRange(string text)
    {
        if (text.Length > 10 && text[10] is 't' or ' ')
        {
            text = string.Concat(text.AsSpan(0, 10), "T", text.AsSpan(11)); // RFC 3339's other separators, as the parse reads them
        }

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
    /// Parses the value the reader is on, given its unescaped UTF-8 <paramref name="text"/>: as ISO 8601, or else as one
    /// of RFC 3339's other forms (<see cref="TryParseOtherForm"/>).
    /// </summary>
    private static bool TryParse(ref Utf8JsonReader reader, ReadOnlySpan<byte> text, out DateTimeOffset value) =>
        TryParseIso(ref reader, text, out value) || TryParseOtherForm(text, out value);

    /// <summary>
    /// Parses <paramref name="text"/> written in one of RFC 3339's forms that <see cref="Utf8JsonReader"/> does not read:
    /// a lower-case <c>t</c> or <c>z</c>, a space for the <c>T</c>, or a leap second (<c>:60</c>). It is rewritten, in a
    /// copy on the stack, to the form the reader reads (the event's own bytes are not touched), and read as that. A leap
    /// second is read as the last instant of its minute (<c>23:59:59.9999999</c>): it is the last second of the UTC day
    /// it is inserted at the end of, so that day is the event's; it is accepted only there, at 23:59 UTC, as RFC 3339
    /// section 5.7 allows it. Nothing is allocated.
    /// </summary>
    private static bool TryParseOtherForm(ReadOnlySpan<byte> text, out DateTimeOffset value)
    {
        value = default;
        if (text.Length <= 10 || text.Length > LongestOtherForm || text.ContainsAnyExcept(DateAndTimeBytes))
        {
            return false;
        }

        Span<byte> quoted = stackalloc byte[LongestOtherForm + 2];
        quoted[0] = (byte)'"';
        text.CopyTo(quoted[1..]);
        quoted[text.Length + 1] = (byte)'"';
        quoted = quoted[..(text.Length + 2)];
        Span<byte> form = quoted[1..^1];

        bool other = false;
        if (form[10] is (byte)'t' or (byte)' ')
        {
            form[10] = (byte)'T';
            other = true;
        }

        if (form[^1] == (byte)'z')
        {
            form[^1] = (byte)'Z';
            other = true;
        }

        bool leapSecond = form.Length >= 19 && form[10] == (byte)'T' && form[16] == (byte)':' && form[17] == (byte)'6' && form[18] == (byte)'0';
        if (leapSecond)
        {
            form[17] = (byte)'5';
            form[18] = (byte)'9';
            other = true;
        }

        var reader = new Utf8JsonReader(quoted);
        if (!other || !reader.Read() || !TryParseIso(ref reader, form, out value))
        {
            return false;
        }

        if (leapSecond)
        {
            long lastTick = value.Ticks - (value.Ticks % TimeSpan.TicksPerSecond) + TimeSpan.TicksPerSecond - 1;
            value = new DateTimeOffset(lastTick, value.Offset);
            if (value.UtcDateTime.TimeOfDay < new TimeSpan(23, 59, 59))
            {
                value = default;
                return false; // not the end of a UTC day, where no leap second is inserted
            }
        }

        return true;
    }

    /// <summary>
    /// Parses the value the reader is on as ISO 8601, given its unescaped UTF-8 <paramref name="text"/>: with an offset
    /// after the time, as that offset; without one, as UTC, without a detour through local time.
    /// </summary>
    private static bool TryParseIso(ref Utf8JsonReader reader, ReadOnlySpan<byte> text, out DateTimeOffset value)
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
