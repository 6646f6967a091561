using System.Buffers;
using System.IO.Pipelines;

namespace RawDataDestination.Cli;

/// <summary>
/// Reads newline-delimited lines as raw bytes (a trailing <c>\r</c> is dropped, and a UTF-8 byte order mark at the start
/// of a line, as Windows tools write one at a file's start, too: files joined with <c>cat</c> bring one to the start of
/// each file's first line, and no JSON text starts with one), without decoding or copying them: each
/// line is a slice of the pipe's buffer, valid only during the call. A line split across two buffer segments (rare, with
/// 1 MB reads) is gathered in one reused scratch array.
/// </summary>
/// <remarks>
/// Memory and time are bounded whatever the input: a line is refused as soon as it is known to be longer than the
/// largest line allowed (more bytes than that without a newline), and its bytes are then passed over, not kept, up to
/// its newline; the lines after it go on. At most the largest line plus one read (1 MB) is held, and each byte is
/// looked at once for its newline: the part of a line already searched is not searched again when more arrives.
/// </remarks>
internal static class LineReader
{
    private const int ReadSize = 1 << 20;

    /// <summary>The UTF-8 byte order mark: not part of the event on the line it starts (line 1, or a later one after <c>cat</c>).</summary>
    private static ReadOnlySpan<byte> ByteOrderMark => [0xEF, 0xBB, 0xBF];

    /// <summary>
    /// Calls <paramref name="onLine"/> for each line of at most <paramref name="maxLineBytes"/> bytes, with the place
    /// just past it (its 1-based number, and the offset after its newline); <paramref name="onTooLong"/> for each longer
    /// one, once, as soon as it is known to be too long (with its number, the bytes read of it by then, at least
    /// <paramref name="maxLineBytes"/> + 1, and its first bytes, at least one read's worth or the whole line, valid only
    /// during the call: to show what it starts with); and <paramref name="onWait"/> whenever the lines read so far are used up and
    /// the input has nothing more yet (a pause in a pipe).
    /// </summary>
    /// <param name="from">Where <paramref name="input"/> is: numbers and offsets go on from there (the start, or a resumed run's place).</param>
    /// <returns>The end of the input: the last line's number and the offset after its last byte.</returns>
    public static async Task<InputPosition> ReadAsync(
        Stream input,
        InputPosition from,
        int maxLineBytes,
        Func<InputPosition, ReadOnlyMemory<byte>, ValueTask> onLine,
        Func<long, long, ReadOnlyMemory<byte>, ValueTask> onTooLong,
        Func<ValueTask> onWait,
        CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxLineBytes);
        PipeReader reader = PipeReader.Create(input, new StreamPipeReaderOptions(bufferSize: ReadSize, minimumReadSize: ReadSize / 4, leaveOpen: true));
        byte[] scratch = [];
        long number = from.Line;
        long start = from.Offset; // the input's offset of the first byte of the buffer
        long searched = 0; // bytes at the start of the buffer already searched for a newline: the current line's so far
        bool skipping = false; // inside a line already refused: its bytes are passed over up to its newline
        try
        {
            while (true)
            {
                if (!reader.TryRead(out ReadResult result))
                {
                    await onWait().ConfigureAwait(false);
                    result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                }

                cancellationToken.ThrowIfCancellationRequested();
                ReadOnlySequence<byte> buffer = result.Buffer;
                if (buffer.IsSingleSegment)
                {
                    // The usual case, with 1 MB reads: a span search per line.
                    ReadOnlyMemory<byte> memory = buffer.First;
                    int consumed = 0;
                    int newline;
                    while ((newline = memory.Span[(consumed + (int)searched)..].IndexOf((byte)'\n')) >= 0)
                    {
                        int end = consumed + (int)searched + newline;
                        searched = 0;
                        await TakeAsync(TrimCarriageReturn(memory[consumed..end]), start + end + 1).ConfigureAwait(false);
                        consumed = end + 1;
                        cancellationToken.ThrowIfCancellationRequested();
                    }

                    buffer = buffer.Slice(consumed);
                    start += consumed;
                }
                else
                {
                    SequencePosition? newline;
                    while ((newline = buffer.Slice(searched).PositionOf((byte)'\n')) is { } at)
                    {
                        ReadOnlySequence<byte> whole = buffer.Slice(0, at);
                        searched = 0;
                        start += whole.Length + 1;
                        await TakeAsync(AsMemory(TrimCarriageReturn(whole), ref scratch), start).ConfigureAwait(false);
                        buffer = buffer.Slice(buffer.GetPosition(1, at));
                        cancellationToken.ThrowIfCancellationRequested();
                    }
                }

                // What is left has no newline: the start of a line, kept for the next read unless it is already too long.
                searched = buffer.Length;
                if (skipping)
                {
                    start += buffer.Length;
                    buffer = buffer.Slice(buffer.End); // the refused line goes on: nothing of it is kept
                    searched = 0;
                }
                else if (buffer.Length > (long)maxLineBytes + 1)
                {
                    // Longer than any line allowed, even with a trailing '\r', before its end is in sight.
                    await onTooLong(++number, buffer.Length, WithoutByteOrderMark(buffer.First)).ConfigureAwait(false);
                    skipping = true;
                    start += buffer.Length;
                    buffer = buffer.Slice(buffer.End);
                    searched = 0;
                }

                if (result.IsCompleted)
                {
                    if (!buffer.IsEmpty)
                    {
                        start += buffer.Length;
                        await TakeAsync(AsMemory(TrimCarriageReturn(buffer), ref scratch), start).ConfigureAwait(false);
                    }

                    reader.AdvanceTo(buffer.End);
                    break;
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }

        return new InputPosition(number, start);

        // A whole line, and the offset past it: the end of one refused already, too long, or passed on.
        ValueTask TakeAsync(ReadOnlyMemory<byte> line, long end)
        {
            if (skipping)
            {
                skipping = false;
                return ValueTask.CompletedTask;
            }

            line = WithoutByteOrderMark(line);
            return line.Length > maxLineBytes ? onTooLong(++number, line.Length, line) : onLine(new InputPosition(++number, end), line);
        }
    }

    private static ReadOnlyMemory<byte> WithoutByteOrderMark(ReadOnlyMemory<byte> line) =>
        line.Span.StartsWith(ByteOrderMark) ? line[ByteOrderMark.Length..] : line;

    private static ReadOnlyMemory<byte> TrimCarriageReturn(ReadOnlyMemory<byte> line) =>
        !line.IsEmpty && line.Span[^1] == (byte)'\r' ? line[..^1] : line;

    private static ReadOnlySequence<byte> TrimCarriageReturn(ReadOnlySequence<byte> line) =>
        !line.IsEmpty && line.Slice(line.Length - 1).FirstSpan[0] == (byte)'\r' ? line.Slice(0, line.Length - 1) : line;

    private static ReadOnlyMemory<byte> AsMemory(ReadOnlySequence<byte> line, ref byte[] scratch)
    {
        if (line.IsSingleSegment)
        {
            return line.First;
        }

        if (scratch.Length < line.Length)
        {
            scratch = new byte[Math.Max(line.Length, scratch.Length * 2)];
        }

        line.CopyTo(scratch);
        return scratch.AsMemory(0, (int)line.Length);
    }
}
