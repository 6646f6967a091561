using RawDataDestination.Batching;
using RawDataDestination.Internal;

namespace RawDataDestination.Staging;

/// <summary>A staged batch read back from the staging bucket: its bytes and what its metadata says about them.</summary>
internal sealed class StagedContent : IDisposable
{
    private SegmentedBuffer? _content;

    public StagedContent(SegmentedBuffer content, bool checksumMatches, long eventCount, long uncompressedBytes, DateTimeOffset? openedAt, DateTimeOffset? stagedAt, SealCause cause, string? destinationBucket = null, string? destinationKey = null)
    {
        DestinationBucket = destinationBucket;
        DestinationKey = destinationKey;
        _content = content;
        ChecksumMatches = checksumMatches;
        EventCount = eventCount;
        UncompressedBytes = uncompressedBytes;
        OpenedAt = openedAt;
        StagedAt = stagedAt;
        Cause = cause;
    }

    /// <summary>Gets whether the bytes have the SHA-256 recorded when they were staged.</summary>
    public bool ChecksumMatches { get; }

    public long EventCount { get; }

    public long UncompressedBytes { get; }

    public DateTimeOffset? OpenedAt { get; }

    /// <summary>Gets when the batch was staged, by the staging host's clock; <see langword="null"/> when the metadata lacks it.</summary>
    public DateTimeOffset? StagedAt { get; }

    public SealCause Cause { get; }

    /// <summary>Gets the customer's bucket the batch was staged for, by its metadata; <see langword="null"/> when the metadata lacks it (staged by an earlier version).</summary>
    public string? DestinationBucket { get; }

    /// <summary>Gets the customer key the batch was staged for, by its metadata; <see langword="null"/> when the metadata lacks it or cannot be read.</summary>
    public string? DestinationKey { get; }

    /// <summary>Whether the metadata says the batch was staged for exactly this bucket and key.</summary>
    public bool IsStagedFor(string bucket, string key) =>
        string.Equals(DestinationBucket, bucket, StringComparison.Ordinal) && string.Equals(DestinationKey, key, StringComparison.Ordinal);

    /// <summary>Turns the content into the sealed batch it was staged from: same identity, so same customer key, and same bytes.</summary>
    /// <remarks>The batch takes the bytes over; dispose the batch, not this.</remarks>
    public SealedBatch ToSealedBatch(StagedBatchIdentity identity)
    {
        SegmentedBuffer content = _content ?? throw new ObjectDisposedException(nameof(StagedContent));
        _content = null;
        return new SealedBatch(
            identity.SourceId,
            identity.ReceivedDay,
            identity.BatchId,
            OpenedAt ?? identity.SealedAt,
            identity.SealedAt,
            Cause,
            EventCount,
            UncompressedBytes,
            content);
    }

    public void Dispose() => _content?.Dispose();
}
