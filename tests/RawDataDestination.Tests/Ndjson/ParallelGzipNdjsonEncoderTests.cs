namespace RawDataDestination.Tests.Ndjson;

public class ParallelGzipNdjsonEncoderTests
{
    private static readonly DateTimeOffset Now = new(2023, 11, 24, 10, 0, 0, TimeSpan.Zero);

    /// <summary>About <paramref name="megabytes"/> MB of events, some pretty-printed, some without receivedAt.</summary>
    private static List<byte[]> Events(int megabytes)
    {
        var events = new List<byte[]>();
        long total = 0;
        for (int i = 0; total < megabytes * 1024L * 1024; i++)
        {
            string json = i % 7 == 0
                ? $"{{\n  \"messageId\": \"m-{i}\",\n  \"type\": \"track\",\n  \"properties\": {{ \"n\": {i}, \"note\": \"caf\\u00e9 {new string('x', i % 300)}\" }}\n}}"
                : $"{{\"messageId\":\"m-{i}\",\"type\":\"track\",\"receivedAt\":\"2023-11-24T09:00:00.000Z\",\"properties\":{{\"n\":{i},\"pad\":\"{new string('y', i % 500)}\"}}}}";
            byte[] bytes = Encoding.UTF8.GetBytes(json);
            events.Add(bytes);
            total += bytes.Length;
        }

        return events;
    }

    private static async Task<byte[]> SerialAsync(IEnumerable<byte[]> events)
    {
        using var output = new MemoryStream();
        await using (var encoder = new GzipNdjsonEncoder(output))
        {
            foreach (byte[] e in events)
            {
                await encoder.AppendAsync(e, Now);
            }

            await encoder.CompleteAsync();
        }

        return output.ToArray();
    }

    /// <summary>Makes each event's line as the batch buffer does and hands it to the compressor, as the pooled encoder does.</summary>
    private static async Task WriteAsync(ParallelGzipNdjsonEncoder encoder, IEnumerable<byte[]> events)
    {
        foreach (byte[] e in events)
        {
            byte[] line = new byte[e.Length + EventJson.MaxLineOverhead];
            int length = EventJson.ValidateAndWriteLine(e, int.MaxValue, Now, line, out _);
            encoder.WriteCompact(line.AsSpan(0, length));
            await encoder.FlushIfNeededAsync(CancellationToken.None);
        }
    }

    private static async Task<byte[]> ParallelAsync(IEnumerable<byte[]> events, int threads = 2)
    {
        using var output = new SegmentedBuffer();
        await using (var encoder = new ParallelGzipNdjsonEncoder(output, CompressionLevel.Fastest, threads))
        {
            await WriteAsync(encoder, events);
            await encoder.CompleteAsync();
        }

        return output.ToArray();
    }

    [Test]
    public async Task CompleteAsync_AfterManyBlocks_GivesOneGzipFileWithTheSameLinesInOrderAsTheSerialEncoder()
    {
        List<byte[]> events = Events(6);

        byte[] serial = await SerialAsync(events);
        byte[] parallel = await ParallelAsync(events);

        byte[] expected = Gzip.Decompress(serial);
        Assert.That(Gzip.Decompress(parallel), Is.EqualTo(expected), "the same bytes, line for line");
        Assert.That(SystemGzip.Test(parallel), Is.True, "gzip -t accepts the concatenated members");
        Assert.That(SystemGzip.Decompress(parallel), Is.EqualTo(expected), "and zcat reads it whole");
    }

    [TestCase(1)]
    [TestCase(4)]
    public async Task CompleteAsync_WithAnyThreadCount_KeepsLineOrder(int threads)
    {
        List<byte[]> events = Events(3);

        byte[] parallel = await ParallelAsync(events, threads);

        Assert.That(Gzip.Lines(parallel).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("messageId").GetString()), Is.EqualTo(Enumerable.Range(0, events.Count).Select(i => $"m-{i}")));
    }

    [Test]
    public async Task CompleteAsync_WithNoEvents_GivesAnEmptyValidGzipFile()
    {
        byte[] parallel = await ParallelAsync([]);

        Assert.That(Gzip.Decompress(parallel), Is.Empty);
        Assert.That(SystemGzip.Test(parallel), Is.True);
    }

    [Test]
    public async Task DisposeAsync_BeforeComplete_LeavesNoCompleteLookingObject()
    {
        using var output = new SegmentedBuffer();
        await using (var encoder = new ParallelGzipNdjsonEncoder(output, CompressionLevel.Fastest, threads: 2))
        {
            await WriteAsync(encoder, Events(3));
        }

        // Members already appended are complete gzip members, but the lines of the last block never made it.
        Assert.That(output.Length, Is.GreaterThan(1024), "members were appended before the abandon");
        Assert.That(SystemGzip.Test(output.ToArray()), Is.False, "an abandoned encode must never look like a complete gzip file");
    }

    [Test]
    public async Task BatchBuffer_WithCompressionThreads_SealsBySizeAndDeliversEveryEventInOrder()
    {
        var consumer = new RecordingConsumer();
        List<byte[]> events = Events(5);
        await using (var buffer = new BatchBuffer(new BatchBufferOptions { CompressionThreads = 2, MaxBatchBytes = 2 * 1024 * 1024 }, consumer, new FakeTimeProvider(Now)))
        {
            foreach (byte[] e in events)
            {
                await buffer.AppendAsync("src", e);
            }
        }

        Assert.That(consumer.Batches.Count(b => b.Cause == SealCause.Size), Is.GreaterThanOrEqualTo(2));
        Assert.That(consumer.Batches, Has.All.Matches<DeliveredBatch>(b => b.UncompressedBytes <= 2 * 1024 * 1024));
        string Id(string line) => System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("messageId").GetString()!;
        var inSealOrder = consumer.Batches.OrderBy(b => int.Parse(Id(b.Lines[0])[2..], System.Globalization.CultureInfo.InvariantCulture)); // deliveries run concurrently
        Assert.That(inSealOrder.SelectMany(b => b.Lines).Select(Id), Is.EqualTo(Enumerable.Range(0, events.Count).Select(i => $"m-{i}")));
    }

    [TestCase(1, 1)]
    [TestCase(2, 2)]
    public async Task BatchBuffer_WithCompressionThreads_WritesOneGzipMemberPerMegabyteBlock(int threads, int minimumMembers)
    {
        var consumer = new RawConsumer();
        await using (var buffer = new BatchBuffer(new BatchBufferOptions { CompressionThreads = threads }, consumer, new FakeTimeProvider(Now)))
        {
            foreach (byte[] e in Events(2))
            {
                await buffer.AppendAsync("src", e);
            }
        }

        byte[] gzip = consumer.Objects.Single();
        int members = Gzip.Members(gzip);
        Assert.That(members, threads == 1 ? Is.EqualTo(1) : Is.GreaterThanOrEqualTo(minimumMembers));
        Assert.That(SystemGzip.Test(gzip), Is.True);
    }

    private sealed class RawConsumer : ISealedBatchConsumer
    {
        public List<byte[]> Objects { get; } = [];

        public Task<BatchReceipt> ConsumeAsync(SealedBatch batch, CancellationToken cancellationToken)
        {
            Objects.Add(batch.ReadAllBytes());
            return Task.FromResult(BatchReceipt.For(batch, "memory"));
        }
    }
}
