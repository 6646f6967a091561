using System.Buffers;

namespace RawDataDestination.Internal;

/// <summary>
/// A growable, append-only byte buffer made of pooled segments, written as a <see cref="Stream"/> and read back
/// through <see cref="OpenRead"/>. It never copies what it holds to grow, and returns its segments on dispose.
/// Segments double from <see cref="FirstSegmentSize"/> to <see cref="SegmentSize"/>, so a small batch holds a few
/// kilobytes, not a whole large segment.
/// </summary>
internal sealed class SegmentedBuffer : Stream
{
    /// <summary>The largest segment, and the size of every segment after the growing ones.</summary>
    internal const int SegmentSize = 128 * 1024;

    /// <summary>The first segment's size.</summary>
    internal const int FirstSegmentSize = 4 * 1024;

    /// <summary>How many segments grow before they reach <see cref="SegmentSize"/> (4, 8, 16, 32 and 64 KB).</summary>
    private const int GrowingSegments = 5;

    /// <summary>The bytes in the growing segments together.</summary>
    private const int GrowingBytes = SegmentSize - FirstSegmentSize;

    private readonly List<byte[]> _segments = [];
    private int _lastSegmentUsed;
    private int _lastSegmentSize;
    private long _length;
    private bool _disposed;

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
                _segments.Add(ArrayPool<byte>.Shared.Rent(_lastSegmentSize));
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

    /// <summary>The size of segment <paramref name="index"/>.</summary>
    private static int SizeOf(int index) => index < GrowingSegments ? FirstSegmentSize << index : SegmentSize;

    /// <summary>Finds the segment holding <paramref name="position"/>, and the offset in it.</summary>
    private static (int Segment, int Offset) Locate(long position)
    {
        if (position >= GrowingBytes)
        {
            long past = position - GrowingBytes;
            return (GrowingSegments + (int)(past / SegmentSize), (int)(past % SegmentSize));
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
            foreach (byte[] segment in _segments)
            {
                ArrayPool<byte>.Shared.Return(segment);
            }

            _segments.Clear();
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
                (int segment, int offsetInSegment) = Locate(_position);
                int available = (int)Math.Min(SizeOf(segment) - offsetInSegment, _length - _position);
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
