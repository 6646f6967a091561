namespace RawDataDestination.Tests.Ndjson;

public class PooledGzipNdjsonEncoderTests
{
    private static readonly DateTimeOffset Now = new(2023, 11, 24, 10, 0, 0, TimeSpan.Zero);

    /// <summary>Events of <paramref name="count"/> different sizes (80 bytes to about 3 KB), so lines cross segment ends everywhere.</summary>
    private static List<byte[]> Events(int count) =>
        Enumerable.Range(0, count)
            .Select(i => Encoding.UTF8.GetBytes(i % 5 == 0
                ? $"{{ \"messageId\" : \"m-{i}\",\n  \"note\": \"caf\u00e9 {new string('x', i * 37 % 3000)}\" }}"
                : $"{{\"messageId\":\"m-{i}\",\"pad\":\"{new string('y', i * 53 % 900)}\"}}"))
            .ToList();

    private static async Task<List<string>> WriteAsync(PooledGzipNdjsonEncoder encoder, IEnumerable<byte[]> events)
    {
        var expected = new List<string>();
        foreach (byte[] e in events)
        {
            byte[] line = new byte[e.Length + EventJson.MaxLineOverhead];
            int length = EventJson.ValidateAndWriteLine(e, int.MaxValue, Now, line, out _);
            expected.Add(Encoding.UTF8.GetString(line, 0, length - 1));
            encoder.WriteLine(line.AsSpan(0, length));
            await encoder.FlushIfNeededAsync(CancellationToken.None);
        }

        return expected;
    }

    [Test]
    public async Task CompleteAsync_BelowTheThreshold_HoldsTheLinesUncompressedThenWritesThemInOneGzipFile()
    {
        using var output = new SegmentedBuffer();
        await using var encoder = new PooledGzipNdjsonEncoder(output, CompressionLevel.Fastest, threads: 1);

        List<string> expected = await WriteAsync(encoder, Events(100));

        Assert.That(encoder.UncompressedBytes, Is.LessThan(PooledGzipNdjsonEncoder.CompressThresholdBytes));
        Assert.That(encoder.IsStreaming, Is.False, "no compressor below the threshold");
        Assert.That(encoder.HeldBytes, Is.EqualTo(encoder.UncompressedBytes));
        Assert.That(output.Length, Is.Zero, "nothing is compressed before the seal");

        await encoder.CompleteAsync();

        byte[] gzip = output.ToArray();
        Assert.That(Gzip.Lines(gzip), Is.EqualTo(expected));
        Assert.That(SystemGzip.Test(gzip), Is.True);
        Assert.That(encoder.HeldBytes, Is.Zero, "the segments went back to the pool");
    }

    [Test]
    public async Task FlushIfNeededAsync_PastTheThreshold_StreamsIntoOneCompressorAndHoldsLessThanARun()
    {
        using var output = new SegmentedBuffer();
        await using var encoder = new PooledGzipNdjsonEncoder(output, CompressionLevel.Fastest, threads: 1);

        List<string> expected = await WriteAsync(encoder, Events(4000));

        Assert.That(encoder.UncompressedBytes, Is.GreaterThan(2 * PooledGzipNdjsonEncoder.CompressThresholdBytes));
        Assert.That(encoder.IsStreaming, Is.True);
        Assert.That(encoder.HeldBytes, Is.LessThan(64 * 1024), "held lines are drained every 64 KB");
        Assert.That(output.Length, Is.GreaterThan(0));

        await encoder.CompleteAsync();

        byte[] gzip = output.ToArray();
        Assert.That(Gzip.Lines(gzip), Is.EqualTo(expected));
        Assert.That(Gzip.Members(gzip), Is.EqualTo(1), "one compressor, one gzip member");
        Assert.That(SystemGzip.Test(gzip), Is.True);
    }

    [TestCase(2)]
    [TestCase(3)]
    public async Task CompleteAsync_WithSeveralThreadsPastTheThreshold_KeepsLineOrderAcrossMembers(int threads)
    {
        using var output = new SegmentedBuffer();
        await using var encoder = new PooledGzipNdjsonEncoder(output, CompressionLevel.Fastest, threads);

        List<string> expected = await WriteAsync(encoder, Events(6000));
        await encoder.CompleteAsync();

        byte[] gzip = output.ToArray();
        Assert.That(encoder.UncompressedBytes, Is.GreaterThan(3 * ParallelGzipNdjsonEncoder.BlockBytes));
        Assert.That((encoder.EventCount, encoder.UncompressedBytes), Is.EqualTo(((long)expected.Count, (long)Gzip.Decompress(gzip).Length)), "the encoder counts every line, the compressor none");
        Assert.That(Gzip.Lines(gzip), Is.EqualTo(expected));
        Assert.That(Gzip.Members(gzip), Is.GreaterThanOrEqualTo(3), "1 MB blocks compressed apart");
        Assert.That(SystemGzip.Decompress(gzip), Is.EqualTo(Gzip.Decompress(gzip)));
    }

    [Test]
    public async Task CompleteAsync_WithNoEvents_GivesAnEmptyValidGzipFile()
    {
        using var output = new SegmentedBuffer();
        await using (var encoder = new PooledGzipNdjsonEncoder(output, CompressionLevel.Fastest, threads: 1))
        {
            await encoder.CompleteAsync();
        }

        Assert.That(Gzip.Decompress(output.ToArray()), Is.Empty);
        Assert.That(SystemGzip.Test(output.ToArray()), Is.True);
    }

    [TestCase(100, 1)]
    [TestCase(2000, 1)]
    [TestCase(2000, 2)]
    public async Task DisposeAsync_BeforeComplete_LeavesNoCompleteLookingObject(int events, int threads)
    {
        using var output = new SegmentedBuffer();
        await using (var encoder = new PooledGzipNdjsonEncoder(output, CompressionLevel.Fastest, threads))
        {
            await WriteAsync(encoder, Events(events));
        }

        if (threads == 1)
        {
            Assert.That(SystemGzip.Test(output.ToArray()), Is.False, "an abandoned batch must never look like a complete gzip file");
        }
        else
        {
            // Members already appended are complete, but the last block's lines are missing: the object is short.
            Assert.That(output.Length == 0 || Gzip.Decompress(output.ToArray()).Length < Events(events).Sum(e => e.Length), Is.True);
        }
    }

    [Test]
    public async Task WriteLine_FirstSmallEvent_AllocatesAtMostOneSegment()
    {
        using var output = new SegmentedBuffer();
        byte[] e = Events(2)[1];
        byte[] line = new byte[e.Length + EventJson.MaxLineOverhead];
        int length = EventJson.ValidateAndWriteLine(e, int.MaxValue, Now, line, out _);
        long before = GC.GetAllocatedBytesForCurrentThread();

        var encoder = new PooledGzipNdjsonEncoder(output, CompressionLevel.Fastest, threads: 1);
        long afterConstruction = GC.GetAllocatedBytesForCurrentThread();
        encoder.WriteLine(line.AsSpan(0, length));
        await encoder.FlushIfNeededAsync(CancellationToken.None);
        long afterFirst = GC.GetAllocatedBytesForCurrentThread();
        await encoder.DisposeAsync();

        Assert.That(afterConstruction - before, Is.LessThan(512), "no buffer before the first event");
        Assert.That(afterFirst - afterConstruction, Is.LessThanOrEqualTo(PooledGzipNdjsonEncoder.HeldSegmentBytes + 512), "the first event takes one 4 KB segment, no compressor");
    }
}
