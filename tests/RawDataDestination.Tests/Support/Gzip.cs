namespace RawDataDestination.Tests.Support;

/// <summary>Writes gzip content as a batch file holds it (one member), and reads it back for assertions.</summary>
internal static class Gzip
{
    /// <summary>Compresses <paramref name="text"/>, as UTF-8, into one gzip member.</summary>
    public static byte[] Compress(string text)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }

        return output.ToArray();
    }

    /// <summary>Compresses <paramref name="lines"/> as NDJSON, each line ended by a newline, into one gzip member.</summary>
    public static byte[] Ndjson(IEnumerable<string> lines) => Compress(string.Concat(lines.Select(line => line + "\n")));

    public static byte[] Decompress(byte[] gzip)
    {
        using var input = new GZipStream(new MemoryStream(gzip), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    public static string[] Lines(byte[] gzip)
    {
        string text = Encoding.UTF8.GetString(Decompress(gzip));
        Assert.That(text, Does.EndWith("\n").Or.Empty, "NDJSON ends every line with a newline");
        return text.Length == 0 ? [] : text[..^1].Split('\n');
    }

    /// <summary>Counts gzip member headers as .NET writes them (1f 8b 08, no flags, no time): enough bytes that compressed data never fakes one.</summary>
    public static int Members(byte[] gzip)
    {
        ReadOnlySpan<byte> header = [0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0];
        int count = 0;
        for (int i = gzip.AsSpan().IndexOf(header); i >= 0;)
        {
            count++;
            int next = gzip.AsSpan(i + 1).IndexOf(header);
            i = next < 0 ? -1 : i + 1 + next;
        }

        return count;
    }
}
