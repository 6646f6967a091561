namespace RawDataDestination.Internal;

/// <summary>
/// A process-wide pool of small fixed-size segments for the lines of open batches. Open batches hold their lines in
/// these until they are compressed, so memory follows the data held, not the number of batches; sealed batches give
/// their segments back for the next ones. The pool keeps at most <see cref="MaxPooledBytes"/>; beyond that, returned
/// segments are left to the garbage collector.
/// </summary>
internal static class SegmentPool
{
    /// <summary>The size of a segment: about four events of a kilobyte.</summary>
    public const int SegmentBytes = 4 * 1024;

    /// <summary>The most the pool keeps for reuse.</summary>
    public const int MaxPooledBytes = 64 * 1024 * 1024;

    private static readonly byte[][] Free = new byte[MaxPooledBytes / SegmentBytes][];
    private static readonly object Gate = new();
    private static int _count;

    /// <summary>Takes a segment of <see cref="SegmentBytes"/> bytes: a pooled one, or a new one when the pool is empty.</summary>
    public static byte[] Rent()
    {
        lock (Gate)
        {
            if (_count > 0)
            {
                byte[] segment = Free[--_count];
                Free[_count] = null!;
                return segment;
            }
        }

        return GC.AllocateUninitializedArray<byte>(SegmentBytes);
    }

    /// <summary>Gives a segment back.</summary>
    public static void Return(byte[] segment)
    {
        lock (Gate)
        {
            if (_count < Free.Length)
            {
                Free[_count++] = segment;
            }
        }
    }
}
