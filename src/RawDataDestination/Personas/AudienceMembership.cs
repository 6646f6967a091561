using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace RawDataDestination.Personas;

/// <summary>
/// Turns a Personas audience membership change into the identify event Segment sends for it: the trait named after the
/// audience in snake_case, <see langword="true"/> when the user enters the audience and <see langword="false"/> when they leave.
/// </summary>
public static class AudienceMembership
{
    /// <summary>
    /// Gets the trait name of an audience: its name in snake_case, e.g. <c>Order Completed Last 30days</c> →
    /// <c>order_completed_last_30days</c>.
    /// </summary>
    /// <remarks>
    /// The rule, exactly:
    /// <list type="number">
    /// <item>A word is a run of letters (any script), digits and combining marks. Everything else (spaces, punctuation,
    /// symbols, underscores) only separates words.</item>
    /// <item>Digits stay in the word they touch (<c>30days</c> stays <c>30days</c>), and a change of case does not
    /// split a word (<c>iPhone</c> → <c>iphone</c>), so names read as they were typed.</item>
    /// <item>Each word is lower-cased with the invariant culture; letters outside ASCII are kept, not transliterated
    /// (<c>Größe</c> → <c>größe</c>), so no two audiences collapse into one name by losing their accents.</item>
    /// <item>The words are joined with one <c>_</c>; leading and trailing separators disappear.</item>
    /// </list>
    /// </remarks>
    /// <param name="audienceName">The audience's name as shown in Personas.</param>
    /// <returns>The trait name.</returns>
    /// <exception cref="ArgumentException">The name has no letter or digit.</exception>
    public static string TraitName(string audienceName)
    {
        ArgumentNullException.ThrowIfNull(audienceName);
        var name = new StringBuilder(audienceName.Length);
        bool pendingSeparator = false;
        foreach (Rune rune in audienceName.Normalize(NormalizationForm.FormC).EnumerateRunes())
        {
            if (IsWordPart(rune))
            {
                if (pendingSeparator && name.Length > 0)
                {
                    name.Append('_');
                }

                pendingSeparator = false;
                name.Append(Rune.ToLowerInvariant(rune).ToString());
            }
            else
            {
                pendingSeparator = true;
            }
        }

        return name.Length > 0
            ? name.ToString()
            : throw new ArgumentException($"Audience name '{audienceName}' has no letter or digit to make a trait name from.", nameof(audienceName));
    }

    /// <summary>
    /// Builds the identify event for a membership change, as UTF-8 JSON ready for <c>IBatchBuffer.AppendAsync</c>:
    /// <c>{"type":"identify","userId":...,"traits":{"{trait}":true|false},"context":{"personas":{...}},...}</c>.
    /// </summary>
    /// <param name="audienceName">The audience's name; the trait is <see cref="TraitName"/> of it.</param>
    /// <param name="entered"><see langword="true"/> when the user entered the audience, <see langword="false"/> when they left.</param>
    /// <param name="userId">The user id; this or <paramref name="anonymousId"/> is required.</param>
    /// <param name="anonymousId">The anonymous id; this or <paramref name="userId"/> is required.</param>
    /// <param name="timestamp">When the membership changed.</param>
    /// <param name="messageId">The event's message id. The default is a new random one.</param>
    /// <returns>The event's JSON bytes.</returns>
    /// <exception cref="ArgumentException">Neither id is given, or the audience name has no letter or digit.</exception>
    public static byte[] IdentifyEvent(string audienceName, bool entered, string? userId, string? anonymousId, DateTimeOffset timestamp, string? messageId = null)
    {
        string trait = TraitName(audienceName);
        if (string.IsNullOrEmpty(userId) && string.IsNullOrEmpty(anonymousId))
        {
            throw new ArgumentException("Give a userId or an anonymousId: an identify event needs one.", nameof(userId));
        }

        var output = new ArrayBufferWriter<byte>(256);
        // Relaxed escaping keeps non-ASCII trait names readable in the NDJSON files (they are data, never HTML).
        using (var json = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("type", "identify");
            json.WriteString("messageId", messageId ?? "personas-" + Guid.NewGuid().ToString("N"));
            if (!string.IsNullOrEmpty(userId))
            {
                json.WriteString("userId", userId);
            }

            if (!string.IsNullOrEmpty(anonymousId))
            {
                json.WriteString("anonymousId", anonymousId);
            }

            json.WriteString("timestamp", timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            json.WriteStartObject("traits");
            json.WriteBoolean(trait, entered);
            json.WriteEndObject();
            json.WriteStartObject("context");
            json.WriteStartObject("personas");
            json.WriteString("computation_class", "audience");
            json.WriteString("computation_key", trait);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return output.WrittenSpan.ToArray();
    }

    private static bool IsWordPart(Rune rune) =>
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter
            or UnicodeCategory.TitlecaseLetter or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter
            or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark;
}
