namespace RawDataDestination.Tests.Internal;

public class SegmentedBufferTests
{
    [Test]
    public void OpenRead_AfterWritesOfEverySize_ReadsBackTheSameBytesAcrossGrowingSegments()
    {
        var random = new Random(7);
        byte[] data = new byte[1_000_000];
        random.NextBytes(data);
        using var buffer = new SegmentedBuffer();
        for (int at = 0; at < data.Length;)
        {
            int count = Math.Min(data.Length - at, random.Next(1, 70_000));
            buffer.Write(data, at, count);
            at += count;
        }

        Assert.That(buffer.Length, Is.EqualTo(data.Length));
        Assert.That(buffer.ToArray(), Is.EqualTo(data));
    }

    [TestCase(0)]
    [TestCase(4095)]
    [TestCase(4096)]
    [TestCase(12287)]
    [TestCase(12288)]
    [TestCase(126_975)]
    [TestCase(126_976)]
    [TestCase(258_048)]
    [TestCase(999_999)]
    public void Seek_ToAnyPosition_ReadsTheByteWrittenThere(int position)
    {
        byte[] data = Enumerable.Range(0, 1_000_000).Select(i => (byte)(i * 31 + (i >> 12))).ToArray();
        using var buffer = new SegmentedBuffer();
        buffer.Write(data);
        using Stream reader = buffer.OpenRead();

        reader.Seek(position, SeekOrigin.Begin);
        byte[] read = new byte[Math.Min(10_000, data.Length - position)];
        reader.ReadExactly(read);

        Assert.That(read, Is.EqualTo(data.AsSpan(position, read.Length).ToArray()));
    }

    [Test]
    public void Segments_OfFixedSize_HoldTheWrittenBytesInOrderAndStartAgainAfterClear()
    {
        byte[] data = Enumerable.Range(0, 20_000).Select(i => (byte)(i * 7)).ToArray();
        using var buffer = new SegmentedBuffer(4096, 4096, System.Buffers.ArrayPool<byte>.Create(4096, 4));
        buffer.Write(data.AsSpan(0, 5000));
        buffer.Write(data.AsSpan(5000));

        var joined = new List<byte>();
        for (int i = 0; i < buffer.SegmentCount; i++)
        {
            Assert.That(buffer.Segment(i).Length, Is.EqualTo(i < buffer.SegmentCount - 1 ? 4096 : 20_000 % 4096), $"segment {i}");
            joined.AddRange(buffer.Segment(i).ToArray());
        }

        Assert.That(joined, Is.EqualTo(data), "the segments, in order, are the bytes written");
        Assert.That(buffer.ToArray(), Is.EqualTo(data), "read back through OpenRead");

        buffer.Clear();
        buffer.Write(data.AsSpan(0, 10));

        Assert.That((buffer.Length, buffer.SegmentCount, buffer.ToArray()), Is.EqualTo((10L, 1, data[..10])), "after Clear the buffer holds only what came after");
    }

    [Test]
    public void Write_OfAKilobyte_AllocatesAFewKilobytesNotALargeSegment()
    {
        using var buffer = new SegmentedBuffer();
        byte[] kilobyte = new byte[1024];
        buffer.Write(kilobyte); // the first rent from the shared pool may allocate; measure a second buffer's
        using var second = new SegmentedBuffer();
        long before = GC.GetAllocatedBytesForCurrentThread();

        second.Write(kilobyte);

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(SegmentedBuffer.FirstSegmentSize + 512));
    }
}
