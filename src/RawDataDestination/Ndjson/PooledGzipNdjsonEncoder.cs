using System.Buffers;
using System.IO.Compression;
using RawDataDestination.Internal;

namespace RawDataDestination.Ndjson;

/// <summary>
/// An open batch's encoder whose memory follows its data: lines are held uncompressed in 4 KB segments from one
/// process-wide pool (<see cref="SegmentedBuffer"/>) until the batch passes <see cref="CompressThresholdBytes"/> (1 MB);
/// only then does a compressor exist, and the held lines stream into it 64 KB at a time (with more than one thread, as
/// the parallel encoder's independent gzip members). A batch sealed below the threshold is compressed in one pass when it is sealed, and
/// its compressor lives only for that call. Nothing is allocated before the first line but this object.
/// </summary>
/// <remarks>
/// <para>
/// Thousands of sources, most of them quiet, then cost about the NDJSON they hold (plus at most one segment's slack
/// each), instead of a live deflate state (about 256 KB of native memory in zlib) and a pipe buffer per batch from its
/// first event. .NET offers no way to reset a deflate state for reuse, so compressors are not pooled: they are
/// created only for batches past the threshold, or for the length of a seal.
/// </para>
/// <para>
/// The output is a complete gzip file only after <see cref="CompleteAsync"/> returns; a batch abandoned before then
/// leaves output without a gzip trailer. Callers serialize every call (a batch's gate does).
/// </para>
/// </remarks>
internal sealed class PooledGzipNdjsonEncoder : IAsyncDisposable
{
    /// <summary>
    /// Past this many NDJSON bytes, a batch gets its compressor. Measured (benchmarks, <c>--sources</c>): a streaming
    /// batch costs about 300 KB beyond its compressed bytes (the deflate state, GZipStream's buffer, up to 64 KB of
    /// lines waiting for the next run). At 256 KB, 400 batches just past it held 545 KB each, 1.9× their NDJSON;
    /// at 1 MB, a batch just past it holds about 0.6× its NDJSON, and below it exactly its NDJSON (plus under 4 KB).
    /// </summary>
    internal const int CompressThresholdBytes = 1024 * 1024;

    /// <summary>The size of a held-lines segment: about four events of a kilobyte, the most a quiet batch holds unused.</summary>
    internal const int HeldSegmentBytes = 4 * 1024;

    /// <summary>
    /// The held-lines segments given back by sealed or streaming batches, for the next ones: up to 64 MB of them (beyond
    /// that they are left to the garbage collector). Measured (<c>--sources</c>, one source): the shared array pool,
    /// which keeps a few dozen per core, made appends allocate 16 % more.
    /// </summary>
    private static readonly ArrayPool<byte> HeldSegments = ArrayPool<byte>.Create(HeldSegmentBytes, 64 * 1024 * 1024 / HeldSegmentBytes);

    private readonly Stream _output;
    private readonly CompressionLevel _level;
    private readonly int _threads;
    private readonly SegmentedBuffer _held = new(HeldSegmentBytes, HeldSegmentBytes, HeldSegments);
    private GzipOutput? _gzip;
    private ParallelGzipNdjsonEncoder? _parallel;
    private bool _completed;

    /// <summary>Creates an encoder that writes one gzip file to <paramref name="output"/>.</summary>
    /// <param name="output">Where the compressed bytes go. It is left open.</param>
    /// <param name="compressionLevel">The gzip level.</param>
    /// <param name="threads">The compression threads for a batch past the threshold: 1 streams into one compressor; more compress 1 MB blocks in parallel.</param>
    public PooledGzipNdjsonEncoder(Stream output, CompressionLevel compressionLevel, int threads)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        _output = output;
        _level = compressionLevel;
        _threads = threads;
    }

    /// <summary>Gets the number of events written.</summary>
    public long EventCount { get; private set; }

    /// <summary>Gets the number of NDJSON bytes written, before compression, newlines included.</summary>
    public long UncompressedBytes { get; private set; }

    /// <summary>Gets whether the batch has its compressor (it passed <see cref="CompressThresholdBytes"/>).</summary>
    internal bool IsStreaming => _gzip is not null || _parallel is not null;

    /// <summary>Gets the bytes of lines held uncompressed.</summary>
    internal long HeldBytes => _held.Length;

    /// <summary>Holds a line already made by <see cref="EventJson.ValidateAndWriteLine"/> (compact, stamped, ending in <c>\n</c>), as is.</summary>
    /// <param name="line">The line.</param>
    public void WriteLine(ReadOnlySpan<byte> line)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        _held.Write(line);
        EventCount++;
        UncompressedBytes += line.Length;
    }

    /// <summary>Starts the compressor once the batch passes <see cref="CompressThresholdBytes"/>, then hands it held lines in runs.</summary>
    public ValueTask FlushIfNeededAsync(CancellationToken cancellationToken)
    {
        if (!IsStreaming)
        {
            if (_held.Length < CompressThresholdBytes)
            {
                return ValueTask.CompletedTask;
            }

            StartCompressor(_threads);
        }

        if (_held.Length >= GzipOutput.RunBytes)
        {
            Drain();
        }

        return _parallel?.FlushIfNeededAsync(cancellationToken) ?? ValueTask.CompletedTask;
    }

    /// <summary>Finishes the output: afterwards it holds a complete, valid gzip file.</summary>
    public async ValueTask CompleteAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        try
        {
            if (_parallel is not null)
            {
                Drain();
                await _parallel.CompleteAsync(cancellationToken).ConfigureAwait(false);
            }
            else if (EventCount == 0)
            {
                _output.Write(ParallelGzipNdjsonEncoder.EmptyMember); // no lines: an empty gzip file, still valid
            }
            else
            {
                if (_gzip is null)
                {
                    StartCompressor(threads: 1); // sealed below the threshold: compressed now, in one pass
                }

                Drain();
                await _gzip!.FinishAsync().ConfigureAwait(false);
                _gzip = null;
            }

            _completed = true;
        }
        catch
        {
            await AbandonAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Releases the held lines and any compressor. If <see cref="CompleteAsync"/> has not returned, the output is incomplete and must be thrown away.</summary>
    public ValueTask DisposeAsync() => _completed ? ValueTask.CompletedTask : AbandonAsync();

    private void StartCompressor(int threads)
    {
        if (threads > 1)
        {
            _parallel = new ParallelGzipNdjsonEncoder(_output, _level, threads);
        }
        else
        {
            _gzip = new GzipOutput(_output, _level);
        }
    }

    /// <summary>Hands every held line to the compressor and gives the segments back.</summary>
    private void Drain()
    {
        for (int i = 0; i < _held.SegmentCount; i++)
        {
            if (_parallel is not null)
            {
                _parallel.WriteCompact(_held.Segment(i));
            }
            else
            {
                _gzip!.Write(_held.Segment(i));
            }
        }

        _held.Clear();
    }

    private async ValueTask AbandonAsync()
    {
        _completed = true;
        await _held.DisposeAsync().ConfigureAwait(false);
        if (_gzip is not null)
        {
            await _gzip.AbandonAsync().ConfigureAwait(false);
            _gzip = null;
        }

        if (_parallel is not null)
        {
            await _parallel.DisposeAsync().ConfigureAwait(false);
        }
    }
}
