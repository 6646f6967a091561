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
    /// <summary>The receipt a consumer returns for this object: its location is <c>s3://{Bucket}/{Key}</c>.</summary>
    /// <returns>The receipt.</returns>
    public BatchReceipt ToReceipt() => new($"s3://{Bucket}/{Key}", EventCount, UncompressedBytes, CompressedBytes);
}
