using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Unicode;

namespace RawDataDestination.Ndjson;

/// <summary>
/// Validates one event (a single JSON object of UTF-8 bytes) and writes it compact on one line.
/// Neither method allocates for valid input.
/// </summary>
internal static class EventJson
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
    /// <returns>The number of bytes written.</returns>
    /// <exception cref="EventRejectedException">The event is refused; the message says why. The destination may hold partial output.</exception>
    public static int ValidateAndWriteLine(ReadOnlySpan<byte> json, int maxEventBytes, DateTimeOffset appendedAt, Span<byte> destination, out DateTimeOffset? receivedAt)
    {
        CheckSizeAndEmpty(json, maxEventBytes);
        int written = JsonCompactor.Scan(json, destination, write: true, out int receivedAtValue);
        if (written < 0)
        {
            receivedAt = ValidateWithReader(json);
            written = Compact(json, destination);
        }
        else
        {
            receivedAt = receivedAtValue < 0 ? null : ReadReceivedAt(json[receivedAtValue..]);
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
    internal static DateTimeOffset? ValidateWithReader(ReadOnlySpan<byte> json, bool refuseUnreadable = true)
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
                throw new EventRejectedException(
                    EventRejectionReason.NotAnObject,
                    $"The event is a JSON {Describe(reader.TokenType)}, not an object. Each event must be one JSON object ({{...}}).");
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
                    receivedAt = ReadReceivedAt(ref reader);
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
            throw new EventRejectedException(
                EventRejectionReason.TrailingData,
                $"The event has data after its JSON object, at byte {reader.BytesConsumed}. Send one JSON object per event (one per line in NDJSON input).");
        }

        return receivedAt;
    }

    /// <summary>Whether brackets outside strings open more than <see cref="MaxDepth"/> deep: read on a refusal only, to word it.</summary>
    private static bool NestsDeeperThanMaxDepth(ReadOnlySpan<byte> json)
    {
        int depth = 0;
        bool inString = false;
        for (int i = 0; i < json.Length; i++)
        {
            byte b = json[i];
            if (inString)
            {
                i += b == (byte)'\\' ? 1 : 0; // an escape: the next byte is part of it
                inString = b != (byte)'"';
            }
            else if (b is (byte)'{' or (byte)'[')
            {
                if (++depth > MaxDepth)
                {
                    return true;
                }
            }
            else if (b is (byte)'}' or (byte)']')
            {
                depth--;
            }
            else
            {
                inString = b == (byte)'"';
            }
        }

        return false;
    }

    /// <summary>
    /// The refusal of an event the reader could not read, from the event's bytes and the reader's error (a refusal only:
    /// valid events never come here). A trailing comma is named as such: the reader's own words for it end "Change the
    /// reader options", which the sender of an event can't do.
    /// </summary>
    private static string NotJson(ReadOnlySpan<byte> json, JsonException exception)
    {
        if (TrailingComma(json, exception) is { } comma)
        {
            string closes = json[comma.Closer] == (byte)'}' ? "'}' that closes an object" : "']' that closes an array";
            return $"The event is not valid JSON ({Where(json, comma.Comma)}): it has a trailing comma, before the {closes}, which JSON does not allow, so the event was refused. Remove that comma.";
        }

        return $"The event is not valid JSON ({Where(exception)}): {ParserReason(exception)} Send each event as one JSON object, such as {{\"type\":\"track\",\"event\":\"Order Completed\"}}.";
    }

    /// <summary>
    /// Where the reader stopped, when it stopped at a <c>}</c> or <c>]</c> with only a comma (and whitespace) before it:
    /// the comma's index and the closing bracket's; otherwise <see langword="null"/>.
    /// </summary>
    private static (int Comma, int Closer)? TrailingComma(ReadOnlySpan<byte> json, JsonException exception)
    {
        // The reader's position: its line (counted by '\n', from 0) and the byte in that line.
        int at = 0;
        for (long line = exception.LineNumber ?? 0; line > 0 && at < json.Length; line--)
        {
            int next = json[at..].IndexOf((byte)'\n');
            at = next < 0 ? json.Length : at + next + 1;
        }

        at += (int)Math.Min(exception.BytePositionInLine ?? 0, json.Length);
        if (at >= json.Length || json[at] is not ((byte)'}' or (byte)']'))
        {
            return null;
        }

        int before = json[..at].TrimEnd(" \t\r\n"u8).Length - 1;
        return before >= 0 && json[before] == (byte)',' ? (before, at) : null;
    }

    /// <summary>Where byte <paramref name="index"/> of the event is, in the words of <see cref="Where(JsonException)"/>.</summary>
    private static string Where(ReadOnlySpan<byte> json, int index)
    {
        ReadOnlySpan<byte> before = json[..index];
        int lines = before.Count((byte)'\n');
        int offset = index - (before.LastIndexOf((byte)'\n') + 1);
        return lines > 0
            ? string.Create(CultureInfo.InvariantCulture, $"at offset {offset} of the event's line {lines + 1}")
            : string.Create(CultureInfo.InvariantCulture, $"at offset {offset}");
    }

    /// <summary>Where in the event the parser stopped: a byte offset, and the event's own line when it spans several.</summary>
    private static string Where(JsonException exception) =>
        exception.LineNumber is > 0
            ? string.Create(CultureInfo.InvariantCulture, $"at offset {exception.BytePositionInLine ?? 0} of the event's line {exception.LineNumber + 1}")
            : string.Create(CultureInfo.InvariantCulture, $"at offset {exception.BytePositionInLine ?? 0}");

    /// <summary>
    /// The parser's reason without the position it appends (" LineNumber: 0 | BytePositionInLine: 1."): its line counts
    /// from 0 within the event, which reads as a contradiction beside the input's own line number.
    /// </summary>
    private static string ParserReason(JsonException exception)
    {
        string message = exception.Message;
        int position = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return position < 0 ? message : message[..position];
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
    private static DateTimeOffset ReadReceivedAt(ReadOnlySpan<byte> value)
    {
        var reader = new Utf8JsonReader(value, ReaderOptions);
        reader.Read();
        return ReadReceivedAt(ref reader);
    }

    private static DateTimeOffset ReadReceivedAt(ref Utf8JsonReader reader) => ReceivedAt.Read(ref reader);

    private static string Describe(JsonTokenType tokenType) => tokenType switch
    {
        JsonTokenType.StartArray => "array",
        JsonTokenType.String => "string",
        JsonTokenType.Number => "number",
        JsonTokenType.True or JsonTokenType.False => "boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.StartObject => "object",
        _ => tokenType.ToString(),
    };

    private static int FirstInvalidUtf8Offset(ReadOnlySpan<byte> json)
    {
        int offset = 0;
        while (offset < json.Length)
        {
            if (System.Text.Rune.DecodeFromUtf8(json[offset..], out _, out int consumed) != OperationStatus.Done)
            {
                return offset;
            }

            offset += consumed;
        }

        return offset;
    }
}
