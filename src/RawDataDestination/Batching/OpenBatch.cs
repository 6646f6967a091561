using RawDataDestination.Ndjson;
using RawDataDestination.Internal;
using RawDataDestination.Spool;

namespace RawDataDestination.Batching;

/// <summary>
/// A batch still taking events: its encoder and compressed content. Without a journal, an appended line goes straight
/// into the encoder. With one, it goes to the journal first and reaches the encoder only once it is on disk, so an
/// append whose journal write fails leaves nothing in the batch. The caller (its partition's gate in <see cref="SealPolicy"/>)
/// serializes writers and the sealer.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "Sealing hands the content to the SealedBatch, which owns it; DiscardAsync releases an empty batch.")]
internal sealed class OpenBatch
{
    private readonly SegmentedBuffer _content = new();
    private readonly PooledGzipNdjsonEncoder _encoder;

    private readonly BatchSpool? _journalSpool;
    private readonly Action<SealCause>? _completing;
    private JournalWriter? _journal;
    private long _acceptedEvents;
    private long _acceptedBytes;

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
        _completing = options.Completing;
        _encoder = new PooledGzipNdjsonEncoder(_content, options.CompressionLevel, options.CompressionThreads);
    }

    /// <summary>Gets the batch's id, chosen when it opens so its journal and its sealed file share it.</summary>
    public string BatchId { get; }

    public PartitionKey Partition { get; }

    public DateTimeOffset OpenedAt { get; }

    /// <summary>Gets the events accepted: written, or waiting for their journal write (less those whose write failed).</summary>
    public long EventCount => _acceptedEvents - (_journal?.FailedLines ?? 0);

    /// <summary>Gets the NDJSON bytes accepted, as <see cref="EventCount"/> counts events.</summary>
    public long UncompressedBytes => _acceptedBytes - (_journal?.FailedBytes ?? 0);

    /// <summary>Gets the path of the journal, or <see langword="null"/> when the batch has none.</summary>
    public JournalWriter? Journal => _journal;

    /// <summary>
    /// Writes one event's line (validated, compact, stamped, ending in <c>\n</c>); with a journal,
    /// <paramref name="durable"/> completes when the line is on disk and in the batch, and the journal's round observer
    /// is told <paramref name="mark"/> with the line's round. Returns the line's length.
    /// </summary>
    public int WriteLine(ReadOnlySpan<byte> line, long mark, out Task durable)
    {
        if (_journalSpool is null)
        {
            _encoder.WriteLine(line);
            durable = Task.CompletedTask;
        }
        else
        {
            _journal ??= _journalSpool.OpenJournal(Partition.SourceId, Partition.ReceivedDay, BatchId, TakeCommittedAsync);
            _journal.Append(line, mark);
            durable = _journal.LastCommit;
        }

        _acceptedEvents++;
        _acceptedBytes += line.Length;
        return line.Length;
    }

    /// <summary>Hands buffered lines to the compressor once enough have gathered (without a journal; with one, the journal does).</summary>
    public ValueTask FlushIfNeededAsync() => _journal is null ? _encoder.FlushIfNeededAsync(CancellationToken.None) : ValueTask.CompletedTask;

    /// <summary>Deletes the journal once the sealed batch is safe on disk (or delivered): its lines are all in it.</summary>
    public ValueTask DeleteJournalAsync() => _journal is null ? ValueTask.CompletedTask : _journalSpool!.DeleteJournalAsync(_journal);

    /// <summary>Releases an empty batch (its journal, if any, is deleted).</summary>
    public async ValueTask DiscardAsync()
    {
        if (_journal is not null)
        {
            await _journalSpool!.DeleteJournalAsync(_journal).ConfigureAwait(false);
        }

        await _encoder.DisposeAsync().ConfigureAwait(false);
        await _content.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Waits for the journal's last writes and closes its file, then completes the gzip stream and turns the batch into a
    /// <see cref="SealedBatch"/>; returns <see langword="null"/> (the batch discarded) when no event is left in it.
    /// </summary>
    public async Task<SealedBatch?> SealAsync(SealCause cause, DateTimeOffset sealedAt)
    {
        if (_journal is not null)
        {
            // The batch takes no more lines: close the journal's file now (it stays on disk until the sealed file is
            // safe), so a batch being sealed, saved or delivered holds no file open (journals past MaxOpenBatches would
            // run a process out of its open-file limit).
            await _journal.DisposeAsync().ConfigureAwait(false);
        }

        if (EventCount == 0)
        {
            await DiscardAsync().ConfigureAwait(false);
            return null;
        }

        try
        {
            _completing?.Invoke(cause);
            await _encoder.CompleteAsync().ConfigureAwait(false);
        }
        catch
        {
            await _encoder.DisposeAsync().ConfigureAwait(false);
            await _content.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return SealedBatch.Seal(_content, Partition.SourceId, Partition.ReceivedDay, BatchId, OpenedAt, sealedAt, cause, _encoder.EventCount, _encoder.UncompressedBytes);
    }

    /// <summary>Feeds a round of lines, now on disk, into the encoder (on the journal's flusher; writers never touch the encoder then).</summary>
    private async ValueTask TakeCommittedAsync(ReadOnlyMemory<byte> lines)
    {
        while (!lines.IsEmpty)
        {
            int newline = lines.Span.IndexOf((byte)'\n');
            _encoder.WriteLine(lines.Span[..(newline + 1)]);
            lines = lines[(newline + 1)..];
        }

        await _encoder.FlushIfNeededAsync(CancellationToken.None).ConfigureAwait(false);
    }
}
