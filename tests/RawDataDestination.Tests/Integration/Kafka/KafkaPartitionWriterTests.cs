using Confluent.Kafka;

namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>One partition's open window, fed records directly: refusals never stop it, and names come from positions.</summary>
public class KafkaPartitionWriterTests
{
    private static readonly TopicPartition Partition = new("orders", 2);

    /// <summary>The library's routing over two tenants, "web" (with "ios") and "tv".</summary>
    private static readonly Func<string, TenantDestination> Route = CreateRoute();

    [Test]
    public async Task AppendAsync_ARecordStampedBefore1970_IsRefusedAndTheNextRecordStartsTheBatchWithItsOwnTimestamp()
    {
        var writer = new PartitionWriter(Partition, windowWidth: 10, endAtAssignment: null, Route);
        var valid = new DateTimeOffset(2026, 11, 30, 10, 0, 0, TimeSpan.Zero);

        EventRejectedException? refused = await writer.AppendAsync(Record(20, "{\"messageId\":\"a\"}", new Timestamp(-5_000, TimestampType.CreateTime)), CancellationToken.None);
        EventRejectedException? accepted = await writer.AppendAsync(Record(21, "{\"messageId\":\"b\"}", new Timestamp(valid)), CancellationToken.None);

        Assert.That(refused?.Reason, Is.EqualTo(EventRejectionReason.InvalidReceivedAt));
        Assert.That(accepted, Is.Null);
        Assert.That((writer.FirstOffset, writer.WindowEnd, writer.RecordCount), Is.EqualTo((20L, 30L, 2)));
        List<RoutedBatch> batches = await writer.SealAsync(CancellationToken.None);
        using SealedBatch batch = batches.Single().Batch;
        Assert.That(batch.FileName, Is.EqualTo($"{valid.ToUnixTimeMilliseconds()}.orders-2-20-29.gz"), "sealed-at from the first accepted record; the id from the window");
        Assert.That(Gzip.Lines(batch.ReadAllBytes()), Has.Length.EqualTo(1));
        Assert.That(writer.IsOpen, Is.False);
    }

    [Test]
    public async Task AppendAsync_WhenRunningUntilCaughtUp_EndsTheWindowAtTheEndOffsetOfTheAssignment()
    {
        var writer = new PartitionWriter(Partition, windowWidth: 100, endAtAssignment: 57, Route);

        await writer.AppendAsync(Record(50, "{\"messageId\":\"a\"}", new Timestamp(DateTimeOffset.UnixEpoch.AddDays(20_000))), CancellationToken.None);

        Assert.That(writer.WindowEnd, Is.EqualTo(57));
        List<RoutedBatch> batches = await writer.SealAsync(CancellationToken.None);
        Assert.That(batches.Single().Batch.BatchId, Is.EqualTo("orders-2-50-56"));
        batches.ForEach(b => b.Dispose());
    }

