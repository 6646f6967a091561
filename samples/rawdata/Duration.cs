using System.CommandLine.Parsing;
using System.Globalization;

namespace RawDataDestination.Cli;

/// <summary>Durations on the command line: a whole number with a unit, <c>500ms</c>, <c>30s</c>, <c>5m</c> or <c>1h</c> (no unit: seconds), or <c>hh:mm:ss</c>.</summary>
internal static class Duration
{
    /// <summary>The forms a duration option takes, for its help text: a bare number is seconds.</summary>
    public const string Forms = "A whole number with a unit, 500ms, 30s, 5m or 1h (a bare number is seconds), or hh:mm:ss.";

    public static TimeSpan Parse(ArgumentResult result, string name)
    {
        string text = result.Tokens.Count == 0 ? string.Empty : result.Tokens[0].Value.Trim();
        (string digits, Func<long, TimeSpan> unit) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.Ordinal) => (text[..^2], (Func<long, TimeSpan>)(v => TimeSpan.FromMilliseconds(v))),
            _ when text.EndsWith('s') => (text[..^1], v => TimeSpan.FromSeconds(v)),
            _ when text.EndsWith('m') => (text[..^1], v => TimeSpan.FromMinutes(v)),
            _ when text.EndsWith('h') => (text[..^1], v => TimeSpan.FromHours(v)),
            _ => (text, v => TimeSpan.FromSeconds(v)),
        };

        if (text.Contains(':', StringComparison.Ordinal) && TimeSpan.TryParseExact(text, "c", CultureInfo.InvariantCulture, out TimeSpan exact) && exact >= TimeSpan.Zero)
        {
            return exact; // as help shows defaults: 00:05:00
        }

        if (long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long value) && value <= 1_000_000)
        {
            return unit(value);
        }

        result.AddError($"{name} is '{text}'; give a whole number with a unit, such as 500ms, 30s, 5m or 1h (or hh:mm:ss).");
        return TimeSpan.Zero;
    }

    /// <summary>A duration for messages: "45 s", "5 min".</summary>
    public static string Format(TimeSpan value) =>
        value < TimeSpan.FromMinutes(2)
            ? string.Create(CultureInfo.InvariantCulture, $"{Math.Ceiling(value.TotalSeconds):0} s")
            : string.Create(CultureInfo.InvariantCulture, $"{value.TotalMinutes:0.#} min");
}
