namespace RawDataDestination.Internal;

/// <summary>
/// Bytes appended into segments from the <see cref="SegmentPool"/>, one taken at a time as they fill: what a batch holds
/// before its lines reach a compressor. A write that does not fit the last segment continues in the next.
/// </summary>
internal sealed class HeldLines
{
    private readonly List<byte[]> _segments = [];
    private int _lastUsed = SegmentPool.SegmentBytes;

    /// <summary>Gets the number of bytes held.</summary>
    public long Length { get; private set; }

    /// <summary>Gets the number of segments in use.</summary>
    public int SegmentCount => _segments.Count;

    /// <summary>Gets the free space at the end of the last segment: a line that fits is written there directly.</summary>
    public Span<byte> FreeSpan => _segments.Count == 0 ? default : _segments[^1].AsSpan(_lastUsed);

    /// <summary>Records that <paramref name="count"/> bytes were written into <see cref="FreeSpan"/>.</summary>
    public void Advance(int count)
    {
        _lastUsed += count;
        Length += count;
    }

    /// <summary>Appends <paramref name="bytes"/>, continuing in new segments as needed.</summary>
    public void Write(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            if (_lastUsed == SegmentPool.SegmentBytes)
            {
                _segments.Add(SegmentPool.Rent());
                _lastUsed = 0;
            }

            int count = Math.Min(bytes.Length, SegmentPool.SegmentBytes - _lastUsed);
            bytes[..count].CopyTo(_segments[^1].AsSpan(_lastUsed));
            _lastUsed += count;
            Length += count;
            bytes = bytes[count..];
        }
    }

    /// <summary>Takes a new segment when the last one is full (or there is none) and <paramref name="bytes"/> fit one.</summary>
    /// <returns>Whether <see cref="FreeSpan"/> holds at least <paramref name="bytes"/>; if not, the caller writes them with <see cref="Write"/>, across segments.</returns>
    public bool TryReserve(int bytes)
    {
        if (_lastUsed == SegmentPool.SegmentBytes && bytes <= SegmentPool.SegmentBytes)
        {
            _segments.Add(SegmentPool.Rent());
            _lastUsed = 0;
        }

        return SegmentPool.SegmentBytes - _lastUsed >= bytes;
    }

    /// <summary>Gets the bytes of segment <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Segment(int index) =>
        _segments[index].AsSpan(0, index == _segments.Count - 1 ? _lastUsed : SegmentPool.SegmentBytes);

    /// <summary>Gives every segment back to the pool; nothing is held afterwards.</summary>
    public void Clear()
    {
        foreach (byte[] segment in _segments)
        {
            SegmentPool.Return(segment);
        }

        _segments.Clear();
        _lastUsed = SegmentPool.SegmentBytes;
        Length = 0;
    }
}
