using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using RawDataDestination.Internal;

namespace RawDataDestination.Ndjson;

/// <summary>
/// Reads a gzipped NDJSON file whole and says whether it is one this library could have written: complete gzip (every
/// member whole, nothing after the last), and nothing but event lines, each ending with a newline, each with its
/// <c>receivedAt</c>. For a file no checksum vouches for; one whose SHA-256 matches the one recorded at its seal needs
/// none of this.
/// </summary>
/// <remarks>
/// .NET's <see cref="GZipStream"/> ends quietly at the end of its input, even in the middle of a member, and stops at
/// the first bytes after a member that are not another member's header: on its own it takes half a file, or a file
/// with garbage after it, for a whole one. So the file is read with one more member of its own after it, holding a
/// random mark that no file can know: a file whose last member is whole leads the decompressor into that member, which
/// ends the output with the mark; one cut short swallows the member's bytes as its own deflate data (an error, or
/// output without the mark), and bytes after the last member stop the reader before it. The CRC-32 and length of every
/// member that ends are checked by the decompressor. Memory stays bounded by one line.
/// </remarks>
internal static class GzipNdjsonCheck
{
    /// <summary>Reads <paramref name="file"/> from where it is to its end; returns why it is not whole gzipped event lines (at least one), or <see langword="null"/>.</summary>
    /// <param name="file">The file's bytes; left open.</param>
    /// <param name="maxLineBytes">The longest line accepted, newline excluded: longer is no line this library writes.</param>
    /// <param name="events">The lines read, each an event.</param>
    /// <param name="bytes">The NDJSON bytes, newlines included.</param>
    public static string? Check(Stream file, int maxLineBytes, out long events, out long bytes)
    {
        events = 0;
        bytes = 0;
        byte[] mark = Mark();
        using var gzip = new GZipStream(new ThenStream(file, MemberOf(mark)), CompressionMode.Decompress);
        using var lines = new EventLineCutter(maxLineBytes, tailBytes: mark.Length);
        try
        {
            int length;
            while ((length = gzip.Read(lines.Chunk.Span)) > 0)
            {
                bytes += length;
                lines.Take(length);
                while (lines.Next())
                {
                    // Each line is checked as it is cut; only the count is kept.
                }

                if (lines.Problem is { } problem)
                {
                    return problem;
                }
            }
        }
        catch (InvalidDataException exception)
        {
            return $"it is not a complete gzip file: its compressed data is cut short or damaged (the decompressor says: {exception.Message.TrimEnd('.')})";
        }

        events = lines.LineCount;
        if (lines.Line.SequenceEqual(mark))
        {
            bytes -= mark.Length;
            return events == 0 ? "it holds no event" : null;
        }

        return lines.Line.EndsWith(mark)
            ? $"its last line (line {lines.LineNumber}) has no newline: it was cut short"
            : "it is not a complete gzip file: its last gzip member is cut short, or bytes that are not gzip follow it";
    }

    /// <summary>A mark no file holds: a NUL (never in an event line) and 32 random hex digits.</summary>
    private static byte[] Mark()
    {
        byte[] mark = new byte[33];
        Encoding.ASCII.GetBytes(Convert.ToHexString(RandomNumberGenerator.GetBytes(16)), mark.AsSpan(1));
        return mark;
    }

    private static byte[] MemberOf(byte[] content)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(content);
        }

        return output.ToArray();
    }

    /// <summary>A read-only stream of another stream's bytes, then some bytes of its own.</summary>
    private sealed class ThenStream(Stream first, byte[] then) : ReadOnlyStream
    {
        private int _thenRead;
        private bool _firstEnded;

        public override int Read(Span<byte> buffer)
        {
            if (!_firstEnded)
            {
                int read = first.Read(buffer);
                if (read > 0 || buffer.IsEmpty)
                {
                    return read;
                }

                _firstEnded = true;
            }

            int left = Math.Min(buffer.Length, then.Length - _thenRead);
            then.AsSpan(_thenRead, left).CopyTo(buffer);
            _thenRead += left;
            return left;
        }
    }
}
