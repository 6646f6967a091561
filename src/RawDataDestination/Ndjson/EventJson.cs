using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Unicode;

namespace RawDataDestination.Ndjson;

/// <summary>
/// Validates one event (a single JSON object of UTF-8 bytes) and writes it compact on one line.
/// Neither method allocates for valid input.
/// </summary>
internal static partial class EventJson
{
    /// <summary>The longest stamp <see cref="WriteLine"/> adds: <c>,"receivedAt":"2023-11-24T10:00:00.000Z"</c>.</summary>
    public const int MaxStampBytes = 42;

    /// <summary>The most bytes <see cref="WriteLine"/> writes beyond the input's own length (stamp and newline).</summary>
    public const int MaxLineOverhead = MaxStampBytes + 1;

    /// <summary>How deep an event may nest objects and arrays: <see cref="Utf8JsonReader"/>'s default, which the one-pass scan leaves to it.</summary>
    public const int MaxDepth = 64;

    private static readonly SearchValues<byte> QuoteOrWhitespace = SearchValues.Create(" \t\r\n\""u8);
    private static readonly SearchValues<byte> QuoteOrBackslash = SearchValues.Create("\"\\"u8);
    private static readonly JsonReaderOptions ReaderOptions = new() { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = MaxDepth };

    /// <summary>
    /// Checks that <paramref name="json"/> is exactly one JSON object of valid UTF-8, at most <paramref name="maxEventBytes"/>
    /// long, that the readers of the objects can read (see <paramref name="refuseUnreadable"/>).
    /// </summary>
    /// <param name="json">The event.</param>
    /// <param name="maxEventBytes">The largest event accepted.</param>
    /// <param name="refuseUnreadable">
    /// Whether what readers of the objects refuse a whole file for is refused: a name given twice in one object
    /// (<see cref="RepeatedNameCheck"/>) or half a surrogate pair escaped alone (<see cref="UnpairedSurrogates"/>). Always
    /// for a new event; not for a line the library wrote itself (a spool's or a sealed file's), which a version before
    /// those rules may have written.
    /// </param>
    /// <returns>The event's <c>receivedAt</c>, or <see langword="null"/> when it has none.</returns>
    /// <exception cref="EventRejectedException">The event is refused; the message says why.</exception>
    public static DateTimeOffset? Validate(ReadOnlySpan<byte> json, int maxEventBytes, bool refuseUnreadable = true)
    {
        CheckSizeAndEmpty(json, maxEventBytes);
        if (JsonCompactor.Scan(json, default, write: false, out int receivedAtValue) >= 0)
        {
            return receivedAtValue < 0 ? null : ReadReceivedAt(json[receivedAtValue..]);
        }

        return ValidateWithReader(json, refuseUnreadable);
    }

    /// <summary>
    /// Validates and writes the event compact on one line in one pass: <see cref="Validate"/> and <see cref="WriteLine"/>
    /// in one read of the input for ordinary events (the full reader decides the rest, with the same refusals).
    /// </summary>
    /// <param name="json">The event.</param>
    /// <param name="maxEventBytes">The largest event accepted.</param>
    /// <param name="appendedAt">The time recorded as <c>receivedAt</c> when the event has none.</param>
    /// <param name="destination">At least <c>json.Length + </c><see cref="MaxLineOverhead"/> bytes.</param>
    /// <param name="receivedAt">The event's own <c>receivedAt</c>, or <see langword="null"/> when it was stamped with <paramref name="appendedAt"/>.</param>
    /// <param name="clock">
    /// The host's clock at receipt, when <paramref name="appendedAt"/> is read from one: a <c>receivedAt</c> more than
    /// <see cref="ReceivedAt.MostAhead"/> after it is refused. <see langword="null"/> for no such bound.
    /// </param>
    /// <returns>The number of bytes written.</returns>
    /// <exception cref="EventRejectedException">The event is refused; the message says why. The destination may hold partial output.</exception>
    public static int ValidateAndWriteLine(ReadOnlySpan<byte> json, int maxEventBytes, DateTimeOffset appendedAt, Span<byte> destination, out DateTimeOffset? receivedAt, DateTimeOffset? clock = null)
    {
        CheckSizeAndEmpty(json, maxEventBytes);
        int written = JsonCompactor.Scan(json, destination, write: true, out int receivedAtValue);
        if (written < 0)
        {
            receivedAt = ValidateWithReader(json, clock: clock);
            written = Compact(json, destination);
        }
        else
        {
            receivedAt = receivedAtValue < 0 ? null : ReadReceivedAt(json[receivedAtValue..], clock);
        }

        return EndLine(destination, written, receivedAt is null ? appendedAt : null);
    }

