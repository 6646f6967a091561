using RawDataDestination.Encoding;
using RawDataDestination.Internal;
using RawDataDestination.Spool;

namespace RawDataDestination.Batching;

/// <summary>A batch still taking events: its encoder, its compressed content, and a gate that serializes writers.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "Sealing hands the content to the SealedBatch, which owns it; DiscardAsync releases an empty batch.")]
internal sealed class OpenBatch
{
    private readonly SegmentedBuffer _content = new();
    private readonly PooledGzipNdjsonEncoder _encoder;

    private readonly BatchSpool? _journalSpool;
    private JournalWriter? _journal;

    /// <summary>Opens a batch; with a <paramref name="journalSpool"/>, its journal file is created on the first write.</summary>
    /// <param name="partition">The source and day.</param>
    /// <param name="openedAt">When the first event arrived.</param>
    /// <param name="batchId">The batch id, shared by its journal and its sealed file.</param>
    /// <param name="options">The encoder's level and event size limit.</param>
    /// <param name="journalSpool">Where to journal acknowledged lines, or <see langword="null"/> for none.</param>
    public OpenBatch(PartitionKey partition, DateTimeOffset openedAt, string batchId, BatchBufferOptions options, BatchSpool? journalSpool)
    {
        Partition = partition;
        OpenedAt = openedAt;
        BatchId = batchId;
        _journalSpool = journalSpool;
        _encoder = new PooledGzipNdjsonEncoder(_content, options.CompressionLevel, options.CompressionThreads);
    }

    /// <summary>Gets the batch's id, chosen when it opens so its journal and its sealed file share it.</summary>
    public string BatchId { get; }

    /// <summary>Deletes the journal once the sealed batch is safe on disk: its lines are all in it.</summary>
    public ValueTask DeleteJournalAsync() => _journal is null ? ValueTask.CompletedTask : _journalSpool!.DeleteJournalAsync(_journal);

    public PartitionKey Partition { get; }

    public DateTimeOffset OpenedAt { get; }

    /// <summary>Serializes writers and the sealer. Hold it for every member below.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>Gets whether the batch was sealed; a writer that finds it sealed looks up the partition's new batch.</summary>
    public bool IsSealed { get; private set; }

    public long EventCount => _encoder.EventCount;

    public long UncompressedBytes => _encoder.UncompressedBytes;

    /// <summary>Writes one validated event; with a journal, <paramref name="durable"/> completes when the line is on disk.</summary>
    public int Write(ReadOnlySpan<byte> utf8Json, DateTimeOffset? stamp, out Task durable)
    {
        if (_journalSpool is not null)
        {
            _journal ??= _journalSpool.OpenJournal(Partition, BatchId);
        }

        int written = _encoder.WriteValidated(utf8Json, stamp, _journal);
        durable = _journal?.LastCommit ?? Task.CompletedTask;
        return written;
    }

    public ValueTask FlushIfNeededAsync() => _encoder.FlushIfNeededAsync(CancellationToken.None);

    /// <summary>Marks an empty batch sealed and releases it; writers waiting on the gate move to a new batch.</summary>
    public async ValueTask DiscardAsync()
    {
        IsSealed = true;
        await _encoder.DisposeAsync().ConfigureAwait(false);
        await _content.DisposeAsync().ConfigureAwait(false);
        if (_journal is not null)
        {
            await _journalSpool!.DeleteJournalAsync(_journal).ConfigureAwait(false);
        }
    }

    /// <summary>Completes the gzip stream and turns the batch into a <see cref="SealedBatch"/>.</summary>
    public async Task<SealedBatch> SealAsync(SealCause cause, DateTimeOffset sealedAt)
    {
        IsSealed = true;
        try
        {
            await _encoder.CompleteAsync().ConfigureAwait(false);
        }
        catch
        {
            await _encoder.DisposeAsync().ConfigureAwait(false);
            await _content.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new SealedBatch(
            Partition.SourceId,
            Partition.ReceivedDay,
            BatchId,
            OpenedAt,
            sealedAt,
            cause,
            EventCount,
            UncompressedBytes,
            _content);
    }
}
