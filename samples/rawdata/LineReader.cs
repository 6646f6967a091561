using System.Buffers;
using System.IO.Pipelines;

namespace RawDataDestination.Cli;

/// <summary>Reads newline-delimited lines as raw bytes (a trailing <c>\r</c> is dropped), without decoding them.</summary>
internal static class LineReader
{
    /// <summary>Calls <paramref name="onLine"/> for each line, with its 1-based number. Lines are valid only during the call.</summary>
    public static async Task ReadAsync(Stream input, Func<long, ReadOnlyMemory<byte>, ValueTask> onLine, CancellationToken cancellationToken)
    {
        PipeReader reader = PipeReader.Create(input, new StreamPipeReaderOptions(bufferSize: 1 << 16, leaveOpen: true));
        byte[] scratch = [];
        long number = 0;
        try
        {
            while (true)
            {
                ReadResult result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                while (TryTakeLine(ref buffer, out ReadOnlySequence<byte> line))
                {
                    await onLine(++number, AsMemory(line, ref scratch)).ConfigureAwait(false);
                }

                if (result.IsCompleted)
                {
                    if (!buffer.IsEmpty)
                    {
                        await onLine(++number, AsMemory(TrimCarriageReturn(buffer), ref scratch)).ConfigureAwait(false);
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

        line = TrimCarriageReturn(buffer.Slice(0, newline.Value));
        buffer = buffer.Slice(buffer.GetPosition(1, newline.Value));
        return true;
    }

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
