namespace RawDataDestination.Tests.Staging;

public class ParkedMarkerTests
{
    [Test]
    public void ToJson_ThenParse_GivesTheSameMarker()
    {
        var at = new DateTimeOffset(2026, 3, 2, 9, 0, 0, 250, TimeSpan.Zero);
        var marker = new ParkedMarker("AccessDenied", "S3 refused \"PutObject\".", at, at.AddHours(1), at.AddHours(2), at.AddHours(3), 2, 1234);

        Assert.That(ParkedMarker.Parse(marker.ToJson()), Is.EqualTo(marker));
    }

    [TestCase("")]
    [TestCase("{}")]
    [TestCase("[1]")]
    [TestCase("{\"errorCode\":\"x\",\"reason\":\"y\",\"stagedAt\":\"not a time\",\"firstParkedAt\":\"\",\"lastAttemptAt\":\"\",\"nextAttemptAt\":\"\",\"attempts\":1,\"events\":1}")]
    public void Parse_NotAMarker_ReturnsNull(string json)
    {
        Assert.That(ParkedMarker.Parse(Encoding.UTF8.GetBytes(json)), Is.Null);
    }
}
