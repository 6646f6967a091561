using System.Buffers;
using System.IO.Pipelines;

namespace RawDataDestination.Cli;

/// <summary>
/// Reads newline-delimited lines as raw bytes (a trailing <c>\r</c> is dropped), without decoding or copying them: each
/// line is a slice of the pipe's buffer, valid only during the call. A line split across two buffer segments (rare, with
/// 1 MB reads) is gathered in one reused scratch array.
/// </summary>
internal static class LineReader
{
    private const int ReadSize = 1 << 20;

    /// <summary>
    /// Calls <paramref name="onLine"/> for each line, with its 1-based number, and <paramref name="onWait"/> whenever
    /// the lines read so far are used up and the input has nothing more yet (a pause in a pipe).
    /// </summary>
    public static async Task ReadAsync(Stream input, Func<long, ReadOnlyMemory<byte>, ValueTask> onLine, Func<ValueTask> onWait, CancellationToken cancellationToken)
    {
        PipeReader reader = PipeReader.Create(input, new StreamPipeReaderOptions(bufferSize: ReadSize, minimumReadSize: ReadSize / 4, leaveOpen: true));
        byte[] scratch = [];
        long number = 0;
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
                    ReadOnlyMemory<byte> memory = buffer.First;
                    int consumed = 0;
                    while (true)
                    {
                        int newline = memory.Span[consumed..].IndexOf((byte)'\n');
                        if (newline < 0)
                        {
                            break;
                        }

                        await onLine(++number, TrimCarriageReturn(memory.Slice(consumed, newline))).ConfigureAwait(false);
                        consumed += newline + 1;
                        cancellationToken.ThrowIfCancellationRequested();
                    }

                    buffer = buffer.Slice(consumed);
                }
                else
                {
                    while (TryTakeLine(ref buffer, out ReadOnlySequence<byte> line))
                    {
                        await onLine(++number, AsMemory(line, ref scratch)).ConfigureAwait(false);
                        cancellationToken.ThrowIfCancellationRequested();
                    }
                }

                if (result.IsCompleted)
                {
                    if (!buffer.IsEmpty)
                    {
                        await onLine(++number, TrimCarriageReturn(AsMemory(buffer, ref scratch))).ConfigureAwait(false);
                        buffer = buffer.Slice(buffer.End);
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
    }

    private static bool TryTakeLine(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> line)
    {
        SequencePosition? newline = buffer.PositionOf((byte)'\n');
        if (newline is null)
        {
            line = default;
            return false;
        }

        line = buffer.Slice(0, newline.Value);
        if (!line.IsEmpty && line.Slice(line.Length - 1).FirstSpan[0] == (byte)'\r')
        {
            line = line.Slice(0, line.Length - 1);
        }

        buffer = buffer.Slice(buffer.GetPosition(1, newline.Value));
        return true;
    }

    private static ReadOnlyMemory<byte> TrimCarriageReturn(ReadOnlyMemory<byte> line) =>
        !line.IsEmpty && line.Span[^1] == (byte)'\r' ? line[..^1] : line;

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
