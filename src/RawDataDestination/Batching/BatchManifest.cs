using System.Security.Cryptography;

namespace RawDataDestination.Batching;

/// <summary>
/// What describes a sealed batch wherever its bytes are (in memory, in the spool, in the staging bucket): whose events
/// of which day, its name, when it was opened and sealed and why, its counts and the SHA-256 computed when it was sealed.
/// One record for <see cref="SealedBatch"/>, <see cref="PendingBatch"/> and a staged batch read back.
/// </summary>
/// <param name="sourceId">The source the events came from.</param>
/// <param name="receivedDay">The UTC day on which the events were received.</param>
/// <param name="batchId">The batch's id (<see cref="BatchNaming"/>).</param>
/// <param name="openedAt">When the batch's first event was appended.</param>
/// <param name="sealedAt">When the batch was sealed.</param>
/// <param name="cause">Why the batch was sealed.</param>
/// <param name="eventCount">The number of events (lines).</param>
/// <param name="ndjsonBytes">The size of the NDJSON before compression, in bytes.</param>
/// <param name="compressedBytes">The size of the gzip content, in bytes.</param>
/// <param name="checksumSha256">The base64 SHA-256 of the gzip content, computed when the batch was sealed.</param>
internal sealed class BatchManifest(
    string sourceId,
    DateOnly receivedDay,
    string batchId,
    DateTimeOffset openedAt,
    DateTimeOffset sealedAt,
    SealCause cause,
    long eventCount,
    long ndjsonBytes,
    long compressedBytes,
    string checksumSha256)
{
    public string SourceId { get; } = sourceId;

    public DateOnly ReceivedDay { get; } = receivedDay;

    public string BatchId { get; } = ValidBatchId(sealedAt, batchId);

    /// <summary>
    /// Gets the file name, fixed when the batch is sealed: <c>{sealed-at unix ms}.{batch id}.gz</c>. Made from those two
    /// when asked, not kept: a batch waiting in the spool keeps no more strings than it must.
    /// </summary>
    public string FileName => BatchNaming.FileName(SealedAt, BatchId);

    public DateTimeOffset OpenedAt { get; } = openedAt;

    public DateTimeOffset SealedAt { get; } = sealedAt;

    public SealCause Cause { get; } = cause;

    public long EventCount { get; } = eventCount;

    public long NdjsonBytes { get; } = ndjsonBytes;

    public long CompressedBytes { get; } = compressedBytes;

    /// <summary>Gets the SHA-256 computed when the batch was sealed; every attempt sends it, whatever is read back from where the bytes wait.</summary>
    public string ChecksumSha256 { get; } = checksumSha256;

    /// <summary>Checks the batch id makes a file name (<see cref="BatchNaming.FileName"/> throws otherwise), as when the name was kept.</summary>
    private static string ValidBatchId(DateTimeOffset sealedAt, string batchId)
    {
        _ = BatchNaming.FileName(sealedAt, batchId);
        return batchId;
    }

    /// <summary>
    /// The checksum S3 verifies on PutObject (<c>x-amz-checksum-sha256</c>): the base64 SHA-256 of what is left of
    /// <paramref name="content"/>. Computed once, at the seal; a spooled file found at start is checked against it
    /// before it is sent, and one S3 refuses as not matching it is checked again (<see cref="SpooledBatchFiles"/>).
    /// </summary>
    /// <param name="content">The batch's gzip bytes.</param>
    /// <returns>The base64 SHA-256.</returns>
    public static string ChecksumOf(Stream content) => Convert.ToBase64String(SHA256.HashData(content));

    /// <summary>The checksum S3 verifies on PutObject, as <see cref="ChecksumOf"/>, read asynchronously.</summary>
    /// <param name="content">The batch's gzip bytes.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The base64 SHA-256.</returns>
    public static async Task<string> ChecksumOfAsync(Stream content, CancellationToken cancellationToken) =>
        Convert.ToBase64String(await SHA256.HashDataAsync(content, cancellationToken).ConfigureAwait(false));
}
