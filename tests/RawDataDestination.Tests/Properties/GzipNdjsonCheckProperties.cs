using CsCheck;

namespace RawDataDestination.Tests.Properties;

/// <summary>
/// <see cref="GzipNdjsonCheck"/>, the read of a spool file no checksum vouches for, over random batches of event lines
/// compressed as one gzip member or several (as large batches are): a whole file passes with its exact event and byte
/// counts; the same file cut at any byte that is not the end of one of its members, or with random bytes after it, never
/// passes (.NET's GZipStream alone takes most of those for whole files).
/// </summary>
public class GzipNdjsonCheckProperties
{
    private const int MaxLine = 1024;

    /// <summary>1 to 300 events split into 1 to 4 members, a cut point (a fraction of the length) and 1 to 64 bytes of garbage.</summary>
    private static readonly Gen<(int Events, int Members, double Cut, byte[] Garbage, int Seed)> Files =
        Gen.Select(Gen.Int[1, 300], Gen.Int[1, 4], Gen.Double[0, 1], Gen.Byte.Array[1, 64], Gen.Int[0, int.MaxValue]);

    [Test]
    public void Check_OfAWholeFile_PassesWithItsCountsAndOfACutOrExtendedOneNever() =>
        Files.Sample(
            (events, members, cut, garbage, seed) =>
            {
                (byte[] file, List<int> memberEnds, long ndjsonBytes) = Build(events, members, seed);

                Assert.That(Check(file, out long counted, out long bytes), Is.Null, "a whole file passes");
                Assert.That((counted, bytes), Is.EqualTo(((long)events, ndjsonBytes)), "with its exact counts");

                int at = (int)(cut * (file.Length - 1));
                if (!memberEnds.Contains(at))
                {
                    Assert.That(Check(file[..at], out _, out _), Is.Not.Null, $"cut at byte {at} of {file.Length} (members end at {string.Join(", ", memberEnds)})");
                }

                Assert.That(Check([.. file, .. garbage], out _, out _), Is.Not.Null, $"{garbage.Length} random byte(s) after it");
            },
            iter: 300);

    private static string? Check(byte[] file, out long events, out long bytes)
    {
        using var stream = new MemoryStream(file);
        return GzipNdjsonCheck.Check(stream, MaxLine, out events, out bytes);
    }

    /// <summary>Random event lines as gzip members; where each member ends; the NDJSON bytes.</summary>
    private static (byte[] File, List<int> MemberEnds, long NdjsonBytes) Build(int events, int members, int seed)
    {
        var random = new Random(seed);
        string[] lines = [.. Enumerable.Range(0, events).Select(i => $"{{\"messageId\":\"m-{i}\",\"v\":\"{new string((char)('a' + random.Next(26)), random.Next(0, 200))}\",\"n\":{random.Next()},\"receivedAt\":\"2023-11-24T10:00:00.000Z\"}}")];
        var output = new MemoryStream();
        var ends = new List<int>();
        int perMember = (events + members - 1) / members;
        foreach (string[] part in lines.Chunk(perMember))
        {
            using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
            {
                gzip.Write(Encoding.UTF8.GetBytes(string.Concat(part.Select(line => line + "\n"))));
            }

            ends.Add((int)output.Length);
        }

        return (output.ToArray(), ends, lines.Sum(line => (long)Encoding.UTF8.GetByteCount(line) + 1));
    }
}
