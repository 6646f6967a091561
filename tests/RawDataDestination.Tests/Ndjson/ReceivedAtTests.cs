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
}
