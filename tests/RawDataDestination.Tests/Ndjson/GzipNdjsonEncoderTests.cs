namespace RawDataDestination.Tests.Ndjson;

public class GzipNdjsonEncoderTests
{
    private static readonly DateTimeOffset AppendedAt = new(2023, 11, 24, 10, 0, 0, 123, TimeSpan.Zero);

    private static async Task<(byte[] Gzip, List<DateTimeOffset> ReceivedAt)> EncodeAsync(params string[] events)
    {
        var output = new MemoryStream();
        var received = new List<DateTimeOffset>();
        await using (var encoder = new GzipNdjsonEncoder(output))
        {
            foreach (string json in events)
            {
                received.Add(await encoder.AppendAsync(Encoding.UTF8.GetBytes(json), AppendedAt));
            }

            await encoder.CompleteAsync();
        }

        return (output.ToArray(), received);
    }

    /// <summary>A case of <see cref="BadEvents"/>: <paramref name="json"/> in UTF-8, under the default size limit.</summary>
    private static TestCaseData Bad(string json, EventRejectionReason reason, string messagePart) =>
        new TestCaseData(Encoding.UTF8.GetBytes(json), GzipNdjsonEncoder.DefaultMaxEventBytes, reason, messagePart)
            .SetArgDisplayNames(json.Replace("\n", "\\n", StringComparison.Ordinal), reason.ToString());

    [Test]
    public async Task AppendAsync_WithWhitespaceAndNewlines_WritesOneCompactLine()
    {
        var (gzip, _) = await EncodeAsync("{ \"receivedAt\" : \"2023-11-24T10:00:00.000Z\",\n  \"event\": \"Order Completed\",\r\n\t\"n\": [ 1, 2 , {\"x\" : null} ] }");

        Assert.That(Gzip.Lines(gzip), Is.EqualTo(new[] { "{\"receivedAt\":\"2023-11-24T10:00:00.000Z\",\"event\":\"Order Completed\",\"n\":[1,2,{\"x\":null}]}" }));
    }

    [Test]
    public async Task AppendAsync_WithEscapesAndNonAscii_PreservesBytesOfStrings()
    {
        const string Json = "{\"receivedAt\":\"2023-11-24T10:00:00Z\",\"s\":\"a\\\"b \\\\ \\u00e9 é \\n  x\",\"num\":1.50e+3}";

        var (gzip, _) = await EncodeAsync(Json);

        Assert.That(Gzip.Decompress(gzip), Is.EqualTo(Encoding.UTF8.GetBytes(Json + "\n")));
    }

    [Test]
    public async Task AppendAsync_WithoutReceivedAt_StampsAppendTimeAsLastMember()
    {
        var (gzip, received) = await EncodeAsync("{\"type\":\"track\"}", "{}");

        Assert.That(Gzip.Lines(gzip), Is.EqualTo(new[]
        {
            "{\"type\":\"track\",\"receivedAt\":\"2023-11-24T10:00:00.123Z\"}",
            "{\"receivedAt\":\"2023-11-24T10:00:00.123Z\"}",
        }));
        Assert.That(received, Is.All.EqualTo(AppendedAt));
    }

    [Test]
    public async Task AppendAsync_WithReceivedAt_ReturnsItAndKeepsTheLineAsIs()
    {
        var (gzip, received) = await EncodeAsync("{\"receivedAt\":\"2023-11-23T23:59:59.999+01:00\"}", "{\"receivedAt\":\"2023-11-24T01:02:03\"}");

        Assert.That(received[0].UtcDateTime, Is.EqualTo(new DateTime(2023, 11, 23, 22, 59, 59, 999, DateTimeKind.Utc)));
        Assert.That(received[1].UtcDateTime, Is.EqualTo(new DateTime(2023, 11, 24, 1, 2, 3, DateTimeKind.Utc)), "a date without offset is UTC");
        Assert.That(Gzip.Lines(gzip)[0], Is.EqualTo("{\"receivedAt\":\"2023-11-23T23:59:59.999+01:00\"}"));
    }

    private static readonly TestCaseData[] BadEvents =
    [
        Bad("", EventRejectionReason.Empty, "empty"),
        Bad("  \n ", EventRejectionReason.Empty, "empty"),
        Bad("{\"a\":", EventRejectionReason.InvalidJson, "not valid JSON"),
        Bad("{'a':1}", EventRejectionReason.InvalidJson, "not valid JSON"),
        Bad("{\"a\":1,}", EventRejectionReason.InvalidJson, "not valid JSON"),
        Bad("[1,2]", EventRejectionReason.NotAnObject, "JSON array, not an object"),
        Bad("\"text\"", EventRejectionReason.NotAnObject, "JSON string, not an object"),
        Bad("42", EventRejectionReason.NotAnObject, "JSON number, not an object"),
        Bad("null", EventRejectionReason.NotAnObject, "JSON null, not an object"),
        Bad("{\"a\":1} {\"b\":2}", EventRejectionReason.TrailingData, "data after its JSON object"),
        Bad("{\"a\":1}x", EventRejectionReason.TrailingData, "data after its JSON object"),
        Bad("{\"receivedAt\":\"yesterday\"}", EventRejectionReason.InvalidReceivedAt, "receivedAt is 'yesterday', not an ISO-8601 date"),
        Bad("{\"receivedAt\":1700784000000}", EventRejectionReason.InvalidReceivedAt, "receivedAt is a JSON number"),
        new TestCaseData("{\"a\":\""u8.ToArray().Concat(new byte[] { 0xC3, 0x28 }).Concat("\"}"u8.ToArray()).ToArray(), GzipNdjsonEncoder.DefaultMaxEventBytes, EventRejectionReason.InvalidUtf8, "offset 6")
            .SetArgDisplayNames("{\"a\":\"\\xC3(\"}", nameof(EventRejectionReason.InvalidUtf8)),
        new TestCaseData("{\"a\":\"0123456789ABCDEF\"}"u8.ToArray(), 20, EventRejectionReason.TooLarge, "limit of 20 bytes (MaxEventBytes)")
            .SetArgDisplayNames("24 bytes over maxEventBytes 20", nameof(EventRejectionReason.TooLarge)),
    ];

