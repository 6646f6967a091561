using RawDataDestination.Encoding;
using RawDataDestination.Internal;

namespace RawDataDestination.Batching;

/// <summary>A batch still taking events: its encoder, its compressed content, and a gate that serializes writers.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "Sealing hands the content to the SealedBatch, which owns it; DiscardAsync releases an empty batch.")]
internal sealed class OpenBatch
{
    private readonly SegmentedBuffer _content = new();
    private readonly GzipNdjsonEncoder _encoder;

    public OpenBatch(PartitionKey partition, DateTimeOffset openedAt, BatchBufferOptions options)
    {
        Partition = partition;
        OpenedAt = openedAt;
        _encoder = new GzipNdjsonEncoder(_content, options.CompressionLevel, options.MaxEventBytes);
    }

    public PartitionKey Partition { get; }

    public DateTimeOffset OpenedAt { get; }

    /// <summary>Serializes writers and the sealer. Hold it for every member below.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>Gets whether the batch was sealed; a writer that finds it sealed looks up the partition's new batch.</summary>
    public bool IsSealed { get; private set; }

    public long EventCount => _encoder.EventCount;

    public long UncompressedBytes => _encoder.UncompressedBytes;

    public int Write(ReadOnlySpan<byte> utf8Json, DateTimeOffset? stamp) => _encoder.WriteValidated(utf8Json, stamp);

    public ValueTask FlushIfNeededAsync() => _encoder.FlushIfNeededAsync(CancellationToken.None);

    /// <summary>Marks an empty batch sealed and releases it; writers waiting on the gate move to a new batch.</summary>
    public async ValueTask DiscardAsync()
    {
        IsSealed = true;
        await _encoder.DisposeAsync().ConfigureAwait(false);
        await _content.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Completes the gzip stream and turns the batch into a <see cref="SealedBatch"/>.</summary>
    public async Task<SealedBatch> SealAsync(SealCause cause, DateTimeOffset sealedAt, string batchId)
    {
        IsSealed = true;
        try
        {
            await _encoder.CompleteAsync().ConfigureAwait(false);
        }
        catch
        {
            await _content.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new SealedBatch(
            Partition.SourceId,
            Partition.ReceivedDay,
            batchId,
            OpenedAt,
            sealedAt,
            cause,
            _encoder.EventCount,
            _encoder.UncompressedBytes,
            _content);
    }
}
