using System.Buffers;

namespace RawDataDestination.Ndjson;

/// <summary>
/// Cuts NDJSON read a chunk at a time into lines, each checked to be one this library wrote (an event, with its
/// <c>receivedAt</c>), holding at most one line: the one reader of files of lines this library wrote (a spool journal,
/// a sealed file read whole), and the one wording of what is wrong with them.
/// </summary>
/// <remarks>
/// The caller reads a chunk into <see cref="Chunk"/>, hands its length to <see cref="Take"/>, and calls
/// <see cref="Next"/> until it returns <see langword="false"/>: each <see langword="true"/> leaves one whole line in
/// <see cref="Line"/>, which the next call drops. A <see langword="false"/> means the chunk is used up (a line that goes
/// on waits for the next chunk), or that <see cref="Problem"/> says why the input is not lines this library wrote; then
/// nothing more is cut. The reading itself, sync or async, from a file or through a decompressor, stays the caller's.
/// </remarks>
internal sealed class EventLineCutter : IDisposable
{
    /// <summary>How many bytes <see cref="Chunk"/> takes at a time.</summary>
    public const int ChunkBytes = 64 * 1024;

    private readonly int _maxLineBytes;
    private readonly int _limit;
    private readonly ArrayBufferWriter<byte> _line;
    private byte[]? _chunk = ArrayPool<byte>.Shared.Rent(ChunkBytes);
    private int _start;
    private int _length;
    private bool _lineCut;

    /// <summary>Creates a cutter.</summary>
    /// <param name="maxLineBytes">The longest line accepted, newline excluded: longer is no line this library writes with these settings.</param>
    /// <param name="tailBytes">
    /// How many bytes the caller's reader adds after the input's last newline (a mark of its own), accepted beyond
    /// <paramref name="maxLineBytes"/> in the line they end up in.
    /// </param>
    public EventLineCutter(int maxLineBytes, int tailBytes = 0)
    {
        _maxLineBytes = maxLineBytes;
        _limit = (int)Math.Min(int.MaxValue, (long)maxLineBytes + tailBytes);
        _line = new ArrayBufferWriter<byte>(Math.Min(_limit, ChunkBytes));
    }

    /// <summary>Gets where the next chunk is read to: <see cref="ChunkBytes"/> bytes.</summary>
    public Memory<byte> Chunk => (_chunk ?? throw new ObjectDisposedException(nameof(EventLineCutter))).AsMemory(0, ChunkBytes);

    /// <summary>Gets the number of the line being cut, from 1; after <see cref="Next"/> returned <see langword="true"/>, that of <see cref="Line"/>.</summary>
    public long LineNumber { get; private set; } = 1;

    /// <summary>Gets how many whole lines <see cref="Next"/> has given.</summary>
    public long LineCount { get; private set; }

    /// <summary>
    /// Gets the line <see cref="Next"/> just gave, without its newline; once the input has ended, the bytes after its last
    /// newline (a torn last line, or the reader's own tail).
    /// </summary>
    public ReadOnlySpan<byte> Line => _line.WrittenSpan;

    /// <summary>Gets why the input is not lines this library wrote, or <see langword="null"/> while it is.</summary>
    public string? Problem { get; private set; }

    /// <summary>Takes the <paramref name="length"/> bytes just read into <see cref="Chunk"/>, to be cut by <see cref="Next"/>.</summary>
    public void Take(int length)
    {
        _start = 0;
        _length = Problem is null ? length : 0;
    }

    /// <summary>Cuts the next whole line out of what was taken; <see langword="false"/> when none is left in it, or on a <see cref="Problem"/>.</summary>
    public bool Next()
    {
        if (_lineCut)
        {
            _line.Clear();
            LineNumber++;
            _lineCut = false;
        }

        if (_start >= _length)
        {
            return false;
        }

        ReadOnlySpan<byte> rest = _chunk.AsSpan(_start, _length - _start);
        int newline = rest.IndexOf((byte)'\n');
        int count = newline < 0 ? rest.Length : newline;
        if (_line.WrittenCount + count > _limit)
        {
            return Refuse($"line {LineNumber} is longer than {_maxLineBytes} bytes, longer than any line this library writes with these settings (if MaxEventBytes was lowered since the file was written, raise it and move the file back)");
        }

        _line.Write(rest[..count]);
        if (newline < 0)
        {
            _start = _length;
            return false; // the line goes on in the next chunk
        }

        _start += count + 1;
        try
        {
            if (EventJson.Validate(_line.WrittenSpan, int.MaxValue, refuseUnreadable: false) is null)
            {
                return Refuse($"line {LineNumber} is not an event this library wrote (it has no receivedAt, which every line it writes has)");
            }
        }
        catch (EventRejectedException exception)
        {
            return Refuse($"line {LineNumber} is not an event this library wrote ({exception.Message})");
        }

        _lineCut = true;
        LineCount++;
        return true;
    }

    public void Dispose()
    {
        if (_chunk is not null)
        {
            ArrayPool<byte>.Shared.Return(_chunk);
            _chunk = null;
        }
    }

    private bool Refuse(string problem)
    {
        Problem = problem;
        _length = 0;
        return false;
    }
}
