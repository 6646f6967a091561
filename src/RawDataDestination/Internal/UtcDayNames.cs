using System.Globalization;

namespace RawDataDestination.Internal;

/// <summary>
/// A UTC day written as a name: the Unix time in milliseconds of its midnight, e.g. "1700784000000" for 2023-11-24 (13
/// digits for days from 2001-09-09 to 2286-11-20). The received-day folder of object keys and of the spool.
/// </summary>
internal static class UtcDayNames
{
    private const long MillisecondsPerDay = 86_400_000;

    /// <summary>Returns the name of <paramref name="utcDay"/>.</summary>
    /// <param name="utcDay">The UTC day.</param>
    /// <returns>The Unix milliseconds of its 00:00:00 UTC.</returns>
    public static string Format(DateOnly utcDay)
    {
        long milliseconds = new DateTimeOffset(utcDay.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).ToUnixTimeMilliseconds();
        return milliseconds.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Reads a name back (the reverse of <see cref="Format"/>); returns why it is not one, or <see langword="null"/> with the day.</summary>
    /// <param name="name">A name, such as "1700784000000".</param>
    /// <param name="utcDay">The day, when the name is one.</param>
    /// <returns><see langword="null"/> when the name is a day's; otherwise why not.</returns>
    public static string? TryParse(string name, out DateOnly utcDay)
    {
        utcDay = default;
        if (!long.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out long milliseconds)
            || milliseconds % MillisecondsPerDay != 0
            || milliseconds > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            return $"'{name}' is not a UTC day at or after 1970-01-01 in Unix milliseconds";
        }

        utcDay = DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeMilliseconds(milliseconds).UtcDateTime);
        return null;
    }
}
