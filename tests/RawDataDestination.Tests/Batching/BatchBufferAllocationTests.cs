namespace RawDataDestination.Tests.Batching;

/// <summary>
/// The append path allocates nothing per event once warm: the line is made in an array-pool buffer and held in pooled
/// segments. The only managed memory that grows is the batch's compressed content, which is the data itself.
/// </summary>
public class BatchBufferAllocationTests
{
    [Test]
    public async Task AppendAsync_InSteadyState_AllocatesNothingPerEventBeyondTheCompressedBytesItHolds()
    {
        var time = new FakeTimeProvider(Start);
        var consumer = new CountingConsumer();
        byte[][] events = Enumerable.Range(0, 1000)
            .Select(i => Encoding.UTF8.GetBytes(i % 2 == 0
                ? $"{{ \"type\": \"track\", \"messageId\": \"m-{i}\", \"properties\": {{ \"n\": {i}, \"ok\": true }} }}"
                : $"{{\"type\":\"track\",\"messageId\":\"m-{i}\",\"receivedAt\":\"2023-11-24T10:00:{i % 60:D2}.{i % 1000:D3}Z\"}}")) // with and without their own receivedAt
            .ToArray();
        const int Rounds = 30; // 30,000 events of about 90 bytes: past PooledGzipNdjsonEncoder's 1 MB threshold
        await using var buffer = new BatchBuffer(new BatchBufferOptions { FlushInterval = TimeSpan.FromDays(1) }, consumer, time);
        await AppendAsync(buffer, "warm-up", events, Rounds); // first use: pools, segments, a compressor, the JIT
        await buffer.FlushAsync();

        long before = GC.GetAllocatedBytesForCurrentThread();
        await AppendAsync(buffer, "measured", events, Rounds);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        long compressedBefore = consumer.CompressedBytes;
        await buffer.FlushAsync();
        long compressed = consumer.CompressedBytes - compressedBefore;

        long events30k = Rounds * events.Length;
        Assert.That(
            allocated,
            Is.LessThanOrEqualTo(compressed + (64 * 1024)),
            $"{allocated / (double)events30k:F1} bytes allocated per event, against {compressed / (double)events30k:F1} compressed bytes held per event");
    }

    private static async Task AppendAsync(BatchBuffer buffer, string sourceId, byte[][] events, int rounds)
    {
        for (int round = 0; round < rounds; round++)
        {
            foreach (byte[] e in events)
            {
                await buffer.AppendAsync(sourceId, e);
            }
        }
    }

    private sealed class CountingConsumer : ISealedBatchConsumer
    {
        private long _compressedBytes;

        public long CompressedBytes => Interlocked.Read(ref _compressedBytes);

        public Task<BatchReceipt> ConsumeAsync(SealedBatch batch, CancellationToken cancellationToken)
        {
            Interlocked.Add(ref _compressedBytes, batch.CompressedBytes);
            return Task.FromResult(BatchReceipt.For(batch, "memory"));
        }
    }
}
