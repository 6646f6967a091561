using System.Globalization;
using System.Text;

namespace RawDataDestination.Ndjson;

/// <summary>
/// The rule that an event's strings escape no half of a UTF-16 surrogate pair without its other half (such as
/// <c>"\udc00"</c>), for the reader's pass (the one-pass scan declines every surrogate escape and leaves it here). JSON's
/// grammar lets it through, but it stands for no character: System.Text.Json cannot read such a string as text, and
/// DuckDB's <c>read_json</c> refuses a whole file that holds one ("invalid high surrogate in string"), so such an event
/// would make its batch's other events unreadable.
/// </summary>
internal static class UnpairedSurrogates
{
    /// <summary>Refuses the string or name whose escaped bytes (between its quotes) are <paramref name="escaped"/> when it escapes half a pair alone.</summary>
    /// <param name="escaped">The token's bytes as sent, escapes included.</param>
    /// <param name="offset">Where those bytes start in the event.</param>
    /// <exception cref="EventRejectedException">An escape of half a surrogate pair without its other half.</exception>
    public static void ThrowIfAny(ReadOnlySpan<byte> escaped, long offset)
    {
        for (int i = escaped.IndexOf((byte)'\\'); i >= 0 && i < escaped.Length - 1; i++)
        {
            if (escaped[i] != (byte)'\\')
            {
                continue;
            }

            if (escaped[i + 1] != (byte)'u')
            {
                i++; // a two-byte escape such as \\ or \": its second byte escapes nothing
                continue;
            }

            int unit = CodeUnit(escaped, i);
            if (char.IsHighSurrogate((char)unit) && i + 12 <= escaped.Length && escaped[i + 6] == (byte)'\\' && escaped[i + 7] == (byte)'u'
                && char.IsLowSurrogate((char)CodeUnit(escaped, i + 6)))
            {
                i += 11; // a whole pair
            }
            else if (char.IsSurrogate((char)unit))
            {
                throw new EventRejectedException(
                    EventRejectionReason.InvalidJson,
                    string.Create(CultureInfo.InvariantCulture, $"The event has a string with {Encoding.ASCII.GetString(escaped.Slice(i, 6))} at offset {offset + i}: half of a UTF-16 surrogate pair without its other half, which stands for no character. System.Text.Json cannot read it as text and DuckDB refuses a whole file that holds one, so it is not stored. Send the character itself, or both halves of its pair (such as \\ud83d\\ude00)."));
            }
            else
            {
                i += 5;
            }
        }
    }

    /// <summary>The UTF-16 code unit of the <c>\uXXXX</c> escape at <paramref name="at"/> (the reader has checked its four hex digits).</summary>
    private static int CodeUnit(ReadOnlySpan<byte> escaped, int at) =>
        int.Parse(escaped.Slice(at + 2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
}
