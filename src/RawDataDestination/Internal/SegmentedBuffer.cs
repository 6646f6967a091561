using System.Buffers;

namespace RawDataDestination.Internal;

/// <summary>
/// A growable, append-only byte buffer made of segments rented from an array pool (by default
/// <see cref="ArrayPool{T}.Shared"/>), written as a <see cref="Stream"/> and read back through <see cref="OpenRead"/> or
/// segment by segment. It never copies what it holds to grow, and gives its segments back on <see cref="Clear"/> and on
/// dispose. By default segments double from <see cref="FirstSegmentSize"/> to <see cref="SegmentSize"/>, so a small
/// batch holds a few kilobytes, not a whole large segment; a buffer made with equal sizes takes fixed segments (an open
/// batch's held lines: 4 KB).
/// </summary>
internal sealed class SegmentedBuffer : Stream
{
    /// <summary>The default largest segment, and the size of every segment after the growing ones.</summary>
    internal const int SegmentSize = 128 * 1024;

    /// <summary>The default first segment's size.</summary>
    internal const int FirstSegmentSize = 4 * 1024;

    private readonly List<byte[]> _segments = [];
    private readonly ArrayPool<byte> _pool;
    private readonly int _firstSegmentSize;

    /// <summary>How many segments double before all the rest are the largest (by default 5: 4, 8, 16, 32 and 64 KB; then 128 KB).</summary>
    private readonly int _growingSegments;
    private int _lastSegmentUsed;
    private int _lastSegmentSize;
    private long _length;
    private bool _disposed;

    /// <summary>Creates a buffer whose segments double from <see cref="FirstSegmentSize"/> (4 KB) to <see cref="SegmentSize"/> (128 KB).</summary>
    public SegmentedBuffer()
        : this(FirstSegmentSize, SegmentSize, ArrayPool<byte>.Shared)
    {
    }

    /// <summary>Creates a buffer whose segments double from <paramref name="firstSegmentSize"/> to <paramref name="segmentSize"/>.</summary>
    /// <param name="firstSegmentSize">The first segment's size: a power of two.</param>
    /// <param name="segmentSize">The largest segment's size: <paramref name="firstSegmentSize"/> times a power of two (equal: fixed segments).</param>
    /// <param name="pool">Where segments are rented from and given back to.</param>
    public SegmentedBuffer(int firstSegmentSize, int segmentSize, ArrayPool<byte> pool)
    {
        if (!int.IsPow2(firstSegmentSize) || !int.IsPow2(segmentSize) || segmentSize < firstSegmentSize)
        {
            throw new ArgumentException("Segment sizes are powers of two, the first no larger than the others.", nameof(segmentSize));
        }

        _pool = pool;
        _firstSegmentSize = firstSegmentSize;
        _growingSegments = int.Log2(segmentSize / firstSegmentSize);
    }

    /// <summary>Gets the number of segments in use.</summary>
    public int SegmentCount => _segments.Count;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => !_disposed;

    public override long Length => _length;

    public override long Position
    {
        get => _length;
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        while (!buffer.IsEmpty)
        {
            if (_lastSegmentUsed == _lastSegmentSize)
            {
                _lastSegmentSize = SizeOf(_segments.Count);
                _segments.Add(_pool.Rent(_lastSegmentSize));
                _lastSegmentUsed = 0;
            }

            int count = Math.Min(buffer.Length, _lastSegmentSize - _lastSegmentUsed);
            buffer[..count].CopyTo(_segments[^1].AsSpan(_lastSegmentUsed));
            _lastSegmentUsed += count;
            _length += count;
            buffer = buffer[count..];
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Gets the bytes written into segment <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Segment(int index) =>
        _segments[index].AsSpan(0, index == _segments.Count - 1 ? _lastSegmentUsed : SizeOf(index));

    /// <summary>Gives every segment back to the pool: the buffer is empty again, and can be written anew.</summary>
    public void Clear()
    {
        foreach (byte[] segment in _segments)
        {
            _pool.Return(segment);
        }

        _segments.Clear();
        _lastSegmentUsed = _lastSegmentSize = 0;
        _length = 0;
    }

    /// <summary>Opens a seekable, read-only view of what has been written so far.</summary>
    public Stream OpenRead()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new Reader(this);
    }

    /// <summary>Copies the whole content into one new array.</summary>
    public byte[] ToArray()
    {
        var result = new byte[_length];
        using var reader = OpenRead();
        reader.ReadExactly(result);
        return result;
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <summary>The size of segment <paramref name="index"/>: doubling from the first, up to the largest.</summary>
    private int SizeOf(int index) => _firstSegmentSize << Math.Min(index, _growingSegments);

    /// <summary>Finds the segment holding <paramref name="position"/>, and the offset in it.</summary>
    private (int Segment, int Offset) Locate(long position)
    {
        int largest = SizeOf(_growingSegments);
        int growingBytes = largest - _firstSegmentSize;
        if (position >= growingBytes)
        {
            long past = position - growingBytes;
            return (_growingSegments + (int)(past / largest), (int)(past % largest));
        }

        int segment = 0;
        int start = 0;
        while (position >= start + SizeOf(segment))
        {
            start += SizeOf(segment);
            segment++;
        }

        return (segment, (int)(position - start));
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            Clear();
        }

        base.Dispose(disposing);
    }

    private sealed class Reader(SegmentedBuffer owner) : Stream
    {
        private readonly long _length = owner._length;
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        public override long Length => _length;

        public override long Position
        {
            get => _position;
            set
            {
                ArgumentOutOfRangeException.ThrowIfNegative(value);
                _position = value;
            }
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            ObjectDisposedException.ThrowIf(owner._disposed, owner);
            int total = 0;
            while (!buffer.IsEmpty && _position < _length)
            {
                (int segment, int offsetInSegment) = owner.Locate(_position);
                int available = (int)Math.Min(owner.SizeOf(segment) - offsetInSegment, _length - _position);
                int count = Math.Min(available, buffer.Length);
                owner._segments[segment].AsSpan(offsetInSegment, count).CopyTo(buffer);
                buffer = buffer[count..];
                _position += count;
                total += count;
            }

            return total;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer.AsSpan(offset, count)));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override long Seek(long offset, SeekOrigin origin)
        {
            Position = origin switch
            {
                SeekOrigin.Begin => offset,
                SeekOrigin.Current => _position + offset,
                _ => _length + offset,
            };
            return _position;
        }

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
