using System.Buffers;
using System.Text.Unicode;

namespace RawDataDestination.Ndjson;

/// <summary>The scanners of single tokens (strings, numbers, literals) and the table of a string's bytes.</summary>
internal static partial class JsonCompactor
{
    private const byte Plain = 0;
    private const byte Quote = 1;
    private const byte Backslash = 2;
    private const byte Control = 3;

    /// <summary>The bytes a string holds as they are: printable ASCII but the quote and the backslash.</summary>
    private static readonly SearchValues<byte> PlainAscii = SearchValues.Create(Enumerable.Range(0x20, 0x60).Where(c => c is not ('"' or '\\')).Select(c => (byte)c).ToArray());

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
