namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>Batch names from log positions: valid for the library, unique per window, the same on every run.</summary>
public class KafkaBatchIdentityTests
{
    [Test]
    public void For_ATopicWithDots_NamesTopicPartitionAndBothEnds()
    {
        Assert.That(BatchIdentity.For("orders.eu", 3, 1200, 1299), Is.EqualTo("orders_eu-3-1200-1299"));
    }

    [Test]
    public async Task For_ATopicTooLongForABatchId_CutsItAndAddsItsHash_AndTheLibraryAcceptsIt()
    {
        string longTopic = new('t', 249);
        string id = BatchIdentity.For(longTopic, 2147483647, 9_000_000_000_000_000_000, 9_000_000_000_000_000_099);
        string other = BatchIdentity.For(new string('t', 248) + "u", 2147483647, 9_000_000_000_000_000_000, 9_000_000_000_000_000_099);

        Assert.That(id, Has.Length.EqualTo(64));
        Assert.That(id, Is.Not.EqualTo(other));
        Assert.That(id, Does.EndWith("-2147483647-9000000000000000000-9000000000000000099"));
        await using var builder = new BatchBuilder("source", new DateOnly(2026, 11, 30), id, DateTimeOffset.UnixEpoch); // throws on an invalid id
    }

    [TestCase(0, 5, 5)]
    [TestCase(4, 5, 5)]
    [TestCase(5, 5, 10)]
    [TestCase(123_456, 100_000, 200_000)]
    public void WindowEnd_IsTheNextMultipleOfTheWidth(long offset, int width, long end)
    {
        Assert.That(BatchIdentity.WindowEnd(offset, width), Is.EqualTo(end));
    }

    [Test]
    public void ReceivedDay_OfAnEventWithReceivedAt_IsThatDay_ElseTheRecordTimestampsDay()
    {
        var timestamp = new DateTimeOffset(2026, 11, 30, 23, 59, 59, TimeSpan.Zero);
        Assert.That(RecordReceivedDay.Of("{\"receivedAt\":\"2026-12-01T00:00:01Z\"}"u8, timestamp), Is.EqualTo(new DateOnly(2026, 12, 1)));
        Assert.That(RecordReceivedDay.Of("{\"receivedAt\":\"2026-12-01T00:30:00\"}"u8, timestamp), Is.EqualTo(new DateOnly(2026, 12, 1)), "no offset: UTC, as the library reads it");
        Assert.That(RecordReceivedDay.Of("{\"p\":{\"receivedAt\":\"2020-01-01T00:00:00Z\"}}"u8, timestamp), Is.EqualTo(new DateOnly(2026, 11, 30)), "only the top level counts");
        Assert.That(RecordReceivedDay.Of("{not json"u8, timestamp), Is.EqualTo(new DateOnly(2026, 11, 30)));
    }
}
