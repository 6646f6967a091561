using System.Buffers;
using System.Diagnostics;
using System.IO.Compression;
using RawDataDestination.Internal;

namespace RawDataDestination.Ndjson;

/// <summary>
/// Compresses one batch's NDJSON over several threads, for <see cref="PooledGzipNdjsonEncoder"/> (the parallel
/// counterpart of <see cref="GzipOutput"/>): compact lines are gathered into 1 MB blocks, each full block becomes an
/// independent gzip member on the thread pool, and the members are appended to the output in block order. Concatenated
/// gzip members are one valid gzip file (RFC 1952; <c>gzip -t</c>, <c>zcat</c>, .NET's <see cref="GZipStream"/> and
/// Python's gzip read it whole), with the lines in the order they were written.
/// </summary>
/// <remarks>
/// It takes lines already made and counted by the encoder that owns the batch; it neither validates nor counts events.
/// Memory is bounded: at most <c>threads</c> blocks are being compressed at once; a writer that would start one
/// more first waits for the oldest and appends it. Callers serialize <see cref="WriteCompact"/>,
/// <see cref="FlushIfNeededAsync"/> and <see cref="CompleteAsync"/> (a batch's gate does).
/// </remarks>
internal sealed class ParallelGzipNdjsonEncoder : IAsyncDisposable
{
    /// <summary>The uncompressed size of a block, and so of a gzip member.</summary>
    internal const int BlockBytes = 1024 * 1024;

    /// <summary>A gzip member of no data: header, an empty final deflate block, CRC-32 0 and length 0.</summary>
    internal static ReadOnlySpan<byte> EmptyMember => [0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff, 0x03, 0x00, 0, 0, 0, 0, 0, 0, 0, 0];

    /// <summary>A gzip member header with nothing after it: <c>gzip -t</c> and every reader report an unexpected end of file.</summary>
    private static ReadOnlySpan<byte> TruncatedMember => [0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff];

    private readonly Stream _output;
    private readonly CompressionLevel _level;
    private readonly int _maxInFlight;
    private readonly Queue<Task<SegmentedBuffer>> _inFlight = new();
    private byte[] _block = [];
    private int _blockLength;
    private int _blocksStarted;
    private bool _completed;

    /// <summary>Creates a compressor that appends gzip members to <paramref name="output"/>.</summary>
    /// <param name="output">Where the compressed bytes go, member after member. It is left open.</param>
    /// <param name="compressionLevel">The gzip level of every member.</param>
    /// <param name="threads">How many blocks may be compressed at once: the threads working for this batch, at least 1
    /// (the encoder that owns the batch has checked its arguments).</param>
    public ParallelGzipNdjsonEncoder(Stream output, CompressionLevel compressionLevel, int threads)
    {
        Debug.Assert(threads >= 1, "The owning encoder checks the thread count.");
        _output = output;
        _level = compressionLevel;
        _maxInFlight = threads;
    }

    /// <summary>Appends lines already compact (whole or in pieces) to the current block, starting a member for each full one.</summary>
    /// <param name="lines">NDJSON bytes: whole lines, or pieces of them in order.</param>
    public void WriteCompact(ReadOnlySpan<byte> lines)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        while (!lines.IsEmpty)
        {
            if (_blockLength == _block.Length)
            {
                if (_blockLength > 0)
                {
                    StartBlock();
                }

                _block = ArrayPool<byte>.Shared.Rent(BlockBytes);
            }

            int count = Math.Min(lines.Length, _block.Length - _blockLength);
            lines[..count].CopyTo(_block.AsSpan(_blockLength));
            _blockLength += count;
            lines = lines[count..];
        }
    }

    /// <summary>Appends the members already compressed, and waits for the oldest while too many blocks are in flight.</summary>
    public ValueTask FlushIfNeededAsync(CancellationToken cancellationToken)
    {
        while (_inFlight.TryPeek(out Task<SegmentedBuffer>? oldest) && oldest.IsCompleted)
        {
            AppendMember(_inFlight.Dequeue().GetAwaiter().GetResult());
        }

        return _inFlight.Count < _maxInFlight ? ValueTask.CompletedTask : AppendOldestAsync(cancellationToken);
    }

    /// <summary>Compresses the last block and appends every member in order. The output then holds a complete gzip file.</summary>
    public async ValueTask CompleteAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        if (_blockLength > 0 || _blocksStarted == 0)
        {
            StartBlock(); // an empty batch is one empty member: still a valid gzip file
        }

        while (_inFlight.Count > 0)
        {
            await AppendOldestAsync(cancellationToken).ConfigureAwait(false);
        }

        _completed = true;
        ReturnBlock();
    }

    /// <summary>
    /// Releases the blocks and members. If <see cref="CompleteAsync"/> has not returned, the output is incomplete and
    /// must be thrown away; the members already appended are complete gzip members, so a truncated one is appended
    /// after them, and the output never reads as a complete gzip file.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_completed)
        {
            return;
        }

        _completed = true;
        while (_inFlight.TryDequeue(out Task<SegmentedBuffer>? member))
        {
            try
            {
                (await member.ConfigureAwait(false)).Dispose();
            }
#pragma warning disable CA1031 // Abandoning: a member that failed to compress is thrown away like the others.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }

        ReturnBlock();
        try
        {
            _output.Write(TruncatedMember);
        }
        catch (Exception exception) when (exception is IOException or ObjectDisposedException or NotSupportedException)
        {
            // The output itself failed: it is thrown away anyway.
        }
    }

    private async ValueTask AppendOldestAsync(CancellationToken cancellationToken) =>
        AppendMember(await _inFlight.Dequeue().WaitAsync(cancellationToken).ConfigureAwait(false));

    /// <summary>Hands the current block to a thread-pool compression; the next write rents a new one.</summary>
    private void StartBlock()
    {
        byte[] block = _block;
        int length = _blockLength;
        CompressionLevel level = _level;
        _inFlight.Enqueue(Task.Run(() => Compress(block, length, level)));
        _blocksStarted++;
        _block = [];
        _blockLength = 0;
    }

    private void ReturnBlock()
    {
        if (_block.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_block);
            _block = [];
        }
    }

    private static SegmentedBuffer Compress(byte[] block, int length, CompressionLevel level)
    {
        var member = new SegmentedBuffer();
        try
        {
            if (length == 0)
            {
                member.Write(EmptyMember); // GZipStream writes nothing at all for no input
                return member;
            }

            using (var gzip = new GZipStream(member, level, leaveOpen: true))
            {
                gzip.Write(block, 0, length);
            }

            return member;
        }
        catch
        {
            member.Dispose();
            throw;
        }
        finally
        {
            if (block.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(block);
            }
        }
    }

    private void AppendMember(SegmentedBuffer member)
    {
        using (member)
        {
            using Stream content = member.OpenRead();
            content.CopyTo(_output);
        }
    }
}
