using System.Buffers;
using CsCheck;

namespace RawDataDestination.Tests.Properties;

/// <summary>
/// <see cref="SegmentedBuffer"/> over random segment sizes (fixed, as held lines use, or doubling, as batch content
/// uses), random writes and clears: what is read back, through <see cref="SegmentedBuffer.OpenRead"/> from any position
/// or segment by segment, is exactly what was written since the last clear, and every segment goes back to its pool.
/// </summary>
public class SegmentedBufferProperties
{
    /// <summary>A first segment of 16 B to 4 KB, and a largest one 1 to 32 times that.</summary>
    private static readonly Gen<(int First, int Largest)> Sizes =
        Gen.Select(Gen.Int[4, 12], Gen.Int[0, 5], (first, doublings) => (1 << first, 1 << (first + doublings)));

    /// <summary>Writes of 0 to 20,000 bytes, each one a clear now and then.</summary>
    private static readonly Gen<(int Length, bool ClearFirst)[]> Writes =
        Gen.Select(Gen.Int[0, 20_000], Gen.Int[0, 9].Select(n => n == 0), (length, clear) => (length, clear)).Array[1, 30];

    [Test]
    public void Writes_OfAnySizeWithClears_ReadBackExactlyWhatCameAfterTheLastClear() =>
        Gen.Select(Sizes, Writes, Gen.Int[0, int.MaxValue]).Sample(
            (sizes, writes, seed) =>
            {
                var pool = new CountingPool();
                var random = new Random(seed);
                var expected = new List<byte>();
                using (var buffer = new SegmentedBuffer(sizes.First, sizes.Largest, pool))
                {
                    foreach ((int length, bool clearFirst) in writes)
                    {
                        if (clearFirst)
                        {
                            buffer.Clear();
                            expected.Clear();
                        }

                        byte[] bytes = new byte[length];
                        random.NextBytes(bytes);
                        buffer.Write(bytes);
                        expected.AddRange(bytes);
                    }

                    byte[] all = [.. expected];
                    if (buffer.Length != all.Length || !buffer.ToArray().AsSpan().SequenceEqual(all))
                    {
                        return false;
                    }

                    var joined = new List<byte>();
                    for (int i = 0; i < buffer.SegmentCount; i++)
                    {
                        joined.AddRange(buffer.Segment(i).ToArray());
                    }

                    int position = all.Length == 0 ? 0 : random.Next(all.Length);
                    using Stream reader = buffer.OpenRead();
                    reader.Seek(position, SeekOrigin.Begin);
                    byte[] tail = new byte[all.Length - position];
                    reader.ReadExactly(tail);
                    if (!joined.SequenceEqual(all) || !tail.AsSpan().SequenceEqual(all.AsSpan(position)))
                    {
                        return false;
                    }
                }

                return pool.Outstanding == 0;
            },
            iter: 300);

    /// <summary>An array pool that counts what is rented and not yet returned.</summary>
    private sealed class CountingPool : ArrayPool<byte>
    {
        public int Outstanding { get; private set; }

        public override byte[] Rent(int minimumLength)
        {
            Outstanding++;
            return new byte[minimumLength];
        }

        public override void Return(byte[] array, bool clearArray = false) => Outstanding--;
    }
}
