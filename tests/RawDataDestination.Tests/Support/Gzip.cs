using System.IO.Compression;
using System.Text;

namespace RawDataDestination.Tests.Support;

/// <summary>Reads gzip content back for assertions.</summary>
internal static class Gzip
{
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
}
