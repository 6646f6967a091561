using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace RawDataDestination.Ndjson;

/// <summary>
/// The words of <see cref="EventJson"/>'s refusals: each says what is wrong with the event, where in it, and what to send
/// instead. Read only on a refusal: valid events never come here.
/// </summary>
internal static partial class EventJson
{
    /// <summary>
    /// Words an event that does not start an object. A scalar with more after it (<c>1,foo</c>) is not a JSON value at
    /// all, most likely a line of CSV or other text, and is said to be, rather than called a number.
    /// </summary>
    private static string NotAnObject(ReadOnlySpan<byte> json, ref Utf8JsonReader reader)
    {
        string what = Describe(reader.TokenType);
        bool scalar = reader.TokenType is not (JsonTokenType.StartArray or JsonTokenType.StartObject);
        return scalar && !json[(int)reader.BytesConsumed..].Trim(" \t\r\n"u8).IsEmpty
            ? $"The event is not JSON: it starts with a JSON {what} and has more after it, at byte {reader.BytesConsumed} (is the input CSV or other text?). Each event must be one JSON object ({{...}})."
            : $"The event is a JSON {what}, not an object. Each event must be one JSON object ({{...}}).";
    }

    /// <summary>
    /// Words data after the object. When a carriage return alone comes first, the input's lines most likely end in CR
    /// (as old Mac OS files do), so a reader that cuts lines at LF took several events for one: that is said.
    /// </summary>
    private static string DataAfterTheObject(ReadOnlySpan<byte> json, long objectEnd)
    {
        ReadOnlySpan<byte> after = json[(int)objectEnd..].TrimStart(" \t"u8);
        return after.Length > 1 && after[0] == (byte)'\r' && after[1] != (byte)'\n'
            ? $"The event has data after its JSON object, past a carriage return at byte {json.Length - after.Length}: lines that end in a carriage return alone (CR, as old Mac OS files do) read as one. End each event's line with a line feed (LF or CRLF)."
            : $"The event has data after its JSON object, at byte {objectEnd}. Send one JSON object per event (one per line in NDJSON input).";
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