    [TestCaseSource(nameof(BadEvents))]
    public void AppendAsync_WithBadEvent_IsRefusedWithReason(byte[] json, int maxEventBytes, EventRejectionReason reason, string messagePart)
    {
        var encoder = new GzipNdjsonEncoder(new MemoryStream(), maxEventBytes: maxEventBytes);

        var error = Assert.ThrowsAsync<EventRejectedException>(async () => await encoder.AppendAsync(json, AppendedAt));

        Assert.That(error!.Reason, Is.EqualTo(reason));
        Assert.That(error.Message, Does.Contain(messagePart));
        Assert.That(encoder.EventCount, Is.Zero);
    }

    [Test]
    public void AppendAsync_WithAnEventOverTheLimit_NamesTheLimitInTheHostsWordsWhenAskedTo()
    {
        var encoder = new GzipNdjsonEncoder(new MemoryStream(), maxEventBytes: 20);
        var flags = new RawDataDestination.Internal.SettingWords(setting => setting == "MaxEventBytes" ? "--max-event-bytes" : setting, (setting, value) => $"give {setting} {value}");

        var error = Assert.ThrowsAsync<EventRejectedException>(async () => await encoder.AppendAsync("{\"a\":\"0123456789ABCDEF\"}"u8.ToArray(), AppendedAt));

        Assert.That(error!.Message, Is.EqualTo("The event is 24 bytes, over the limit of 20 bytes (MaxEventBytes). Send smaller events or raise MaxEventBytes."));
        Assert.That(error.Describe(flags), Is.EqualTo("The event is 24 bytes, over the limit of 20 bytes (--max-event-bytes). Send smaller events or raise --max-event-bytes."));
    }

    [Test]
    public async Task AppendAsync_AfterRefusal_GoodEventsStillEncoded()
    {
        var output = new MemoryStream();
        var encoder = new GzipNdjsonEncoder(output);
        await encoder.AppendAsync("{\"receivedAt\":\"2023-11-24T10:00:00Z\",\"n\":1}"u8.ToArray(), AppendedAt);
        Assert.ThrowsAsync<EventRejectedException>(async () => await encoder.AppendAsync("{\"n\":"u8.ToArray(), AppendedAt));
        await encoder.AppendAsync("{\"receivedAt\":\"2023-11-24T10:00:00Z\",\"n\":2}"u8.ToArray(), AppendedAt);
        await encoder.CompleteAsync();

        Assert.That(Gzip.Lines(output.ToArray()), Is.EqualTo(new[] { "{\"receivedAt\":\"2023-11-24T10:00:00Z\",\"n\":1}", "{\"receivedAt\":\"2023-11-24T10:00:00Z\",\"n\":2}" }));
    }

    [Test]
    public async Task AppendAsync_JsonElement_WritesItsOriginalText()
    {
        using var document = JsonDocument.Parse("{\"receivedAt\":\"2023-11-24T10:00:00Z\", \"e\":\"\\u00e9\"}");
        var output = new MemoryStream();
        var encoder = new GzipNdjsonEncoder(output);

        await encoder.AppendAsync(document.RootElement, AppendedAt);
        await encoder.CompleteAsync();

        Assert.That(Gzip.Lines(output.ToArray()), Is.EqualTo(new[] { "{\"receivedAt\":\"2023-11-24T10:00:00Z\",\"e\":\"\\u00e9\"}" }));
    }

    [Test]
    public async Task CompleteAsync_ManyEvents_ProducesValidGzipWithEveryLineInOrder()
    {
        var output = new MemoryStream();
        var encoder = new GzipNdjsonEncoder(output, CompressionLevel.Optimal);
        var expected = new List<string>();
        for (int i = 0; i < 20_000; i++)
        {
            string line = $"{{\"receivedAt\":\"2023-11-24T10:00:00Z\",\"messageId\":\"m-{i}\",\"properties\":{{\"revenue\":{i % 97}}}}}";
            expected.Add(line);
            await encoder.AppendAsync(Encoding.UTF8.GetBytes(line), AppendedAt);
        }

        await encoder.CompleteAsync();

        Assert.That(Gzip.Lines(output.ToArray()), Is.EqualTo(expected));
        Assert.That(SystemGzip.Decompress(output.ToArray()), Is.EqualTo(Encoding.UTF8.GetBytes(string.Concat(expected.Select(l => l + "\n")))));
        Assert.That(encoder.EventCount, Is.EqualTo(20_000));
        Assert.That(encoder.UncompressedBytes, Is.EqualTo(expected.Sum(l => l.Length + 1)));
    }

    [Test]
    public async Task DisposeAsync_BeforeComplete_LeavesNoValidGzip()
    {
        var output = new MemoryStream();
        var encoder = new GzipNdjsonEncoder(output);
        for (int i = 0; i < 5_000; i++)
        {
            await encoder.AppendAsync(Encoding.UTF8.GetBytes($"{{\"i\":{i},\"receivedAt\":\"2023-11-24T10:00:00Z\"}}"), AppendedAt);
        }

        await encoder.DisposeAsync();

        Assert.That(output.Length, Is.GreaterThan(0), "compressed data was written before the abandon");
        Assert.That(SystemGzip.Test(output.ToArray()), Is.False, "an abandoned encode must never look like a complete gzip file");
    }
}
