using System.Diagnostics.CodeAnalysis;
using RawDataDestination.Internal;

namespace RawDataDestination.Batching;

/// <summary>The rule for source ids, which name a folder under <c>segment-logs/</c>.</summary>
public static class SourceIdRules
{
    /// <summary>The longest source id accepted; also used to size the longest object key.</summary>
    internal const int MaxLength = 128;

    private const string Allowed = "letters A-Z and a-z, digits 0-9, '_', '.' and '-'";

    /// <summary>
    /// Checks a source id: 1–128 characters of <c>[A-Za-z0-9_.-]</c>, not <c>.</c> or <c>..</c>, so no source id can
    /// move a key outside its folder. These are the source ids <see cref="IBatchBuffer"/>'s appends and
    /// <see cref="BatchBuilder"/> accept.
    /// </summary>
    /// <param name="sourceId">The source id to check.</param>
    /// <param name="reason">When it is not valid, what is wrong and what a valid one looks like; otherwise <see langword="null"/>.</param>
    /// <returns><see langword="true"/> when <paramref name="sourceId"/> is valid.</returns>
    public static bool IsValid([NotNullWhen(true)] string? sourceId, [NotNullWhen(false)] out string? reason)
    {
        reason = Error(sourceId);
        return reason is null;
    }

    /// <summary>
    /// Checks a source id: 1–128 characters of <c>[A-Za-z0-9_.-]</c>, not <c>.</c> or <c>..</c>, so no source id can
    /// move a key outside its folder.
    /// </summary>
    /// <param name="sourceId">The source id to check.</param>
    /// <returns><see langword="null"/> when it is valid; otherwise what is wrong and what a valid one looks like.</returns>
    [Obsolete("Use SourceIdRules.IsValid(sourceId, out string? reason), which says whether the source id is valid without a null check. GetError will be removed in 2.0.")]
    public static string? GetError(string? sourceId) => Error(sourceId);

    /// <summary>
    /// Validates the "SourceId" setting: 1 to 128 characters of <c>[A-Za-z0-9_.-]</c>, not <c>.</c> or <c>..</c>.
    /// The source id becomes a folder of every object key, so it can't contain path separators or escapes.
    /// </summary>
    /// <param name="value">The value given.</param>
    /// <param name="words">How the message names settings; the default is their property names.</param>
    /// <returns><see langword="null"/> when valid; otherwise the error message.</returns>
    internal static string? Error(string? value, SettingWords? words = null)
    {
        string setting = (words ?? SettingWords.Properties).Name("SourceId");
        const string Expected = "a source id is 1 to 128 characters of " + Allowed
            + "; it names a folder in the object key, so it can't contain path separators, escapes or whitespace";
        return SettingText.CharactersProblem(setting, value, 1, MaxLength, IsSourceIdChar, Expected)
            ?? (value is "." or ".." ? $"{setting} {SettingText.Quote(value)} is a relative path segment; {Expected}, and is not '.' or '..'." : null);
    }

    private static bool IsSourceIdChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-';
}
