using CsCheck;

namespace RawDataDestination.Tests.Properties;

/// <summary>
/// The <c>receivedAt</c> rule over random instants from 1970 to 9999, each written with a random offset and fraction:
/// RFC 3339's other spellings of a value (a lower-case <c>t</c> or <c>z</c>, a space for the <c>T</c>) read as the
/// same instant as the ISO-8601 one, and a leap second at the end of any UTC day reads as that day's last instant.
/// </summary>
public class ReceivedAtProperties
{
    private static DateTimeOffset? Validate(string value) => EventJson.Validate(Encoding.UTF8.GetBytes($"{{\"receivedAt\":\"{value}\"}}"), 1024);

    /// <summary>An instant with a whole-minute offset of at most 14 hours that keeps its local time within years 1970–9999.</summary>
    private static readonly Gen<DateTimeOffset> Instants =
        Gen.Select(Gen.Long[new DateTime(1970, 1, 2).Ticks, new DateTime(9999, 12, 30).Ticks], Gen.Int[-14 * 60, 14 * 60])
            .Select(t => new DateTimeOffset(t.Item1, TimeSpan.FromMinutes(t.Item2)));

    private static readonly string[] Fractions = ["", ".f", ".fff", ".fffffff"];

    [Test]
    public void Validate_Rfc3339sOtherSpellings_ReadAsTheSameInstant() =>
        Gen.Select(Instants, Gen.Int[0, Fractions.Length - 1], Gen.Bool, Gen.Int[0, 2], Gen.Bool).Sample(
            (instant, fraction, utc, separator, lowerZ) =>
            {
                DateTimeOffset time = utc ? instant.ToUniversalTime() : instant;
                string iso = time.ToString($"yyyy'-'MM'-'dd'T'HH':'mm':'ss{Fractions[fraction]}", CultureInfo.InvariantCulture)
                    + (utc ? "Z" : time.ToString("zzz", CultureInfo.InvariantCulture));
                string other = iso[..10] + "Tt "[separator] + iso[11..];
                other = utc && lowerZ ? other[..^1] + "z" : other;

                Assert.That(Validate(other), Is.EqualTo(Validate(iso)).And.EqualTo(DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture)), other);
            });

    [Test]
    public void Validate_ALeapSecondAtTheEndOfAnyUtcDay_IsThatDaysLastInstant() =>
        Gen.Select(Gen.Int[1, 2_932_895], Gen.Int[-14 * 60, 14 * 60], Gen.Int[0, Fractions.Length - 1]).Sample(
            (days, offsetMinutes, fraction) =>
            {
                DateTime day = DateTime.UnixEpoch.AddDays(days);
                var lastSecond = new DateTimeOffset(day.AddSeconds(-1), TimeSpan.Zero).ToOffset(TimeSpan.FromMinutes(offsetMinutes));
                string value = lastSecond.ToString("yyyy'-'MM'-'dd'T'HH':'mm", CultureInfo.InvariantCulture) + ":60"
                    + Fractions[fraction].Replace('f', '5') + lastSecond.ToString("zzz", CultureInfo.InvariantCulture);

                Assert.That(Validate(value), Is.EqualTo(new DateTimeOffset(day.AddTicks(-1), TimeSpan.Zero)), value);
            });
}
