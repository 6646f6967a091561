namespace RawDataDestination.Batching;

/// <summary>What a consumer delivered: where the batch went, and its counts.</summary>
/// <param name="Location">Where the batch was written, such as <c>s3://bucket/key</c>.</param>
/// <param name="EventCount">The number of events (lines) in the batch.</param>
/// <param name="UncompressedBytes">The batch's NDJSON size before compression.</param>
/// <param name="CompressedBytes">The size of the object written.</param>
public sealed record BatchReceipt(string Location, long EventCount, long UncompressedBytes, long CompressedBytes)
{
    /// <summary>A receipt for <paramref name="batch"/> delivered to <paramref name="location"/>.</summary>
    /// <param name="batch">The batch delivered.</param>
    /// <param name="location">Where it was written.</param>
    /// <returns>The receipt.</returns>
    public static BatchReceipt For(SealedBatch batch, string location)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return new BatchReceipt(location, batch.EventCount, batch.UncompressedBytes, batch.CompressedBytes);
    }
}
