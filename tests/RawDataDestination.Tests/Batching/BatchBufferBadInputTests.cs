namespace RawDataDestination.Tests.Batching;

/// <summary>Each kind of bad input is refused with its own reason, and never costs the events around it their delivery.</summary>
public class BatchBufferBadInputTests
{
    private static byte[] Event(string id) =>
        Encoding.UTF8.GetBytes($"{{\"messageId\":\"{id}\",\"type\":\"track\",\"receivedAt\":\"2023-11-24T10:00:00.000Z\"}}");

    private static IEnumerable<TestCaseData> BadEvents()
    {
        yield return new TestCaseData("src", "{\"broken\":"u8.ToArray(), EventRejectionReason.InvalidJson).SetName("Append_InvalidJson_IsRefusedAndTheBatchDelivered");
        yield return new TestCaseData("src", new byte[] { (byte)'{', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)':', (byte)'1', (byte)'}' }, EventRejectionReason.InvalidUtf8).SetName("Append_InvalidUtf8_IsRefusedAndTheBatchDelivered");
        yield return new TestCaseData("src", "[{\"a\":1}]"u8.ToArray(), EventRejectionReason.NotAnObject).SetName("Append_AnArray_IsRefusedAndTheBatchDelivered");
        yield return new TestCaseData("src", "42"u8.ToArray(), EventRejectionReason.NotAnObject).SetName("Append_AScalar_IsRefusedAndTheBatchDelivered");
        yield return new TestCaseData("src", "{\"a\":1} {\"b\":2}"u8.ToArray(), EventRejectionReason.TrailingData).SetName("Append_TwoObjects_IsRefusedAndTheBatchDelivered");
        yield return new TestCaseData("src", Encoding.UTF8.GetBytes($"{{\"pad\":\"{new string('x', 2000)}\"}}"), EventRejectionReason.TooLarge).SetName("Append_OverMaxEventBytes_IsRefusedAndTheBatchDelivered");
        yield return new TestCaseData("src", "{\"receivedAt\":\"yesterday\"}"u8.ToArray(), EventRejectionReason.InvalidReceivedAt).SetName("Append_ReceivedAtNotADate_IsRefusedAndTheBatchDelivered");
        yield return new TestCaseData("src", "{\"receivedAt\":\"9999-12-31T23:59:59Z\"}"u8.ToArray(), EventRejectionReason.InvalidReceivedAt).SetName("Append_ReceivedAtInYear9999_IsRefusedAndTheBatchDelivered");
        yield return new TestCaseData("src", "{\"a\":{\"b\":1,\"c\":2,\"b\":3}}"u8.ToArray(), EventRejectionReason.RepeatedName).SetName("Append_ANameTwiceInOneObject_IsRefusedAndTheBatchDelivered");
        yield return new TestCaseData("src", Array.Empty<byte>(), EventRejectionReason.Empty).SetName("Append_EmptyLine_IsRefusedAndTheBatchDelivered");
        yield return new TestCaseData("src", "   \n"u8.ToArray(), EventRejectionReason.Empty).SetName("Append_WhitespaceOnly_IsRefusedAndTheBatchDelivered");
        yield return new TestCaseData("../x", Event("x"), EventRejectionReason.InvalidSourceId).SetName("Append_SourceIdWithDotDot_IsRefusedAndTheBatchDelivered");
        yield return new TestCaseData("a/b", Event("x"), EventRejectionReason.InvalidSourceId).SetName("Append_SourceIdWithSlash_IsRefusedAndTheBatchDelivered");
        yield return new TestCaseData("%2F", Event("x"), EventRejectionReason.InvalidSourceId).SetName("Append_SourceIdPercentEncoded_IsRefusedAndTheBatchDelivered");
        yield return new TestCaseData("", Event("x"), EventRejectionReason.InvalidSourceId).SetName("Append_EmptySourceId_IsRefusedAndTheBatchDelivered");
        yield return new TestCaseData("a\u0001b", Event("x"), EventRejectionReason.InvalidSourceId).SetName("Append_SourceIdWithControlCharacter_IsRefusedAndTheBatchDelivered");
        yield return new TestCaseData("..", Event("x"), EventRejectionReason.InvalidSourceId).SetName("Append_SourceIdDotDot_IsRefusedAndTheBatchDelivered");
    }

    [TestCaseSource(nameof(BadEvents))]
    public async Task Append_BadInput_IsRefusedWithItsReasonAndTheOthersAreDelivered(string sourceId, byte[] json, EventRejectionReason reason)
    {
        var consumer = new RecordingConsumer();
        await using (var buffer = new BatchBuffer(new BatchBufferOptions { MaxEventBytes = 1024, MaxBatchBytes = 1024 * 1024 }, consumer, new FakeTimeProvider(Start)))
        {
            await buffer.AppendAsync("src", Event("before"));

            EventRejectedException? refused = Assert.ThrowsAsync<EventRejectedException>(async () => await buffer.AppendAsync(sourceId, json));

            Assert.That(refused!.Reason, Is.EqualTo(reason));
            Assert.That(refused.Message, Is.Not.Empty);
            await buffer.AppendAsync("src", Event("after"));
            await buffer.FlushAsync();
        }

        Assert.That(consumer.Batches, Has.Count.EqualTo(1), "the refused event did not end or spoil the batch");
        Assert.That(consumer.AllLines.Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("messageId").GetString()), Is.EqualTo(new[] { "before", "after" }));
    }

    [Test]
    public async Task Append_ReceivedAtMoreThanADayAheadOfTheBuffersClock_IsRefusedNamingItUntilTheClockCatchesUp()
    {
        var consumer = new RecordingConsumer();
        var time = new FakeTimeProvider(Start);
        byte[] ahead = "{\"messageId\":\"ahead\",\"receivedAt\":\"2023-11-25T10:00:00.001Z\"}"u8.ToArray();
        await using (var buffer = new BatchBuffer(new BatchBufferOptions { MaxEventBytes = 1024, MaxBatchBytes = 1024 * 1024 }, consumer, time))
        {
            await buffer.AppendAsync("src", "{\"messageId\":\"a-day-ahead\",\"receivedAt\":\"2023-11-25T10:00:00Z\"}"u8.ToArray());

            EventRejectedException? refused = Assert.ThrowsAsync<EventRejectedException>(async () => await buffer.AppendAsync("src", ahead));

            Assert.That(refused!.Reason, Is.EqualTo(EventRejectionReason.InvalidReceivedAt));
            Assert.That(refused.Message, Is.EqualTo("The event's receivedAt is '2023-11-25T10:00:00.001Z', more than a day after this host's clock (2023-11-24T10:00:00Z): its UTC day would put it in a folder no reader looks in yet. Fix the sender's clock, or leave receivedAt out to have the time of receipt recorded."));

            time.Advance(TimeSpan.FromMilliseconds(1));
            await buffer.AppendAsync("src", ahead); // the bound is the buffer's clock, not a fixed date
            await buffer.FlushAsync();
        }

        Assert.That(consumer.Batches.Select(b => b.ReceivedDay), Is.EqualTo(new[] { new DateOnly(2023, 11, 25) }));
        Assert.That(consumer.AllLines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("messageId").GetString()), Is.EqualTo(new[] { "a-day-ahead", "ahead" }));
    }

    [Test]
    public async Task Append_ReceivedAtInRfc3339sOtherForms_IsFiledByItsUtcDayWithTheEventsBytesKept()
    {
        var consumer = new RecordingConsumer();
        string[] events =
        [
            "{\"messageId\":\"lowercase\",\"receivedAt\":\"2023-11-23t23:30:00z\"}",
            "{\"messageId\":\"space\",\"receivedAt\":\"2023-11-24 00:30:00+01:00\"}",
            "{\"messageId\":\"leap-second\",\"receivedAt\":\"2016-12-31T23:59:60Z\"}",
        ];
        await using (var buffer = new BatchBuffer(new BatchBufferOptions { MaxEventBytes = 1024, MaxBatchBytes = 1024 * 1024 }, consumer, new FakeTimeProvider(Start)))
        {
            foreach (string json in events)
            {
                await buffer.AppendAsync("src", Encoding.UTF8.GetBytes(json));
            }

            await buffer.FlushAsync();
        }

        Assert.That(consumer.Batches.Select(b => (b.ReceivedDay, string.Join("\n", b.Lines))).OrderBy(b => b.ReceivedDay), Is.EqualTo(new[]
        {
            (new DateOnly(2016, 12, 31), events[2]),
            (new DateOnly(2023, 11, 23), events[0] + "\n" + events[1]),
        }));
    }
}
