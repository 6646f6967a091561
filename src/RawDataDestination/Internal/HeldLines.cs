namespace RawDataDestination.Internal;

/// <summary>
/// Bytes appended into small fixed-size segments, one taken at a time as they fill: what a batch holds before its lines
/// reach a compressor. A write that does not fit the last segment continues in the next.
/// </summary>
/// <remarks>
/// The segments come from one process-wide pool, so memory follows the data held, not the number of open batches;
/// sealed batches give their segments back for the next ones. The pool keeps at most <see cref="MaxPooledBytes"/>;
/// beyond that, returned segments are left to the garbage collector.
/// </remarks>
internal sealed class HeldLines
{
    /// <summary>The size of a segment: about four events of a kilobyte.</summary>
    public const int SegmentBytes = 4 * 1024;

    /// <summary>The most the pool keeps for reuse.</summary>
    public const int MaxPooledBytes = 64 * 1024 * 1024;

    private static readonly byte[][] Free = new byte[MaxPooledBytes / SegmentBytes][];
    private static readonly object PoolGate = new();
    private static int _freeCount;

    private readonly List<byte[]> _segments = [];
    private int _lastUsed = SegmentBytes;

    /// <summary>Gets the number of bytes held.</summary>
    public long Length { get; private set; }

    /// <summary>Gets the number of segments in use.</summary>
    public int SegmentCount => _segments.Count;

    /// <summary>Appends <paramref name="bytes"/>, continuing in new segments as needed.</summary>
    public void Write(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            if (_lastUsed == SegmentBytes)
            {
                _segments.Add(Rent());
                _lastUsed = 0;
            }

            int count = Math.Min(bytes.Length, SegmentBytes - _lastUsed);
            bytes[..count].CopyTo(_segments[^1].AsSpan(_lastUsed));
            _lastUsed += count;
            Length += count;
            bytes = bytes[count..];
        }
    }

    /// <summary>Gets the bytes of segment <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Segment(int index) =>
        _segments[index].AsSpan(0, index == _segments.Count - 1 ? _lastUsed : SegmentBytes);

    /// <summary>Gives every segment back to the pool; nothing is held afterwards.</summary>
    public void Clear()
    {
        foreach (byte[] segment in _segments)
        {
            Return(segment);
        }

        _segments.Clear();
        _lastUsed = SegmentBytes;
        Length = 0;
    }

    /// <summary>Takes a segment of <see cref="SegmentBytes"/> bytes: a pooled one, or a new one when the pool is empty.</summary>
    private static byte[] Rent()
    {
        lock (PoolGate)
        {
            if (_freeCount > 0)
            {
                byte[] segment = Free[--_freeCount];
                Free[_freeCount] = null!;
                return segment;
            }
        }

        return GC.AllocateUninitializedArray<byte>(SegmentBytes);
    }

    /// <summary>Gives a segment back to the pool.</summary>
    private static void Return(byte[] segment)
    {
        lock (PoolGate)
        {
            if (_freeCount < Free.Length)
            {
                Free[_freeCount++] = segment;
            }
        }
    }
}
