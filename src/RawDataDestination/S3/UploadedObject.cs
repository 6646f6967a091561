using RawDataDestination.Batching;

namespace RawDataDestination.S3;

/// <summary>An object the destination wrote.</summary>
/// <param name="Bucket">The bucket's name.</param>
/// <param name="Key">The object's key: <c>{prefix/}segment-logs/{source-id}/{received-day}/{file}.gz</c>.</param>
/// <param name="EventCount">How many events (lines) the object holds.</param>
/// <param name="UncompressedBytes">The size of its NDJSON before compression.</param>
/// <param name="CompressedBytes">The object's size.</param>
public sealed record UploadedObject(string Bucket, string Key, long EventCount, long UncompressedBytes, long CompressedBytes)
{
    /// <summary>Gets where the object is: <c>s3://{Bucket}/{Key}</c>, the location a receipt for it names.</summary>
    public string Location => $"s3://{Bucket}/{Key}";

    /// <summary>The receipt a consumer returns for this object: its location is <c>s3://{Bucket}/{Key}</c>.</summary>
    /// <returns>The receipt.</returns>
    /// <remarks>
    /// One of two receipt factories in 1.0. <see cref="BatchReceipt.For"/> is the one every consumer can use: it takes
    /// the counts from the batch delivered, which is what the receipt describes.
    /// </remarks>
    [Obsolete("Use BatchReceipt.For(batch, uploaded.Location), the receipt factory every consumer uses. ToReceipt will be removed in 2.0.")]
    public BatchReceipt ToReceipt() => new(Location, EventCount, UncompressedBytes, CompressedBytes);
}
