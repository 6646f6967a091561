using System.IO.Compression;
using System.IO.Pipelines;
using System.Text.Json;
using RawDataDestination.Internal;

namespace RawDataDestination.Ndjson;

/// <summary>
/// Streams events into gzip-compressed newline-delimited JSON: each event is validated, written compact on one line
/// to a <see cref="PipeWriter"/>, and compressed as the pipe flushes.
/// </summary>
/// <remarks>
/// <para>
/// Each event must be exactly one JSON object of UTF-8 bytes. It is written with insignificant whitespace removed
/// and every name, value and member order unchanged. An event without a top-level <c>receivedAt</c> member gets one,
/// set to the time it was appended. Anything else is refused with an <see cref="EventRejectedException"/> and
/// writes nothing.
/// </para>
/// <para>
/// The output is a complete gzip file only after <see cref="CompleteAsync"/> returns. If encoding fails or the encoder
/// is disposed before then, the output is cut off without a gzip trailer, so a truncated object can never pass for a
/// complete one; throw it away.
/// </para>
/// <para>An instance is not thread-safe: callers serialize their calls.</para>
/// </remarks>
public sealed class GzipNdjsonEncoder : IAsyncDisposable
{
    /// <summary>The default largest event, in bytes: 32 KB, the Segment tracking API's limit per call.</summary>
    public const int DefaultMaxEventBytes = 32 * 1024;

    private readonly GzipOutput _gzip;
    private readonly PipeWriter _pipe;
    private readonly int _maxEventBytes;
    private bool _completed;

    /// <summary>Creates an encoder that writes one gzip member to <paramref name="output"/>.</summary>
    /// <param name="output">Where the compressed bytes go. It is left open.</param>
    /// <param name="compressionLevel">The gzip level. <see cref="CompressionLevel.Fastest"/> is the library's default.</param>
    /// <param name="maxEventBytes">The largest event accepted, in bytes. The default value is 32 KB.</param>
    public GzipNdjsonEncoder(Stream output, CompressionLevel compressionLevel = CompressionLevel.Fastest, int maxEventBytes = DefaultMaxEventBytes)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEventBytes, 2);
        _maxEventBytes = maxEventBytes;
        _gzip = new GzipOutput(output, compressionLevel);
        _pipe = PipeWriter.Create(new UnflushedWriteStream(_gzip.Input), new StreamPipeWriterOptions(minimumBufferSize: GzipOutput.RunBytes, leaveOpen: true));
    }

    /// <summary>Gets the number of events written.</summary>
    public long EventCount { get; private set; }

    /// <summary>Gets the number of NDJSON bytes written, before compression, newlines included.</summary>
    public long UncompressedBytes { get; private set; }

    /// <summary>Gets the largest event accepted, in bytes.</summary>
    public int MaxEventBytes => _maxEventBytes;

    /// <summary>Validates an event and appends it as one line.</summary>
    /// <param name="utf8Json">One JSON object, as UTF-8 bytes.</param>
    /// <param name="appendedAt">The time recorded as <c>receivedAt</c> when the event has none.</param>
    /// <param name="cancellationToken">Cancels the wait for the compressor. A cancelled encoder must be discarded.</param>
    /// <returns>The event's received time: its own <c>receivedAt</c>, or <paramref name="appendedAt"/>.</returns>
    /// <exception cref="EventRejectedException">The event is refused; nothing was written.</exception>
    public ValueTask<DateTimeOffset> AppendAsync(ReadOnlyMemory<byte> utf8Json, DateTimeOffset appendedAt, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_completed, this);

        // One pass: validated and written compact straight into the pipe; a refused event is never advanced over.
        Span<byte> line = _pipe.GetSpan(Math.Min(utf8Json.Length, _maxEventBytes) + EventJson.MaxLineOverhead);
        int written = EventJson.ValidateAndWriteLine(utf8Json.Span, _maxEventBytes, appendedAt, line, out DateTimeOffset? receivedAt);
        _pipe.Advance(written);
        EventCount++;
        UncompressedBytes += written;
        ValueTask flush = FlushIfNeededAsync(cancellationToken);
        return flush.IsCompletedSuccessfully
            ? ValueTask.FromResult(receivedAt ?? appendedAt)
            : AwaitFlush(flush, receivedAt ?? appendedAt);

        static async ValueTask<DateTimeOffset> AwaitFlush(ValueTask flush, DateTimeOffset result)
        {
            await flush.ConfigureAwait(false);
            return result;
        }
    }

    /// <summary>Validates an event given as a <see cref="JsonElement"/> and appends it as one line.</summary>
    /// <param name="json">A JSON object.</param>
    /// <param name="appendedAt">The time recorded as <c>receivedAt</c> when the event has none.</param>
    /// <param name="cancellationToken">Cancels the wait for the compressor. A cancelled encoder must be discarded.</param>
    /// <returns>The event's received time: its own <c>receivedAt</c>, or <paramref name="appendedAt"/>.</returns>
    /// <exception cref="EventRejectedException">The event is refused; nothing was written.</exception>
    public async ValueTask<DateTimeOffset> AppendAsync(JsonElement json, DateTimeOffset appendedAt, CancellationToken cancellationToken = default)
    {
        using var bytes = JsonElementBytes.Get(json);
        return await AppendAsync(bytes.Memory, appendedAt, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Finishes the gzip stream: flushes the pipe, then writes the gzip trailer. The output then holds a complete,
    /// valid gzip file.
    /// </summary>
    /// <param name="cancellationToken">Cancels the final flush. A cancelled encoder must be discarded.</param>
    public async ValueTask CompleteAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        try
        {
            FlushResult result = await _pipe.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (result.IsCanceled)
            {
                throw new OperationCanceledException("The final flush of the gzip stream was cancelled.");
            }

            await _pipe.CompleteAsync().ConfigureAwait(false);
            await _gzip.FinishAsync().ConfigureAwait(false);
            _completed = true;
        }
        catch
        {
            await AbandonAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Releases the compressor. If <see cref="CompleteAsync"/> has not returned, the output is left without a gzip
    /// trailer (an invalid gzip file) and must be thrown away.
    /// </summary>
    public ValueTask DisposeAsync() => _completed ? ValueTask.CompletedTask : AbandonAsync();

    /// <summary>Hands buffered lines to the compressor once enough have gathered.</summary>
    internal ValueTask FlushIfNeededAsync(CancellationToken cancellationToken)
    {
        if (_pipe.UnflushedBytes < GzipOutput.RunBytes)
        {
            return ValueTask.CompletedTask;
        }

        ValueTask<FlushResult> flush = _pipe.FlushAsync(cancellationToken);
        return flush.IsCompletedSuccessfully ? ValueTask.CompletedTask : AwaitFlush(flush);

        static async ValueTask AwaitFlush(ValueTask<FlushResult> flush) => await flush.ConfigureAwait(false);
    }

    private async ValueTask AbandonAsync()
    {
        _completed = true;
        await _pipe.CompleteAsync(new OperationCanceledException("The encoder was abandoned.")).ConfigureAwait(false);
        await _gzip.AbandonAsync().ConfigureAwait(false);
    }
}
