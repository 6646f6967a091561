namespace RawDataDestination.Tests.Ndjson;

/// <summary>The receivedAt rule, through the validator every append uses.</summary>
public class ReceivedAtTests
{
    private static DateTimeOffset? Validate(string json) => EventJson.Validate(Encoding.UTF8.GetBytes(json), 32 * 1024);

    [Test]
    public void Validate_ReceivedAtBefore1970_IsRefusedSayingWhy()
    {
        var error = Assert.Throws<EventRejectedException>(() => Validate("{\"receivedAt\":\"1969-12-31T23:59:59Z\"}"));

        Assert.That(error!.Reason, Is.EqualTo(EventRejectionReason.InvalidReceivedAt));
        Assert.That(error.Message, Does.Contain("before 1970-01-01T00:00:00Z"));
    }

    [TestCase("9999-12-31T23:59:59-05:00", "after 9999-12-31T23:59:59Z in UTC")]
    [TestCase("0001-01-01T00:00:00+01:00", "before 1970-01-01T00:00:00Z")]
    public void Validate_ReceivedAtThatItsOffsetMovesOutOfRange_IsRefusedAsOutOfRangeNotAsMalformed(string value, string why)
    {
        var error = Assert.Throws<EventRejectedException>(() => Validate($"{{\"receivedAt\":\"{value}\"}}"));

        Assert.That(error!.Reason, Is.EqualTo(EventRejectionReason.InvalidReceivedAt));
        Assert.That(error.Message, Does.Contain(why));
        Assert.That(error.Message, Does.Not.Contain("not an ISO-8601 date"));
    }

    [TestCase("9999-12-31T23:59:59", "9999-12-31T23:59:59.0000000+00:00")]
    [TestCase("1970-01-01T00:00:00", "1970-01-01T00:00:00.0000000+00:00")]
    [TestCase("2023-11-24T10:00:00", "2023-11-24T10:00:00.0000000+00:00")]
    public void Validate_ReceivedAtWithoutOffset_IsReadAsUtc(string value, string expected)
    {
        Assert.That(Validate($"{{\"receivedAt\":\"{value}\"}}")?.ToString("O"), Is.EqualTo(expected));
    }

    [Test]
    public void Validate_ReceivedAtWithALoneSurrogateEscape_IsAnEventRejectedException()
    {
        var error = Assert.Throws<EventRejectedException>(() => Validate("{\"receivedAt\":\"\\ud800\"}"));

        Assert.That(error!.Reason, Is.EqualTo(EventRejectionReason.InvalidReceivedAt));
    }

    [Test]
    public void Validate_ReceivedAtWithAnOffset_KeepsTheInstant()
    {
        Assert.That(Validate("{\"receivedAt\":\"2023-11-24T12:00:00+02:00\"}"), Is.EqualTo(new DateTimeOffset(2023, 11, 24, 10, 0, 0, TimeSpan.Zero)));
    }

    [TestCase("2026-12-01t10:00:00z", "2026-12-01T10:00:00.0000000+00:00")]
    [TestCase("2026-12-01T10:00:00z", "2026-12-01T10:00:00.0000000+00:00")]
    [TestCase("2026-12-01t10:00:00Z", "2026-12-01T10:00:00.0000000+00:00")]
    [TestCase("2026-12-01 10:00:00Z", "2026-12-01T10:00:00.0000000+00:00")]
    [TestCase("2026-12-01 10:00:00.250+02:00", "2026-12-01T10:00:00.2500000+02:00")]
    [TestCase("2026-12-01 23:30:00", "2026-12-01T23:30:00.0000000+00:00")]
    [TestCase("2026-12-01t23:30:00.123456789", "2026-12-01T23:30:00.1234567+00:00")]
    public void Validate_ReceivedAtInRfc3339sOtherForms_IsReadAsTheSameInstant(string value, string expected)
    {
        Assert.That(Validate($"{{\"receivedAt\":\"{value}\"}}")?.ToString("O"), Is.EqualTo(expected));
    }

    [TestCase("2016-12-31T23:59:60Z", "2016-12-31T23:59:59.9999999+00:00")]
    [TestCase("2016-12-31t23:59:60.5z", "2016-12-31T23:59:59.9999999+00:00")]
    [TestCase("2016-12-31 23:59:60", "2016-12-31T23:59:59.9999999+00:00")]
    [TestCase("2017-01-01T00:59:60+01:00", "2017-01-01T00:59:59.9999999+01:00")]
    [TestCase("2016-12-31T18:59:60-05:00", "2016-12-31T18:59:59.9999999-05:00")]
    public void Validate_ALeapSecond_IsTheLastInstantOfTheUtcDayItEnds(string value, string expected)
    {
        DateTimeOffset? read = Validate($"{{\"receivedAt\":\"{value}\"}}");

        Assert.That(read?.ToString("O"), Is.EqualTo(expected));
        Assert.That(DateOnly.FromDateTime(read!.Value.UtcDateTime), Is.EqualTo(new DateOnly(2016, 12, 31)), "the day the leap second closes, not the next one");
    }

