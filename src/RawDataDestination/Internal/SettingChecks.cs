using System.Globalization;

namespace RawDataDestination.Internal;

/// <summary>
/// The one validation path of every options class. Its <c>Problems</c> method states each rule through this and returns
/// the (setting, message) pairs, which its component's constructor throws (<see cref="ThrowIfAny"/>), the DI validator
/// reports at start, and another program (<c>rawdata</c>) prints in its own words.
/// </summary>
/// <remarks>
/// A value out of its range is said one way: <c>{Setting} is {value}; it must be {rule} (the default is {default}).</c>
/// A value of the wrong form (a region, an ARN, a bucket) is said by its rule's home, quoting the value and naming the fix.
/// </remarks>
/// <param name="words">How messages name settings; the default is their property names.</param>
internal sealed class SettingChecks(SettingWords? words)
{
    /// <summary>Gets how messages name settings.</summary>
    public SettingWords Words { get; } = words ?? SettingWords.Properties;

    /// <summary>Gets the problems found so far, each with its setting's property name.</summary>
    public List<SettingProblem> Problems { get; } = [];

    /// <summary>Throws one <see cref="ArgumentException"/> listing every problem, one per line, when there is any.</summary>
    /// <param name="problems">The problems.</param>
    /// <param name="paramName">The options parameter.</param>
    /// <exception cref="ArgumentException">There is a problem.</exception>
    public static void ThrowIfAny(List<SettingProblem> problems, string paramName)
    {
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(Environment.NewLine, problems.Select(problem => problem.Message)), paramName);
        }
    }

    /// <summary>The name of <paramref name="setting"/> in these words.</summary>
    public string Name(string setting) => Words.Name(setting);

    /// <summary>Adds a rule's own message for <paramref name="setting"/>; nothing when it is <see langword="null"/> (the value is valid).</summary>
    public void Add(string setting, string? message)
    {
        if (message is not null)
        {
            Problems.Add(new SettingProblem(setting, message));
        }
    }

    /// <summary>Unless <paramref name="valid"/>: "<paramref name="setting"/> is <paramref name="given"/>; it must be <paramref name="rule"/> (the default is <paramref name="defaultValue"/>)."</summary>
    public void Require(bool valid, string setting, string given, string rule, string defaultValue)
    {
        if (!valid)
        {
            Problems.Add(new SettingProblem(setting, $"{Name(setting)} is {given}; it must be {rule} (the default is {Words.Default(setting, defaultValue)})."));
        }
    }

    /// <summary>A duration setting: unless <paramref name="valid"/>, says its value, <paramref name="rule"/> and its default.</summary>
    public void Require(bool valid, string setting, TimeSpan value, string rule, TimeSpan defaultValue) =>
        Require(valid, setting, Given(value), rule, Duration(defaultValue));

    /// <summary>A count setting: unless <paramref name="valid"/>, says its value, <paramref name="rule"/> and its default.</summary>
    public void Require(bool valid, string setting, long value, string rule, long defaultValue) =>
        Require(valid, setting, Given(value), rule, Given(defaultValue));

    /// <summary>An enum setting: its value must be one of the enum's names.</summary>
    public void RequireDefined<TEnum>(string setting, TEnum value, TEnum defaultValue)
        where TEnum : struct, Enum =>
        Require(Enum.IsDefined(value), setting, Given(Convert.ToInt64(value, CultureInfo.InvariantCulture)), $"one of {string.Join(", ", Enum.GetNames<TEnum>())}", defaultValue.ToString());

    /// <summary>A duration as given, the way it is entered: <c>00:05:00</c>.</summary>
    public static string Given(TimeSpan value) => value.ToString("c", CultureInfo.InvariantCulture);

    /// <summary>A count as given.</summary>
    public static string Given(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A duration in words, for rules and defaults: "zero", "1 second", "40 minutes", "200 milliseconds", "7 days".</summary>
    public static string Duration(TimeSpan value)
    {
        if (value == TimeSpan.Zero)
        {
            return "zero";
        }

        (long ticks, string unit)[] units =
        [
            (TimeSpan.TicksPerDay, "day"), (TimeSpan.TicksPerHour, "hour"), (TimeSpan.TicksPerMinute, "minute"),
            (TimeSpan.TicksPerSecond, "second"), (TimeSpan.TicksPerMillisecond, "millisecond"),
        ];
        foreach ((long ticks, string unit) in units)
        {
            if (value.Ticks % ticks == 0)
            {
                long count = value.Ticks / ticks;
                return count == 1 ? $"1 {unit}" : $"{Given(count)} {unit}s";
            }
        }

        return Given(value);
    }

    /// <summary>A size in bytes in words, for rules and defaults: "1 KB", "100 MB", "10 GB" when exact (1 KB is 1024 bytes), else "1000 bytes".</summary>
    public static string Size(long bytes)
    {
        foreach ((long unit, string name) in new[] { (1L << 30, "GB"), (1L << 20, "MB"), (1L << 10, "KB") })
        {
            if (bytes >= unit && bytes % unit == 0)
            {
                return $"{Given(bytes / unit)} {name}";
            }
        }

        return bytes == 1 ? "1 byte" : $"{Given(bytes)} bytes";
    }
}
