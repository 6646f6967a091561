using System.Buffers;
using System.IO.Compression;
using System.Text.Json;
using RawDataDestination.Ndjson;
using RawDataDestination.Internal;

namespace RawDataDestination.Batching;

/// <summary>
/// Builds one batch whose identity the host chooses, for hosts that read from a durable log (Kafka, Kinesis) and
/// decide batch boundaries themselves. Replaying the same records with the same identity after a crash produces the
/// same key and the same bytes, so the object is written once: exactly-once objects on an at-least-once upstream.
/// </summary>
/// <remarks>
/// <para>
/// The key is <c>{prefix/}segment-logs/{sourceId}/{receivedDay}/{sealedAt unix ms}.{batchId}.gz</c>. Give values
/// that replays reproduce: for example <c>batchId = "orders-3-0000001200"</c> (topic, partition, first offset) and
/// <c>sealedAt</c> = the first record's log timestamp.
/// </para>
/// <para>
/// Events should carry their own <c>receivedAt</c>; one without gets the <c>sealedAt</c> time, which a replay
/// reproduces too. Every event must belong to the batch's received day (UTC): others are refused.
/// </para>
/// <para>
/// An open builder holds its lines uncompressed until they pass 1 MB, and only then gets a compressor (as the buffer's
/// open batches do): a host may keep thousands open at once, one per source in a window, for about their lines each.
/// </para>
/// </remarks>
public sealed class BatchBuilder : IAsyncDisposable
{
    private readonly SegmentedBuffer _content = new();
    private readonly PooledGzipNdjsonEncoder _encoder;
    private readonly int _maxEventBytes;
    private readonly string _sourceId;
    private readonly DateOnly _receivedDay;
    private readonly string _batchId;
    private readonly DateTimeOffset _sealedAt;
    private bool _sealed;

    /// <summary>Starts a batch with a host-chosen identity.</summary>
    /// <param name="sourceId">The source id: 1–128 characters of <c>[A-Za-z0-9_.-]</c>.</param>
    /// <param name="receivedDay">The UTC day every event of the batch was received on.</param>
    /// <param name="batchId">The batch's id: 1–64 characters of <c>[A-Za-z0-9_-]</c>, unique for the source and day.</param>
    /// <param name="sealedAt">The time that starts the file name, and the <c>receivedAt</c> of events that have none: from 1970-01-01 to 2286-11-20 (UTC).</param>
    /// <param name="compressionLevel">The gzip level. The default value is <see cref="CompressionLevel.Fastest"/>.</param>
    /// <param name="maxEventBytes">The largest event accepted. The default value is 32 KB.</param>
    /// <exception cref="ArgumentException">The source id, batch id or sealed-at time is invalid; the message says why (for a batch id, how long it may be).</exception>
    public BatchBuilder(string sourceId, DateOnly receivedDay, string batchId, DateTimeOffset sealedAt, CompressionLevel compressionLevel = CompressionLevel.Fastest, int maxEventBytes = GzipNdjsonEncoder.DefaultMaxEventBytes)
    {
        if (SourceIdRules.Error(sourceId) is { } sourceProblem)
        {
            throw new ArgumentException(sourceProblem, nameof(sourceId));
        }

        if (BatchNaming.BatchIdError(batchId) is { } batchIdProblem)
        {
            throw new ArgumentException(batchIdProblem, nameof(batchId));
        }

        if (BatchNaming.SealedAtError(sealedAt) is { } sealedAtProblem)
        {
            throw new ArgumentException(sealedAtProblem, nameof(sealedAt));
        }

        _sourceId = sourceId;
        _receivedDay = receivedDay;
        _batchId = batchId;
        _sealedAt = sealedAt;
        // Lines are held uncompressed until the batch passes 1 MB (PooledGzipNdjsonEncoder): a host with thousands of
        // sources has thousands of builders open at once, and a live deflate state costs about 256 KB of native memory.
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEventBytes, 2); // as GzipNdjsonEncoder's
        _maxEventBytes = maxEventBytes;
        _encoder = new PooledGzipNdjsonEncoder(_content, compressionLevel, threads: 1);
    }

    /// <summary>Gets the number of events appended.</summary>
    public long EventCount => _encoder.EventCount;

    /// <summary>Appends one event.</summary>
    /// <param name="utf8Json">One JSON object as UTF-8 bytes.</param>
    /// <param name="cancellationToken">Cancels the wait for the compressor; a cancelled builder must be discarded.</param>
    /// <returns>A task that completes when the event is in the batch.</returns>
    /// <exception cref="EventRejectedException">The event is refused, or it was received on another day; nothing was written.</exception>
    public async ValueTask AppendAsync(ReadOnlyMemory<byte> utf8Json, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_sealed, this);
        byte[] line = ArrayPool<byte>.Shared.Rent(Math.Min(utf8Json.Length, _maxEventBytes) + EventJson.MaxLineOverhead);
        try
        {
            int length = EventJson.ValidateAndWriteLine(utf8Json.Span, _maxEventBytes, _sealedAt, line, out DateTimeOffset? receivedAt);
            DateOnly day = DateOnly.FromDateTime((receivedAt ?? _sealedAt).UtcDateTime);
            if (day != _receivedDay)
            {
                throw new EventRejectedException(
                    EventRejectionReason.InvalidReceivedAt,
                    $"The event was received on {day:yyyy-MM-dd} (UTC) but this batch holds events of {_receivedDay:yyyy-MM-dd}. Start a batch per UTC day.");
            }

            _encoder.WriteLine(line.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(line);
        }

        await _encoder.FlushIfNeededAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Appends one event given as a <see cref="JsonElement"/>.</summary>
    /// <param name="json">One JSON object.</param>
    /// <param name="cancellationToken">Cancels the wait for the compressor; a cancelled builder must be discarded.</param>
    /// <returns>A task that completes when the event is in the batch.</returns>
    /// <exception cref="EventRejectedException">The event is refused; nothing was written.</exception>
    public async ValueTask AppendAsync(JsonElement json, CancellationToken cancellationToken = default)
    {
        using var bytes = JsonElementBytes.Get(json);
        await AppendAsync(bytes.Memory, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Completes the gzip stream and returns the batch. The caller owns and disposes it.</summary>
    /// <param name="cancellationToken">Cancels the final flush.</param>
    /// <returns>The sealed batch.</returns>
    public async Task<SealedBatch> SealAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_sealed, this);
        _sealed = true;
        await _encoder.CompleteAsync(cancellationToken).ConfigureAwait(false);
        return SealedBatch.Seal(_content, _sourceId, _receivedDay, _batchId, _sealedAt, _sealedAt, SealCause.Flush, _encoder.EventCount, _encoder.UncompressedBytes);
    }

    /// <summary>Discards the batch if it was not sealed.</summary>
    /// <returns>A task that completes when the memory is released.</returns>
    public async ValueTask DisposeAsync()
    {
        if (!_sealed)
        {
            _sealed = true;
            await _encoder.DisposeAsync().ConfigureAwait(false);
            await _content.DisposeAsync().ConfigureAwait(false);
        }
    }
}
