using System.Buffers;
using System.Text.Unicode;

namespace RawDataDestination.Ndjson;

/// <summary>
/// The one-pass path for ordinary events: reads a JSON object once, checking its grammar and its strings' UTF-8, and
/// (when asked) copies it compact into a destination as it goes: runs of input between insignificant whitespace are
/// copied whole, so compact input costs one copy. It accepts only what <see cref="System.Text.Json.Utf8JsonReader"/>
/// accepts; anything it is not sure of (bad input, but also a byte-order mark, a <c>\u</c> escape of a surrogate, deep
/// nesting or an escaped top-level name) it declines, and <see cref="EventJson"/> falls back to the reader, which
/// decides and words the refusal. So refusals and their messages come from one place.
/// </summary>
/// <remarks>
/// Events are about a kilobyte of short strings, numbers and punctuation: a scalar loop over a class table beats
/// vectorized searches there, whose fixed cost per call is larger than the runs they would skip.
/// </remarks>
internal static class JsonCompactor
{
    /// <summary>Returned when the input needs the full reader.</summary>
    public const int Declined = -1;

    /// <summary>Deeper than this the reader's own depth rule (64) is left to decide.</summary>
    private const int MaxFastDepth = 62;

    private const byte ExpectKeyOrEnd = 0;
    private const byte ExpectKey = 1;
    private const byte ExpectColon = 2;
    private const byte ExpectValue = 3;
    private const byte ExpectValueOrEnd = 4;
    private const byte ExpectCommaOrEnd = 5;

    private const byte Plain = 0;
    private const byte Quote = 1;
    private const byte Backslash = 2;
    private const byte Control = 3;

    /// <summary>The bytes a string holds as they are: printable ASCII but the quote and the backslash.</summary>
    private static readonly SearchValues<byte> PlainAscii = SearchValues.Create(Enumerable.Range(0x20, 0x60).Where(c => c is not ('"' or '\\')).Select(c => (byte)c).ToArray());

    private static readonly SearchValues<byte> Whitespace = SearchValues.Create(" \t\r\n"u8);

    /// <summary>Each byte's class inside a string: 0 plain ASCII, 1 quote, 2 backslash, 3 control character, 4 non-ASCII.</summary>
    private static ReadOnlySpan<byte> StringClass =>
    [
        3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
        0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
        4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
        4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
        4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    ];

