namespace RawDataDestination.Tests.Internal;

/// <summary><see cref="UtcDayNames"/>: a UTC day as the Unix milliseconds of its midnight, and back.</summary>
public class UtcDayNamesTests
{
    [TestCase(2023, 11, 24, "1700784000000")]
    [TestCase(1970, 1, 1, "0")]
    [TestCase(2286, 11, 20, "9999936000000")]
    public void Format_IsUnixMillisecondsOfUtcMidnight(int year, int month, int day, string expected) =>
        Assert.That(UtcDayNames.Format(new DateOnly(year, month, day)), Is.EqualTo(expected));

    [TestCase(2023, 11, 24)]
    [TestCase(1970, 1, 1)]
    [TestCase(2286, 11, 20)]
    public void TryParse_OfANameItWrote_GivesTheSameDay(int year, int month, int day)
    {
        var utcDay = new DateOnly(year, month, day);

        Assert.That(UtcDayNames.TryParse(UtcDayNames.Format(utcDay), out DateOnly parsed), Is.Null);
        Assert.That(parsed, Is.EqualTo(utcDay));
    }

    [TestCase("1700784000001", TestName = "TryParse_NotMidnight_SaysWhy")]
    [TestCase("-86400000", TestName = "TryParse_BeforeTheEpoch_SaysWhy")]
    [TestCase("2023-11-24", TestName = "TryParse_ADate_SaysWhy")]
    public void TryParse_NotADayName_SaysWhy(string folder) =>
        Assert.That(UtcDayNames.TryParse(folder, out _), Does.Contain("is not a UTC day"));
}
