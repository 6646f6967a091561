using System.Globalization;
using System.Text;

namespace RawDataDestination.Internal;

/// <summary>
/// The words every setting's message is made of, whatever the setting: a value quoted so that nothing in it can hide
/// (control characters escaped, long values shortened), a character described, a count of characters. The rules
/// themselves live with their feature; this knows no feature.
/// </summary>
internal static class SettingText
{
    private const int MaxQuotedLength = 200;

    /// <summary>
    /// Quotes a value for a message: wrapped in single quotes, control characters escaped, and values longer
    /// than 200 characters shortened with their length appended.
    /// </summary>
    /// <param name="value">The value to quote.</param>
    /// <returns>The quoted value.</returns>
    public static string Quote(string value)
    {
        var builder = new StringBuilder(Math.Min(value.Length, MaxQuotedLength) + 32);
        builder.Append('\'');
        int take = value.Length;
        if (value.Length > MaxQuotedLength)
        {
            take = MaxQuotedLength - 40;
            if (char.IsHighSurrogate(value[take - 1]))
            {
                take--;
            }
        }

        foreach (char c in value.AsSpan(0, take))
        {
            AppendEscaped(builder, c);
        }

        if (take < value.Length)
        {
            builder.Append("…' (").Append(Count(value.Length)).Append(" characters)");
        }
        else
        {
            builder.Append('\'');
        }

        return builder.ToString();
    }

    /// <summary>Describes the character at <paramref name="index"/> for a message, escaping control characters.</summary>
    public static string DescribeChar(string value, int index)
    {
        char c = value[index];
        if (c == ' ')
        {
            return "a space";
        }

        if (char.IsWhiteSpace(c) && !char.IsControl(c))
        {
            return string.Create(CultureInfo.InvariantCulture, $"a whitespace character ('\\u{(int)c:X4}')");
        }

        if (Rune.DecodeFromUtf16(value.AsSpan(index), out Rune rune, out _) == System.Buffers.OperationStatus.Done)
        {
            var builder = new StringBuilder();
            builder.Append('\'');
            if (rune.IsBmp)
            {
                AppendEscaped(builder, c);
            }
            else
            {
                builder.Append(rune.ToString());
            }

            return builder.Append('\'').ToString();
        }

        return string.Create(CultureInfo.InvariantCulture, $"an unpaired surrogate ('\\u{(int)c:X4}')");
    }

    /// <summary>
    /// The rule of a text setting that is <paramref name="min"/> to <paramref name="max"/> characters of a set: "{name} is
    /// not set", "{name} 'a b' contains a space at position 2" or "{name} 'a' is 1 character long", each followed by
    /// <paramref name="expected"/>; <see langword="null"/> when the value is valid.
    /// </summary>
    /// <param name="name">The setting's name, in the caller's words.</param>
    /// <param name="value">The value given.</param>
    /// <param name="min">The fewest characters.</param>
    /// <param name="max">The most characters.</param>
    /// <param name="isAllowed">Whether a character is one of the set.</param>
    /// <param name="expected">What a valid value is, for the message.</param>
    /// <param name="suggestTrimmed">Whether a value that is valid once trimmed says so ("; enter 'x'").</param>
    /// <returns><see langword="null"/> when valid; otherwise the message.</returns>
    public static string? CharactersProblem(string name, string? value, int min, int max, Func<char, bool> isAllowed, string expected, bool suggestTrimmed = false)
    {
        if (string.IsNullOrEmpty(value))
        {
            return $"{name} is not set; {expected}.";
        }

        if (FirstInvalid(value, isAllowed) is { } invalid)
        {
            string fix = suggestTrimmed && HasSurroundingWhitespace(value) && CharactersProblem(name, value.Trim(), min, max, isAllowed, expected) is null
                ? $"; enter {Quote(value.Trim())}"
                : string.Empty;
            return $"{name} {Quote(value)} {invalid}; {expected}{fix}.";
        }

        return value.Length < min || value.Length > max
            ? $"{name} {Quote(value)} is {Characters(value.Length)} long; {expected}."
            : null;
    }

    /// <summary>"contains '#' at position 3": the first character of <paramref name="value"/> that <paramref name="isValid"/> refuses, or <see langword="null"/>.</summary>
    public static string? FirstInvalid(string value, Func<char, bool> isValid)
    {
        for (int i = 0; i < value.Length; i++)
        {
            if (!isValid(value[i]))
            {
                return $"contains {DescribeChar(value, i)} at position {Count(i + 1)}";
            }
        }

        return null;
    }

    /// <summary>
    /// What to say of a value with leading or trailing whitespace: "{name} ' x ' has leading or trailing whitespace; enter 'x'."
    /// when the trimmed value is valid, otherwise <paramref name="otherwise"/>.
    /// </summary>
    /// <param name="name">The setting's name, in the caller's words.</param>
    /// <param name="value">The value given, which has leading or trailing whitespace.</param>
    /// <param name="isValid">The setting's rule: whether a value is valid.</param>
    /// <param name="otherwise">The message when the trimmed value is not valid either.</param>
    /// <returns>The message.</returns>
    public static string WhitespaceProblem(string name, string value, Func<string, bool> isValid, string otherwise)
    {
        string trimmed = value.Trim();
        return trimmed.Length != 0 && isValid(trimmed)
            ? $"{name} {Quote(value)} has leading or trailing whitespace; enter {Quote(trimmed)}."
            : otherwise;
    }

    /// <summary>True when <paramref name="value"/> has leading or trailing whitespace.</summary>
    public static bool HasSurroundingWhitespace(string value) =>
        value.Length != 0 && (char.IsWhiteSpace(value[0]) || char.IsWhiteSpace(value[^1]));

    /// <summary>Formats a count with the invariant culture.</summary>
    public static string Count(long count) => count.ToString(CultureInfo.InvariantCulture);

    /// <summary>Formats a count of characters: "1 character", "5 characters".</summary>
    public static string Characters(int count) => Counted.Of(count, "character");

    /// <summary>True when <paramref name="predicate"/> holds for every character of <paramref name="value"/>.</summary>
    public static bool IsAll(string value, Func<char, bool> predicate)
    {
        foreach (char c in value)
        {
            if (!predicate(c))
            {
                return false;
            }
        }

        return true;
    }

    private static void AppendEscaped(StringBuilder builder, char c)
    {
        switch (c)
        {
            case '\t': builder.Append("\\t"); break;
            case '\n': builder.Append("\\n"); break;
            case '\r': builder.Append("\\r"); break;
            case '\0': builder.Append("\\0"); break;
            default:
                if (char.IsControl(c) || char.IsSurrogate(c) || c is '\u2028' or '\u2029' or '\u200B' or '\uFEFF')
                {
                    builder.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                }
                else
                {
                    builder.Append(c);
                }

                break;
        }
    }
}