    /// <summary>The refusals decided before any parsing: too large, or empty.</summary>
    private static void CheckSizeAndEmpty(ReadOnlySpan<byte> json, int maxEventBytes)
    {
        if (json.Length > maxEventBytes)
        {
            throw TooLarge(json.Length, maxEventBytes);
        }

        if (json.Trim(" \t\r\n"u8).IsEmpty)
        {
            throw new EventRejectedException(
                EventRejectionReason.Empty,
                "The event is empty. Each event must be one JSON object, such as {\"type\":\"track\",\"event\":\"Order Completed\"}.");
        }
    }

    /// <summary>
    /// The refusal of an event over the limit, naming the limit in the host's words. Made here, not where it is thrown:
    /// a lambda there would capture the checking method's parameter, and allocate its closure on every event.
    /// </summary>
    private static EventRejectedException TooLarge(int length, int maxEventBytes) =>
        new(EventRejectionReason.TooLarge, words => $"The event is {length} bytes, over the limit of {maxEventBytes} bytes ({words.Name("MaxEventBytes")}). Send smaller events or raise {words.Name("MaxEventBytes")}.");

    /// <summary>The full reader's pass: decides what the one-pass path declined, and words every refusal.</summary>
    /// <param name="json">The event.</param>
    /// <param name="refuseUnreadable">Whether what readers of the objects refuse a whole file for is refused (see <see cref="Validate"/>).</param>
    /// <param name="clock">The host's clock at receipt, which bounds <c>receivedAt</c> (see <see cref="ValidateAndWriteLine"/>), or <see langword="null"/>.</param>
    internal static DateTimeOffset? ValidateWithReader(ReadOnlySpan<byte> json, bool refuseUnreadable = true, DateTimeOffset? clock = null)
    {
        if (!Utf8.IsValid(json))
        {
            throw new EventRejectedException(
                EventRejectionReason.InvalidUtf8,
                $"The event is not valid UTF-8 (first bad byte at offset {FirstInvalidUtf8Offset(json)}). Encode events as UTF-8.");
        }

        var reader = new Utf8JsonReader(json, ReaderOptions);
        DateTimeOffset? receivedAt = null;
        try
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new EventRejectedException(EventRejectionReason.NotAnObject, NotAnObject(json, ref reader));
            }