    [TestCase("2026-12-01T10:00:60Z")]
    [TestCase("2016-12-31T23:58:60Z")]
    [TestCase("2017-01-01T00:59:60Z")]
    [TestCase("2016-12-31T23:59:61Z")]
    [TestCase("2026-12-01  10:00:00Z")]
    [TestCase("2026-12-01_10:00:00Z")]
    [TestCase("2026-12-01T10:00:00zz")]
    [TestCase("2026-12-01 ")]
    public void Validate_ReceivedAtOutsideRfc3339_IsStillRefusedAsNotADate(string value)
    {
        var error = Assert.Throws<EventRejectedException>(() => Validate($"{{\"receivedAt\":\"{value}\"}}"));

        Assert.That(error!.Reason, Is.EqualTo(EventRejectionReason.InvalidReceivedAt));
        Assert.That(error.Message, Does.Contain($"'{value}', not an ISO-8601 date"));
    }

    [Test]
    public void Validate_ReceivedAtInAnOtherFormSpelledWithEscapes_IsReadAsTheSameInstant()
    {
        Assert.That(Validate("{\"receivedAt\":\"2026-12-01\\u002010:00:00\\u007a\"}"), Is.EqualTo(new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero)));
    }

    [TestCase("2026-12-01t10:00:00z")]
    [TestCase("2026-12-01 10:00:00Z")]
    [TestCase("2016-12-31T23:59:60Z")]
    public void ValidateAndWriteLine_ReceivedAtInAnOtherForm_KeepsTheEventsBytes(string value)
    {
        byte[] json = Encoding.UTF8.GetBytes($"{{\"type\":\"track\",\"receivedAt\":\"{value}\"}}");
        byte[] line = new byte[json.Length + EventJson.MaxLineOverhead];

        int written = EventJson.ValidateAndWriteLine(json, 1024, DateTimeOffset.UnixEpoch, line, out DateTimeOffset? receivedAt);

        Assert.That(receivedAt, Is.Not.Null, "its own, not the time of receipt");
        Assert.That(Encoding.UTF8.GetString(line, 0, written), Is.EqualTo(Encoding.UTF8.GetString(json) + "\n"));
    }

    private static readonly DateTimeOffset Clock = new(2026, 12, 7, 13, 0, 0, TimeSpan.Zero);

    private static DateTimeOffset? ValidateAt(DateTimeOffset? clock, string receivedAt)
    {
        byte[] json = Encoding.UTF8.GetBytes($"{{\"receivedAt\":\"{receivedAt}\"}}");
        return EventJson.ValidateAndWriteLine(json, 1024, Clock, new byte[json.Length + EventJson.MaxLineOverhead], out DateTimeOffset? read, clock) > 0 ? read : null;
    }

    [TestCase("9999-12-31T23:59:59Z")]
    [TestCase("2026-12-08T13:00:00.001Z")]
    [TestCase("2026-12-08t23:00:00.001+10:00")]
    [TestCase("2026-12-09 00:00:00")]
    [TestCase("2026-12-08T13:00:00\\u002e001Z")]
    public void ValidateAndWriteLine_ReceivedAtMoreThanADayAheadOfTheClock_IsRefusedSayingToFixTheSendersClock(string value)
    {
        var error = Assert.Throws<EventRejectedException>(() => ValidateAt(Clock, value));

        Assert.That(error!.Reason, Is.EqualTo(EventRejectionReason.InvalidReceivedAt));
        Assert.That(error.Message, Does.StartWith($"The event's receivedAt is '{value.Replace("\\u002e", ".", StringComparison.Ordinal)}', more than a day after this host's clock (2026-12-07T13:00:00Z)"));
        Assert.That(error.Message, Does.Contain("Fix the sender's clock, or leave receivedAt out"));
    }

    [TestCase("2026-12-08T13:00:00Z")]
    [TestCase("2026-12-08t23:00:00+10:00")]
    [TestCase("2026-12-07T13:00:00Z")]
    [TestCase("1970-01-01T00:00:00Z")]
    public void ValidateAndWriteLine_ReceivedAtAtMostADayAheadOfTheClock_IsAccepted(string value)
    {
        Assert.That(ValidateAt(Clock, value), Is.EqualTo(DateTimeOffset.Parse(value.Replace('t', 'T'), CultureInfo.InvariantCulture)));
    }

    [Test]
    public void ValidateAndWriteLine_WithoutAClock_AcceptsAnyTimeUpToTheLastThatCanBeStored()
    {
        Assert.That(ValidateAt(clock: null, "9999-12-31T23:59:59Z"), Is.EqualTo(new DateTimeOffset(9999, 12, 31, 23, 59, 59, TimeSpan.Zero)));
        Assert.That(ValidateAt(DateTimeOffset.MaxValue, "9999-12-31T23:59:59Z"), Is.EqualTo(new DateTimeOffset(9999, 12, 31, 23, 59, 59, TimeSpan.Zero)), "a clock a day from the end bounds nothing");
    }
}
