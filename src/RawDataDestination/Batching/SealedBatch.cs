using RawDataDestination.Internal;

namespace RawDataDestination.Batching;

/// <summary>
/// A finished batch: the complete gzip NDJSON of one source's events of one UTC day, with the file name it will be
/// stored under. The name is fixed when the batch is sealed, so every upload attempt writes the same key.
/// </summary>
/// <remarks>
/// The buffer owns the batch and its memory. A consumer may read it until its
/// <see cref="ISealedBatchConsumer.ConsumeAsync"/> returns; after that the buffer releases it.
/// </remarks>
public sealed class SealedBatch : IDisposable
{
    private readonly SegmentedBuffer _content;

    internal SealedBatch(BatchManifest manifest, SegmentedBuffer content)
    {
        Manifest = manifest;
        _content = content;
        Lane = manifest.SourceId;
    }

    /// <summary>Seals <paramref name="content"/>: the batch's compressed size and SHA-256 are the content's, taken now, once.</summary>
    internal static SealedBatch Seal(SegmentedBuffer content, string sourceId, DateOnly receivedDay, string batchId, DateTimeOffset openedAt, DateTimeOffset sealedAt, SealCause cause, long eventCount, long ndjsonBytes)
    {
        string checksum;
        using (Stream bytes = content.OpenRead())
        {
            checksum = BatchManifest.ChecksumOf(bytes);
        }

        return new(new BatchManifest(sourceId, receivedDay, batchId, openedAt, sealedAt, cause, eventCount, ndjsonBytes, content.Length, checksum), content);
    }

    /// <summary>Gets what describes the batch: the one record shared with its pending and staged forms.</summary>
    internal BatchManifest Manifest { get; }

    /// <summary>Gets the source the events came from.</summary>
    public string SourceId => Manifest.SourceId;

    /// <summary>Gets the UTC day on which the batch's events were received.</summary>
    public DateOnly ReceivedDay => Manifest.ReceivedDay;

    /// <summary>Gets the batch's id, unique across processes and restarts (a UUID v7).</summary>
    public string BatchId => Manifest.BatchId;

    /// <summary>Gets the file name: <c>{sealed-at unix ms}.{batch id}.gz</c>.</summary>
    public string FileName => Manifest.FileName;

    /// <summary>Gets when the batch's first event was appended.</summary>
    public DateTimeOffset OpenedAt => Manifest.OpenedAt;

    /// <summary>Gets when the batch was sealed.</summary>
    public DateTimeOffset SealedAt => Manifest.SealedAt;

    /// <summary>Gets why the batch was sealed.</summary>
    public SealCause Cause => Manifest.Cause;

    /// <summary>
    /// Gets the lane the batch is delivered in: the batches of one destination, which share retry state, a circuit
    /// breaker and their share of memory and upload slots. By default the source id; see <see cref="BatchBufferOptions.LaneKey"/>
    /// and <see cref="IBatchRouter"/>.
    /// </summary>
    public string Lane { get; internal set; }

    /// <summary>
    /// Gets what the buffer's <see cref="IBatchRouter"/> bound the batch to when it was sealed (for example, the
    /// destination's settings then), or <see langword="null"/> without a router, or for a batch read back from a spool
    /// whose source had no route.
    /// </summary>
    public object? RouteState { get; internal set; }

    /// <summary>
    /// Gets whether a failed delivery of this batch may still have written it: <see cref="S3.S3RoleDestination"/> sent
    /// its PutObject in full and got no answer (a timeout, a dropped connection, a cancellation at shutdown), or the
    /// attempt was left behind still waiting for one. The object may then exist under the batch's key. Delivering this
    /// batch again writes the same key (with conditional writes, S3 keeps the first); sending its events again in a new
    /// batch may store them twice. Always <see langword="false"/> for other consumers.
    /// </summary>
    public bool MayHaveBeenWritten => Puts.MayHaveLanded;

    /// <summary>Gets what the PutObject requests of this batch came to, told by the HTTP handler under the upload.</summary>
    internal PutWatch Puts { get; private init; } = new();

    /// <summary>Gets the number of events (lines) in the batch.</summary>
    public long EventCount => Manifest.EventCount;

    /// <summary>Gets the size of the batch's NDJSON before compression, in bytes.</summary>
    public long UncompressedBytes => Manifest.NdjsonBytes;

    /// <summary>Gets the size of the gzip content, in bytes.</summary>
    public long CompressedBytes => Manifest.CompressedBytes;

    /// <summary>
    /// Gets the base64 SHA-256 of the gzip content, computed once when the batch is sealed: every upload attempt sends it
    /// as S3's <c>x-amz-checksum-sha256</c>, so S3 refuses a body changed on the way.
    /// </summary>
    internal string ChecksumSha256 => Manifest.ChecksumSha256;

    /// <summary>Opens a seekable, read-only stream over the gzip content. Each call gives an independent stream.</summary>
    public Stream OpenRead() => _content.OpenRead();

    /// <summary>Copies the gzip content into a new array.</summary>
    /// <returns>The gzip content, in one array as large as <see cref="CompressedBytes"/>.</returns>
    /// <remarks>
    /// A batch may hold up to <see cref="BatchBufferOptions.MaxBatchBytes"/> (100 MB by default) before compression, so one
    /// array of it can land on the large object heap; <see cref="OpenRead"/> reads the same bytes without copying them.
    /// </remarks>
    [Obsolete("Use SealedBatch.OpenRead(), which reads the content without copying it into one array (a batch can reach 100 MB), e.g. batch.OpenRead().CopyToAsync(destination). ToArray will be removed in 2.0.")]
    public byte[] ToArray() => _content.ToArray();

    /// <summary>A copy with its own memory, for a host taking a batch whose last attempt may still be reading this one.</summary>
    internal SealedBatch Copy()
    {
        var content = new SegmentedBuffer();
        using (Stream source = _content.OpenRead())
        {
            source.CopyTo(content);
        }

        return new SealedBatch(Manifest, content)
        {
            Lane = Lane,
            RouteState = RouteState,
            Puts = Puts.Snapshot(),
        };
    }

    /// <summary>Releases the batch's memory. The buffer calls this once the batch is delivered.</summary>
    public void Dispose() => _content.Dispose();
}
