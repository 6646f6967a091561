using RawDataDestination.Batching;
using RawDataDestination.Internal;

namespace RawDataDestination.Staging;

/// <summary>A staged batch read back from the staging bucket: its bytes, what its key and metadata say about them, and whether they are intact.</summary>
internal sealed class StagedContent : IDisposable
{
    private SegmentedBuffer? _content;

    /// <summary>Creates the content read back.</summary>
    /// <param name="content">The bytes; this takes them over.</param>
    /// <param name="manifest">What the key and the metadata say about the batch, with the bytes' own length and SHA-256.</param>
    /// <param name="checksumMatches">Whether the bytes have the SHA-256 recorded when they were staged.</param>
    /// <param name="stagedAt">When the batch was staged, by the metadata.</param>
    /// <param name="destinationBucket">The customer's bucket it was staged for, by the metadata.</param>
    /// <param name="destinationKey">The customer key it was staged for, by the metadata.</param>
    public StagedContent(SegmentedBuffer content, BatchManifest manifest, bool checksumMatches, DateTimeOffset? stagedAt, string? destinationBucket = null, string? destinationKey = null)
    {
        _content = content;
        Manifest = manifest;
        ChecksumMatches = checksumMatches;
        StagedAt = stagedAt;
        DestinationBucket = destinationBucket;
        DestinationKey = destinationKey;
    }

    /// <summary>Gets what describes the batch: its identity from the staged key, its counts, open time and seal cause from the metadata.</summary>
    public BatchManifest Manifest { get; }

    /// <summary>Gets whether the bytes have the SHA-256 recorded when they were staged.</summary>
    public bool ChecksumMatches { get; }

    /// <summary>Gets when the batch was staged, by the staging host's clock; <see langword="null"/> when the metadata lacks it.</summary>
    public DateTimeOffset? StagedAt { get; }

    /// <summary>Gets the customer's bucket the batch was staged for, by its metadata; <see langword="null"/> when the metadata lacks it (staged by an earlier version).</summary>
    public string? DestinationBucket { get; }

    /// <summary>Gets the customer key the batch was staged for, by its metadata; <see langword="null"/> when the metadata lacks it or cannot be read.</summary>
    public string? DestinationKey { get; }

    /// <summary>Whether the metadata says the batch was staged for exactly this bucket and key.</summary>
    public bool IsStagedFor(string bucket, string key) =>
        string.Equals(DestinationBucket, bucket, StringComparison.Ordinal) && string.Equals(DestinationKey, key, StringComparison.Ordinal);

    /// <summary>Turns the content into the sealed batch it was staged from: same identity, so same customer key, and same bytes.</summary>
    /// <remarks>The batch takes the bytes over; dispose the batch, not this.</remarks>
    public SealedBatch ToSealedBatch()
    {
        SegmentedBuffer content = _content ?? throw new ObjectDisposedException(nameof(StagedContent));
        _content = null;
        return new SealedBatch(Manifest, content);
    }

    public void Dispose() => _content?.Dispose();
}