    [Test]
    public async Task AppendAsync_RecordsOfTwoSourcesAndTwoDays_MakeOneBatchEachNamedAfterTheSameWindow()
    {
        var writer = new PartitionWriter(Partition, windowWidth: 10, endAtAssignment: null, Route);
        var day = new DateTimeOffset(2026, 11, 30, 23, 0, 0, TimeSpan.Zero);

        await writer.AppendAsync(Record(0, "{\"n\":1}", new Timestamp(day), "web"), CancellationToken.None);
        await writer.AppendAsync(Record(1, "{\"n\":2}", new Timestamp(day.AddHours(2)), "web"), CancellationToken.None);
        await writer.AppendAsync(Record(2, "{\"n\":3}", new Timestamp(day), "ios"), CancellationToken.None);
        await writer.AppendAsync(Record(3, "{\"n\":4,\"receivedAt\":\"2026-12-01T00:10:00Z\"}", new Timestamp(day), "web"), CancellationToken.None);
        await writer.AppendAsync(Record(4, "{\"n\":5}", new Timestamp(day), "tv"), CancellationToken.None);

        List<RoutedBatch> batches = await writer.SealAsync(CancellationToken.None);
        Assert.That(batches.Select(b => (b.Batch.SourceId, b.Batch.ReceivedDay.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), b.Batch.EventCount, b.Tenant)), Is.EqualTo(new[]
        {
            ("web", "2026-11-30", 1L, "web"), ("web", "2026-12-01", 2L, "web"), ("ios", "2026-11-30", 1L, "web"), ("tv", "2026-11-30", 1L, "tv"),
        }));
        Assert.That(batches.Select(b => b.Batch.BatchId), Has.All.EqualTo("orders-2-0-9"));
        Assert.That(batches.Select(b => b.Destination.Options.Bucket), Is.EqualTo(new[] { "acme", "acme", "acme", "initech" }), "each batch bound to its source's tenant");
        batches.ForEach(b => b.Dispose());
    }

    [Test]
    public async Task AppendAsync_ARecordWithoutReceivedAtAfterOneWhoseReceivedAtIsOnAnotherDayThanItsTimestamp_IsAcceptedIntoItsDay()
    {
        // Just before midnight by the log, just after by the event's own receivedAt: it opens the batch of 12-01.
        var writer = new PartitionWriter(Partition, windowWidth: 10, endAtAssignment: null, Route);
        var midnight = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

        EventRejectedException? first = await writer.AppendAsync(Record(0, "{\"n\":1,\"receivedAt\":\"2026-12-01T00:00:10Z\"}", new Timestamp(midnight.AddSeconds(-10))), CancellationToken.None);
        EventRejectedException? second = await writer.AppendAsync(Record(1, "{\"n\":2}", new Timestamp(midnight.AddSeconds(20))), CancellationToken.None);

        // The second was refused: "received on 2026-11-30 (UTC) but this batch holds events of 2026-12-01", the batch's
        // sealed-at (the first record's log timestamp, stamped on events without receivedAt) being on the day before.
        Assert.That((first, second?.Message), Is.EqualTo(((EventRejectedException?)null, (string?)null)));
        List<RoutedBatch> batches = await writer.SealAsync(CancellationToken.None);
        using SealedBatch batch = batches.Single().Batch;
        Assert.That((batch.ReceivedDay, batch.EventCount), Is.EqualTo((new DateOnly(2026, 12, 1), 2L)));
        string[] lines = Gzip.Lines(batch.ReadAllBytes());
        Assert.That(lines[1], Does.Contain("\"receivedAt\":\"2026-12-01T"), "the stamped receivedAt is on the batch's day");
    }

    [Test]
    public async Task AppendAsync_ARecordWhoseReceivedAtIsBefore1970_IsRefusedWithTheLibrarysExplanation()
    {
        var writer = new PartitionWriter(Partition, windowWidth: 10, endAtAssignment: null, Route);

        EventRejectedException? refused = await writer.AppendAsync(Record(0, "{\"n\":1,\"receivedAt\":\"1969-12-31T00:00:00Z\"}", new Timestamp(new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero))), CancellationToken.None);

        Assert.That(refused?.Message, Does.StartWith("The event's receivedAt is '1969-12-31T00:00:00Z', before 1970-01-01T00:00:00Z"));
    }

    [Test]
    public async Task AppendAsync_ARecordWhoseSourceNoTenantLists_IsRefusedCountsInTheWindowAndMakesNoBatch()
    {
        var writer = new PartitionWriter(Partition, windowWidth: 10, endAtAssignment: null, Route);
        var day = new DateTimeOffset(2026, 11, 30, 10, 0, 0, TimeSpan.Zero);

        EventRejectedException? refused = await writer.AppendAsync(Record(0, "{\"n\":1}", new Timestamp(day), "nobody"), CancellationToken.None);
        await writer.AppendAsync(Record(1, "{\"n\":2}", new Timestamp(day), "web"), CancellationToken.None);

        Assert.That(refused?.Reason, Is.EqualTo(EventRejectionReason.NoDestination));
        Assert.That(refused!.Message, Does.Contain("Source 'nobody' has no destination").And.Contain("no tenant lists it"));
        Assert.That((writer.FirstOffset, writer.RecordCount), Is.EqualTo((0L, 2)), "the refused record opened the window and counts in it");
        List<RoutedBatch> batches = await writer.SealAsync(CancellationToken.None);
        Assert.That(batches.Select(b => b.Batch.SourceId), Is.EqualTo(new[] { "web" }));
        batches.ForEach(b => b.Dispose());
    }

    [Test]
    public async Task AppendAsync_ARecordOverItsMaxEventBytes_IsRefusedNamingTheFlagAndOneAtTheLimitIsTaken()
    {
        var writer = new PartitionWriter(Partition, windowWidth: 10, endAtAssignment: null, Route, maxEventBytes: 20);
        var day = new DateTimeOffset(2026, 11, 30, 10, 0, 0, TimeSpan.Zero);

        EventRejectedException? over = await writer.AppendAsync(Record(0, "{\"messageId\":\"abcde\"}", new Timestamp(day)), CancellationToken.None);
        EventRejectedException? at = await writer.AppendAsync(Record(1, "{\"messageId\":\"abcd\"}", new Timestamp(day)), CancellationToken.None);

        Assert.That(over?.Reason, Is.EqualTo(EventRejectionReason.TooLarge));
        Assert.That(over!.Describe(TenantWords.Words), Is.EqualTo("The event is 21 bytes, over the limit of 20 bytes (--max-event-bytes). Send smaller events or raise --max-event-bytes."));
        Assert.That(at, Is.Null, "20 bytes, the limit itself, is taken");
        List<RoutedBatch> batches = await writer.SealAsync(CancellationToken.None);
        Assert.That(Gzip.Lines(batches.Single().Batch.ReadAllBytes()), Has.Length.EqualTo(1));
        batches.ForEach(b => b.Dispose());
    }

    private static Func<string, TenantDestination> CreateRoute()
    {
        var options = new TenantDestinationsOptions();
        var web = new TenantOptions { Region = "us-east-1", Bucket = "acme", RoleArn = "arn:aws:iam::123456789012:role/x", ExternalId = "acme-id" };
        web.Sources.Add("web");
        web.Sources.Add("ios");
        var tv = new TenantOptions { Region = "us-east-1", Bucket = "initech", RoleArn = "arn:aws:iam::123456789012:role/x", ExternalId = "initech-id" };
        tv.Sources.Add("tv");
        options.Tenants.Add(web);
        options.Tenants.Add(tv);
        var router = new DestinationRouter(new TenantDestinationResolver(options));
        return source => (TenantDestination)router.Route(source).State!;
    }

    private static ConsumeResult<byte[]?, byte[]?> Record(long offset, string json, Timestamp timestamp, string source = "web") => new()
    {
        TopicPartitionOffset = new TopicPartitionOffset(Partition, offset),
        Message = new Message<byte[]?, byte[]?>
        {
            Value = Encoding.UTF8.GetBytes(json),
            Timestamp = timestamp,
            Headers = new Headers { { RecordSourceId.HeaderName, Encoding.UTF8.GetBytes(source) } },
        },
    };
}
