using RawDataDestination.Internal;

namespace RawDataDestination.Cli;

/// <summary>
/// <c>ship</c>'s input as the line reader reads it, watched at the reads it makes anyway (no read of its own before the
/// run starts, no byte held back or lost): read from its start, an input whose first bytes say it is compressed or
/// UTF-16 is refused (<see cref="InputWords.NotLinesRefused"/>), as <c>ShipInput.Open</c> refuses a file; and a file that ends shorter than
/// the bytes already read from it, and than it was when reading started (truncated while read, as logrotate's
/// <c>copytruncate</c> does), ends the reading with
/// <see cref="InputShrankException"/>, so that what follows the last newline read, cut, is never taken for a line.
/// </summary>
/// <remarks>
/// A pipe's first read may bring a single byte. Only when the bytes read begin one of the starts refused (none of which
/// a JSON text starts with) are more reads made, until they tell: an input of JSON is passed on exactly as read.
/// </remarks>
/// <param name="inner">The input, at <paramref name="from"/>.</param>
/// <param name="from">The input's offset where reading starts: the start, or a resumed run's place.</param>
/// <param name="inputPath">The <c>--input</c> file as given, or <see langword="null"/> for standard input.</param>
internal sealed class WatchedInput(Stream inner, long from, string? inputPath) : ReadOnlyStream
{
    private long _position = from;

    /// <summary>
    /// The file's length when reading started. A file shrank only if it ends shorter than that too: a file that reports no
    /// length while it holds bytes (those of /proc and /sys) was never longer, and is read as it comes.
    /// </summary>
    private readonly long _lengthAtStart = inner.CanSeek ? inner.Length : 0;

    /// <summary>Gets the input's offset just past the last byte read (it started at the place given).</summary>
    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(Span<byte> buffer)
    {
        int read = inner.Read(buffer);
        while (_position == 0 && read < buffer.Length && InputWords.TooFewToTell(buffer[..read]) && inner.Read(buffer[read..]) is > 0 and int more)
        {
            read += more;
        }

        return Watched(buffer, read);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        while (_position == 0 && read < buffer.Length && InputWords.TooFewToTell(buffer.Span[..read]))
        {
            int more = await inner.ReadAsync(buffer[read..], cancellationToken).ConfigureAwait(false);
            if (more == 0)
            {
                break;
            }

            read += more;
        }

        return Watched(buffer.Span, read);
    }

    private int Watched(ReadOnlySpan<byte> buffer, int read)
    {
        if (_position == 0 && InputWords.NotLinesRefused(buffer[..read], inputPath) is { } refused)
        {
            throw refused;
        }

        if (read == 0 && inner.CanSeek && inner.Length is long length && length < _position && length < _lengthAtStart)
        {
            throw new InputShrankException(inputPath, _position, length);
        }

        _position += read;
        return read;
    }
}
