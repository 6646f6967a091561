using System.CommandLine.Parsing;
using System.Globalization;
using RawDataDestination.Batching;

namespace RawDataDestination.Cli;

/// <summary>Durations on the command line: a whole number with a unit, <c>500ms</c>, <c>30s</c>, <c>5m</c> or <c>1h</c> (no unit: seconds), or <c>hh:mm:ss</c>; at most <c>720h</c> (30 days).</summary>
internal static class Duration
{
    /// <summary>The forms a duration option takes, for its help text: a bare number is seconds.</summary>
    public const string Forms = "A whole number with a unit, 500ms, 30s, 5m or 1h (a bare number is seconds), or hh:mm:ss.";

    /// <summary>
    /// The largest duration any option takes: 30 days, the buffer's own limit for its waits (and within what a timer of
    /// the runtime can wait, about 49 days).
    /// </summary>
    public static TimeSpan Longest => BatchBufferOptions.MaxWait;

    /// <summary>
    /// Parses the duration of option <paramref name="name"/>, from <paramref name="least"/> to <see cref="Longest"/>; a
    /// value out of that range, or one that is no duration, is an error of this parse that says the value given, what is
    /// wrong and what to give, in the forms the option takes.
    /// </summary>
    /// <param name="result">The option's argument.</param>
    /// <param name="name">The option's name, for the message.</param>
    /// <param name="least">The smallest duration the option takes.</param>
    /// <param name="why">Why <paramref name="least"/> is the smallest, for the message, when it is more than zero.</param>
    public static TimeSpan Parse(ArgumentResult result, string name, TimeSpan least = default, string? why = null)
    {
        string text = result.Tokens.Count == 0 ? string.Empty : result.Tokens[0].Value.Trim();
        (string digits, TimeSpan unit) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.Ordinal) => (text[..^2], TimeSpan.FromMilliseconds(1)),
            _ when text.EndsWith('s') => (text[..^1], TimeSpan.FromSeconds(1)),
            _ when text.EndsWith('m') => (text[..^1], TimeSpan.FromMinutes(1)),
            _ when text.EndsWith('h') => (text[..^1], TimeSpan.FromHours(1)),
            _ => (text, TimeSpan.FromSeconds(1)),
        };

        TimeSpan? value = null;
        bool tooLong = false;
        if (text.Contains(':', StringComparison.Ordinal) && TimeSpan.TryParseExact(text, "c", CultureInfo.InvariantCulture, out TimeSpan exact) && exact >= TimeSpan.Zero)
        {
            value = exact; // as help shows defaults: 00:05:00
        }
        else if (digits.Length > 0 && digits.All(char.IsAsciiDigit))
        {
            // Digits past what a long holds are a number all the same: too long, not "no number".
            tooLong = !long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long count) || count > Longest.Ticks / unit.Ticks;
            value = tooLong ? null : TimeSpan.FromTicks(unit.Ticks * count);
        }

        if (tooLong || value > Longest)
        {
            result.AddError($"{name} is '{text}'; the longest it takes is {Spoken(Longest)} ({Longest.TotalDays:0} days): give {Spoken(Longest)} or less.");
            return TimeSpan.Zero;
        }

        if (value < least)
        {
            result.AddError($"{name} is '{text}'; give at least {Spoken(least)}{(why is null ? string.Empty : $": {why}")}.");
            return TimeSpan.Zero;
        }

        if (value is null)
        {
            result.AddError($"{name} is '{text}'; give a whole number with a unit, such as 500ms, 30s, 5m or 1h (or hh:mm:ss).");
            return TimeSpan.Zero;
        }

        return value.Value;
    }

    /// <summary>A duration as an option takes it, in its largest whole unit: <c>720h</c>, <c>1s</c>, <c>500ms</c>.</summary>
    public static string Spoken(TimeSpan value) => value switch
    {
        _ when value.Ticks % TimeSpan.TicksPerHour == 0 => string.Create(CultureInfo.InvariantCulture, $"{value.Ticks / TimeSpan.TicksPerHour}h"),
        _ when value.Ticks % TimeSpan.TicksPerMinute == 0 => string.Create(CultureInfo.InvariantCulture, $"{value.Ticks / TimeSpan.TicksPerMinute}m"),
        _ when value.Ticks % TimeSpan.TicksPerSecond == 0 => string.Create(CultureInfo.InvariantCulture, $"{value.Ticks / TimeSpan.TicksPerSecond}s"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{value.TotalMilliseconds:0}ms"),
    };

    /// <summary>A duration for messages: "45 s", "5 min".</summary>
    public static string Format(TimeSpan value) =>
        value < TimeSpan.FromMinutes(2)
            ? string.Create(CultureInfo.InvariantCulture, $"{Math.Ceiling(value.TotalSeconds):0} s")
            : string.Create(CultureInfo.InvariantCulture, $"{value.TotalMinutes:0.#} min");
}