    /// <summary>
    /// Reads <paramref name="json"/> once. With <paramref name="write"/>, copies it compact into <paramref name="destination"/>
    /// (which must hold <c>json.Length</c> bytes); without, only checks it.
    /// </summary>
    /// <param name="json">The event.</param>
    /// <param name="destination">Where the compact copy goes, when <paramref name="write"/>.</param>
    /// <param name="write">Whether to copy.</param>
    /// <param name="receivedAtValue">The offset in <paramref name="json"/> of the first top-level <c>receivedAt</c>'s value, or -1.</param>
    /// <returns>The compact length, or <see cref="Declined"/> when the full reader must decide.</returns>
    public static int Scan(ReadOnlySpan<byte> json, Span<byte> destination, bool write, out int receivedAtValue)
    {
        receivedAtValue = -1;
        int n = json.Length;
        int i = 0;
        int skipped = 0; // whitespace bytes left out so far
        int runStart = 0; // the first byte not yet copied
        int depth = 0;
        ulong arrays = 0; // bit d set: the container at depth d is an array
        byte state = ExpectValue;
        bool receivedAtNext = false;
        ReadOnlySpan<byte> classes = StringClass;

        while (i < n)
        {
            byte b = json[i];
            switch (b)
            {
                case (byte)',':
                    if (state != ExpectCommaOrEnd)
                    {
                        return Declined;
                    }

                    state = (arrays & (1UL << depth)) != 0 ? ExpectValue : ExpectKey;
                    i++;
                    continue;
                case (byte)':':
                    if (state != ExpectColon)
                    {
                        return Declined;
                    }

                    state = ExpectValue;
                    i++;
                    continue;
                case (byte)'"':
                    // Most names and values are short plain ASCII: their closing quote is found right here.
                    int end = i + 1;
                    int plainEnd = Math.Min(n, end + 16);
                    while (end < plainEnd && classes[json[end]] == Plain)
                    {
                        end++;
                    }

                    if (end == n || json[end] != (byte)'"')
                    {
                        end = ScanString(json, end);
                        if (end < 0)
                        {
                            return Declined;
                        }
                    }

                    if (state is ExpectKeyOrEnd or ExpectKey)
                    {
                        if (depth == 1 && receivedAtValue < 0)
                        {
                            ReadOnlySpan<byte> name = json[(i + 1)..end];
                            if (name.Contains((byte)'\\'))
                            {
                                return Declined; // an escaped top-level name could spell receivedAt
                            }

                            receivedAtNext = name.SequenceEqual("receivedAt"u8);
                        }

                        state = ExpectColon;
                    }
                    else if (state is ExpectValue or ExpectValueOrEnd && depth > 0)
                    {
                        if (receivedAtNext)
                        {
                            receivedAtValue = i;
                            receivedAtNext = false;
                        }

                        state = ExpectCommaOrEnd;
                    }
                    else
                    {
                        return Declined;
                    }

                    i = end + 1;
                    continue;
                case (byte)'{' or (byte)'[':
                    if ((state != ExpectValue && state != ExpectValueOrEnd) || depth >= MaxFastDepth || (depth == 0 && b == (byte)'['))
                    {
                        return Declined;
                    }

                    if (receivedAtNext)
                    {
                        receivedAtValue = i;
                        receivedAtNext = false;
                    }

                    depth++;
                    if (b == (byte)'[')
                    {
                        arrays |= 1UL << depth;
                        state = ExpectValueOrEnd;
                    }
                    else
                    {
                        arrays &= ~(1UL << depth);
                        state = ExpectKeyOrEnd;
                    }

                    i++;
                    continue;
                case (byte)'}' or (byte)']':
                    bool isArray = (arrays & (1UL << depth)) != 0;
                    bool canClose = b == (byte)'}'
                        ? !isArray && (state == ExpectKeyOrEnd || state == ExpectCommaOrEnd)
                        : isArray && (state == ExpectValueOrEnd || state == ExpectCommaOrEnd);
                    if (!canClose || depth == 0)
                    {
                        return Declined;
                    }

                    i++;
                    depth--;
                    state = ExpectCommaOrEnd;
                    if (depth > 0)
                    {
                        continue;
                    }

                    if (i < n && json[i..].IndexOfAnyExcept(Whitespace) >= 0)
                    {
                        return Declined; // data after the object
                    }

                    if (write)
                    {
                        json[runStart..i].CopyTo(destination[(runStart - skipped)..]);
                    }

                    return i - skipped;
                case (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n':
                    if (write)
                    {
                        json[runStart..i].CopyTo(destination[(runStart - skipped)..]);
                    }

                    int next = i + 1;
                    while (next < n && json[next] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
                    {
                        next++;
                    }

                    skipped += next - i;
                    runStart = next;
                    i = next;
                    continue;
                default:
                    if (state is not (ExpectValue or ExpectValueOrEnd) || depth == 0)
                    {
                        return Declined;
                    }

                    int valueEnd = b is (byte)'-' or (>= (byte)'0' and <= (byte)'9') ? ScanNumber(json, i) : ScanLiteral(json, i);
                    if (valueEnd < 0)
                    {
                        return Declined;
                    }

                    if (receivedAtNext)
                    {
                        receivedAtValue = i;
                        receivedAtNext = false;
                    }

                    i = valueEnd;
                    state = ExpectCommaOrEnd;
                    continue;
            }
        }

        return Declined; // the input ended inside the object (or held only whitespace)
    }

    /// <summary>Finds a string's closing quote, checking escapes, control characters and UTF-8 on the way.</summary>
    /// <param name="json">The event.</param>
    /// <param name="p">The offset just after the opening quote.</param>
    /// <returns>The offset of the closing quote, or -1 to decline.</returns>
    private static int ScanString(ReadOnlySpan<byte> json, int p)
    {
        ReadOnlySpan<byte> classes = StringClass;
        while (true)
        {
            // Short strings (most names and values) are done in the scalar loop; a long run goes to a vectorized search.
            int scalarEnd = Math.Min(json.Length, p + 16);
            while (p < scalarEnd && classes[json[p]] == Plain)
            {
                p++;
            }

            if (p == scalarEnd && p < json.Length)
            {
                int special = json[p..].IndexOfAnyExcept(PlainAscii);
                p = special < 0 ? json.Length : p + special;
            }

            if (p >= json.Length)
            {
                return -1;
            }

            switch (classes[json[p]])
            {
                case Quote:
                    return p;
                case Backslash:
                    if (p + 1 >= json.Length)
                    {
                        return -1;
                    }

                    switch (json[p + 1])
                    {
                        case (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t':
                            p += 2;
                            continue;
                        case (byte)'u':
                            if (p + 6 > json.Length || !TryParseHex(json.Slice(p + 2, 4), out int code) || code is >= 0xD800 and <= 0xDFFF)
                            {
                                return -1; // surrogate escapes are left to the reader's rules
                            }

                            p += 6;
                            continue;
                        default:
                            return -1;
                    }

                case Control:
                    return -1;
                default:
                    // Non-ASCII: quotes, backslashes and control bytes never occur inside a multi-byte sequence, so the
                    // run of non-ASCII and plain bytes up to the next of them is checked whole.
                    int start = p;
                    while (p < json.Length && classes[json[p]] is Plain or 4)
                    {
                        p++;
                    }

                    if (!Utf8.IsValid(json[start..p]))
                    {
                        return -1;
                    }

                    continue;
            }
        }
    }

    /// <summary>Reads a number by JSON's grammar: <c>-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?</c>.</summary>
    /// <returns>The offset after the number, or -1.</returns>
    private static int ScanNumber(ReadOnlySpan<byte> json, int p)
    {
        int n = json.Length;
        if (json[p] == (byte)'-')
        {
            p++;
        }

        if (p >= n)
        {
            return -1;
        }

        if (json[p] == (byte)'0')
        {
            p++;
        }
        else if (IsDigit(json[p]))
        {
            p = Digits(json, p + 1);
        }
        else
        {
            return -1;
        }

        if (p < n && json[p] == (byte)'.')
        {
            int start = p + 1;
            p = Digits(json, start);
            if (p == start)
            {
                return -1;
            }
        }

        if (p < n && (json[p] | 0x20) == (byte)'e')
        {
            p++;
            if (p < n && json[p] is (byte)'+' or (byte)'-')
            {
                p++;
            }

            int start = p;
            p = Digits(json, start);
            if (p == start)
            {
                return -1;
            }
        }

        return p;
    }

    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    private static int Digits(ReadOnlySpan<byte> json, int p)
    {
        while (p < json.Length && IsDigit(json[p]))
        {
            p++;
        }

        return p;
    }

    private static int ScanLiteral(ReadOnlySpan<byte> json, int p)
    {
        ReadOnlySpan<byte> rest = json[p..];
        if (rest.StartsWith("true"u8) || rest.StartsWith("null"u8))
        {
            return p + 4;
        }

        return rest.StartsWith("false"u8) ? p + 5 : -1;
    }

    private static bool TryParseHex(ReadOnlySpan<byte> hex, out int value)
    {
        value = 0;
        foreach (byte h in hex)
        {
            int digit = h switch
            {
                >= (byte)'0' and <= (byte)'9' => h - '0',
                >= (byte)'a' and <= (byte)'f' => h - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => h - 'A' + 10,
                _ => -1,
            };
            if (digit < 0)
            {
                return false;
            }

            value = (value << 4) | digit;
        }

        return true;
    }
}
