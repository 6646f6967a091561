namespace RawDataDestination.Tests.Support;

/// <summary>Builds sealed batches directly, for tests of consumers.</summary>
internal static class TestBatches
{
    public static readonly DateTimeOffset SealedAt = new(2023, 11, 24, 10, 40, 0, TimeSpan.Zero);

    public static async Task<SealedBatch> CreateAsync(string sourceId, DateOnly receivedDay, params string[] events) =>
        await CreateAsync(sourceId, receivedDay, Guid.CreateVersion7(SealedAt).ToString("D"), events);

    public static async Task<SealedBatch> CreateAsync(string sourceId, DateOnly receivedDay, string batchId, string[] events)
    {
        var content = new SegmentedBuffer();
        var encoder = new GzipNdjsonEncoder(content);
        foreach (string json in events)
        {
            await encoder.AppendAsync(Encoding.UTF8.GetBytes(json), SealedAt);
        }

        await encoder.CompleteAsync();
        return SealedBatch.Seal(content, sourceId, receivedDay, batchId, SealedAt, SealedAt, SealCause.Flush, encoder.EventCount, encoder.UncompressedBytes);
    }
}