            bool sawReceivedAt = false;
            var names = refuseUnreadable ? new RepeatedNameCheck() : null;
            names?.Read(ref reader);
            while (reader.Read())
            {
                if (reader.CurrentDepth == 0)
                {
                    break; // the root object's end
                }

                if (refuseUnreadable && reader.ValueIsEscaped && reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName)
                {
                    UnpairedSurrogates.ThrowIfAny(reader.ValueSpan, reader.TokenStartIndex + 1); // first: a name's GetString would throw on one
                }

                names?.Read(ref reader);

                if (!sawReceivedAt && reader.CurrentDepth == 1 && reader.TokenType == JsonTokenType.PropertyName
                    && reader.ValueTextEquals("receivedAt"u8))
                {
                    sawReceivedAt = true;
                    reader.Read();
                    receivedAt = ReceivedAt.Read(ref reader, clock);
                }
            }
        }
        catch (JsonException exception) when (NestsDeeperThanMaxDepth(json))
        {
            throw new EventRejectedException(
                EventRejectionReason.InvalidJson,
                $"The event nests objects and arrays more than {MaxDepth} deep ({Where(exception)}), deeper than this library reads. Flatten its deepest properties.",
                exception);
        }
        catch (JsonException exception)
        {
            throw new EventRejectedException(EventRejectionReason.InvalidJson, NotJson(json, exception), exception);
        }

        if (!json[(int)reader.BytesConsumed..].Trim(" \t\r\n"u8).IsEmpty)
        {
            throw new EventRejectedException(EventRejectionReason.TrailingData, DataAfterTheObject(json, reader.BytesConsumed));
        }

        return receivedAt;
    }

    /// <summary>
    /// Writes a validated event compact (insignificant whitespace removed, everything else byte for byte),
    /// adds <c>"receivedAt"</c> when <paramref name="stamp"/> is given, and ends the line with <c>\n</c>.
    /// </summary>
    /// <param name="json">An event that passed <see cref="Validate"/>.</param>
    /// <param name="stamp">The time to record as <c>receivedAt</c>, or <see langword="null"/> when the event has its own.</param>
    /// <param name="destination">At least <c>json.Length + </c><see cref="MaxLineOverhead"/> bytes.</param>
    /// <returns>The number of bytes written.</returns>
    public static int WriteLine(ReadOnlySpan<byte> json, DateTimeOffset? stamp, Span<byte> destination)
    {
        int written = JsonCompactor.Scan(json, destination, write: true, out _);
        return EndLine(destination, written >= 0 ? written : Compact(json, destination), stamp);
    }

    /// <summary>Adds <c>"receivedAt"</c> to the compact object in <paramref name="destination"/> when <paramref name="stamp"/> is given, and the newline.</summary>
    private static int EndLine(Span<byte> destination, int written, DateTimeOffset? stamp)
    {
        if (stamp is { } time)
        {
            written--; // reopen the root object: compact output ends with '}'
            if (destination[written - 1] != (byte)'{')
            {
                destination[written++] = (byte)',';
            }

            "\"receivedAt\":\""u8.CopyTo(destination[written..]);
            written += 14;
            time.UtcDateTime.TryFormat(destination[written..], out int dateBytes, "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fff'Z'", CultureInfo.InvariantCulture);
            written += dateBytes;
            "\"}"u8.CopyTo(destination[written..]);
            written += 2;
        }

        destination[written++] = (byte)'\n';
        return written;
    }

    private static int Compact(ReadOnlySpan<byte> json, Span<byte> destination)
    {
        int written = 0;
        while (true)
        {
            int next = json.IndexOfAny(QuoteOrWhitespace);
            if (next < 0)
            {
                json.CopyTo(destination[written..]);
                return written + json.Length;
            }

            json[..next].CopyTo(destination[written..]);
            written += next;
            if (json[next] == (byte)'"')
            {
                int end = next + 1 + StringBodyLength(json[(next + 1)..]) + 1;
                json[next..end].CopyTo(destination[written..]);
                written += end - next;
                json = json[end..];
            }
            else
            {
                json = json[(next + 1)..];
            }
        }
    }

    /// <summary>The length of a validated string's body, up to (not including) its closing quote.</summary>
    private static int StringBodyLength(ReadOnlySpan<byte> body)
    {
        int position = 0;
        while (true)
        {
            int next = body[position..].IndexOfAny(QuoteOrBackslash);
            if (body[position + next] == (byte)'"')
            {
                return position + next;
            }

            position += next + 2; // skip the backslash and the character it escapes
        }
    }

    /// <summary>Reads the <c>receivedAt</c> value that starts <paramref name="value"/> (the rest of a validated event).</summary>
    private static DateTimeOffset ReadReceivedAt(ReadOnlySpan<byte> value, DateTimeOffset? clock = null)
    {
        var reader = new Utf8JsonReader(value, ReaderOptions);
        reader.Read();
        return ReceivedAt.Read(ref reader, clock);
    }
}
