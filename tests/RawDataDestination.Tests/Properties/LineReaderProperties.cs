using CsCheck;
using RawDataDestination.Cli;

namespace RawDataDestination.Tests.Properties;

/// <summary>
/// rawdata's <see cref="LineReader"/> over random inputs cut into random reads: the same lines as a plain split, each
/// line longer than the limit refused (and only those), numbers in order, each line's place just past its newline, and
/// a read resumed at any such place going on with the same lines; and a gibibyte without a newline read with bounded
/// memory.
/// </summary>
public class LineReaderProperties
{
    private static readonly Gen<Case> Small =
        Gen.Select(
            Gen.String[Gen.Char["ab\r{"], 0, 12].Select(line => line + (line.Length % 3 == 0 ? "\r\n" : "\n")).Array[0, 12],
            Gen.String[Gen.Char["ab\r"], 0, 12],
            Gen.Int[0, 10],
            Gen.Int[1, 17],
            (lines, last, max, read) => new Case(string.Concat(lines) + last, max, read));

    /// <summary>Lines of up to 1.5 MB, so lines cross the reader's 1 MB buffer segments.</summary>
    private static readonly Gen<Case> Large =
        Gen.Select(
            Gen.Select(Gen.Int[0, 1_500_000], Gen.Bool).Select((length, crlf) => new string('x', length) + (crlf ? "\r\n" : "\n")).Array[1, 4],
            Gen.Int[0, 1_200_000],
            Gen.Int[1000, 400_000],
            (lines, max, read) => new Case(string.Concat(lines), max, read));

    [Test]
    public void ReadAsync_OverSmallRandomInputs_GivesThePlainSplitAndRefusesExactlyTheLinesOverTheLimit() =>
        Small.Sample(Check, iter: 3_000);

    [Test]
    public void ReadAsync_OverLinesCrossingBufferSegments_GivesThePlainSplitAndRefusesExactlyTheLinesOverTheLimit() =>
        Large.Sample(Check, iter: 40, threads: 1);

    [Test]
    public async Task ReadAsync_AGibibyteWithoutANewline_RefusesItAtOnceWithBoundedMemoryAndReadsTheNextLine()
    {
        const int Max = 1024 * 1024;
        var seen = new List<string>();
        long refusedAt = -1;
        using var input = new Generated(1L << 30, tail: Encoding.ASCII.GetBytes("\n{\"after\":1}\n"));

        // The input never waits, so the whole read runs on this thread: its allocations are counted there, and not
        // those of whatever else the test process is doing meanwhile (a process-wide count failed once that way).
        long before = GC.GetAllocatedBytesForCurrentThread();
        Task<InputPosition> reading = LineReader.ReadAsync(
            input,
            InputPosition.Start,
            Max,
            (place, line) => { seen.Add($"{place.Line}:{Encoding.ASCII.GetString(line.Span)}"); return ValueTask.CompletedTask; },
            (number, length, start) => { seen.Add($"{number}:too long"); refusedAt = input.Position; return ValueTask.CompletedTask; },
            () => ValueTask.CompletedTask,
            CancellationToken.None);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(reading.IsCompleted, Is.True, "read to its end on this thread, so that every allocation is counted");
        await reading;

        Assert.That(seen, Is.EqualTo(new[] { "1:too long", "2:{\"after\":1}" }));
        Assert.That(refusedAt, Is.LessThanOrEqualTo(Max + (3L << 20)), "refused as soon as it was known to be too long");
        Assert.That(allocated, Is.LessThan((2L * Max) + (64L << 20)), "the line is passed over, not kept");
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(1 << 20)]
    public void ReadAsync_ByteOrderMarksAtTheStartOfLaterLinesAsCatOfBomFilesGives_AreDroppedAndPlacesStayThoseOfTheInput(int readSize)
    {
        // cat a.ndjson b.ndjson of files saved "UTF-8 with BOM": b's mark starts line 3. It was kept there, and the line
        // refused as JSON starting with 0xEF; only line 1's was dropped.
        byte[] bom = [0xEF, 0xBB, 0xBF];
        byte[] file = [.. bom, .. "{\"a\":1}\r\n{\"a\":2}\r\n"u8];
        byte[] input = [.. file, .. file, .. bom, .. "{\"a\":3}"u8];
        (List<string> lines, List<InputPosition> places, InputPosition end) = Read(input, InputPosition.Start, readSize, 1000);

        Assert.That(lines, Is.EqualTo(new[] { "1:{\"a\":1}", "2:{\"a\":2}", "3:{\"a\":1}", "4:{\"a\":2}", "5:{\"a\":3}" }));
        Assert.That(places.Select(place => place.Offset), Is.EqualTo(new long[] { 12, 21, 33, 42, input.Length }), "each place is the input's, the marks' bytes counted");
        Assert.That(end, Is.EqualTo(new InputPosition(5, input.Length)));

        // Resumed at line 3's start (an earlier run's place), its mark is dropped too.
        (List<string> resumed, _, _) = Read(input[21..], new InputPosition(2, 21), readSize, 1000);
        Assert.That(resumed, Is.EqualTo(new[] { "3:{\"a\":1}", "4:{\"a\":2}", "5:{\"a\":3}" }));
    }

    private static void Check(Case test)
    {
        byte[] input = Encoding.ASCII.GetBytes(test.Input);
        (List<string> actual, List<InputPosition> places, InputPosition end) = Read(input, InputPosition.Start, test.ReadSize, test.Max);
        List<string> expected = Expected(test);

        Assert.That(actual, Is.EqualTo(expected));
        Assert.That(end, Is.EqualTo(new InputPosition(expected.Count, input.Length)), "the end: the last line's number, the input's length");
        foreach (InputPosition place in places)
        {
            Assert.That(place.Offset == input.Length || input[place.Offset - 1] == (byte)'\n', Is.True, $"{place} is just past a newline, or at the end");

            // A run resumed at any place a line ended reads on with the same lines, numbered as before.
            (List<string> resumed, _, InputPosition resumedEnd) = Read(input[(int)place.Offset..], place, test.ReadSize, test.Max);
            Assert.That(resumed, Is.EqualTo(expected.Skip((int)place.Line)), $"resumed at {place}");
            Assert.That(resumedEnd, Is.EqualTo(end));
        }

        Assert.That(places.Select(place => place.Line), Is.Ordered.Ascending);
        Assert.That(places.Select(place => place.Offset), Is.Ordered.Ascending);
    }

    private static (List<string> Lines, List<InputPosition> Places, InputPosition End) Read(byte[] input, InputPosition from, int readSize, int max)
    {
        var lines = new List<string>();
        var places = new List<InputPosition>();
        InputPosition end = LineReader.ReadAsync(
            new Chunked(input, readSize),
            from,
            max,
            (place, line) => { lines.Add($"{place.Line}:{Encoding.ASCII.GetString(line.Span)}"); places.Add(place); return ValueTask.CompletedTask; },
            (number, length, _) => { lines.Add($"{number}:too long"); return ValueTask.CompletedTask; },
            () => ValueTask.CompletedTask,
            CancellationToken.None).GetAwaiter().GetResult();
        return (lines, places, end);
    }

    /// <summary>The plain split: by '\n', one trailing '\r' dropped, no line after a final '\n'.</summary>
    private static List<string> Expected(Case test)
    {
        string[] pieces = test.Input.Split('\n');
        int count = test.Input.EndsWith('\n') ? pieces.Length - 1 : pieces.Length;
        var expected = new List<string>();
        for (int i = 0; i < count; i++)
        {
            if (i == count - 1 && pieces[i].Length == 0 && !test.Input.EndsWith('\n'))
            {
                break; // empty input, or nothing after the last newline
            }

            string line = pieces[i].EndsWith('\r') ? pieces[i][..^1] : pieces[i];
            expected.Add(line.Length > test.Max ? $"{i + 1}:too long" : $"{i + 1}:{line}");
        }

        return expected;
    }

    private sealed record Case(string Input, int Max, int ReadSize)
    {
        public override string ToString() => $"Case {{ Input = {(Input.Length > 200 ? $"{Input.Length} chars" : Input.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal))}, Max = {Max}, ReadSize = {ReadSize} }}";
    }

    /// <summary>A stream over bytes that gives at most <c>readSize</c> per read, as a pipe does.</summary>
    private sealed class Chunked(byte[] bytes, int readSize) : MemoryStream(bytes)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, readSize));

        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, readSize)]);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, readSize)], cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            base.ReadAsync(buffer, offset, Math.Min(count, readSize), cancellationToken);
    }

    /// <summary><c>length</c> bytes of 'x', made as they are read, then <c>tail</c>.</summary>
    private sealed class Generated(long length, byte[] tail) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length + tail.Length;

        public override long Position { get; set; }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (Position < length)
            {
                int n = (int)Math.Min(buffer.Length, length - Position);
                buffer[..n].Fill((byte)'x');
                Position += n;
                return n;
            }

            int fromTail = (int)Math.Min(buffer.Length, Length - Position);
            tail.AsSpan((int)(Position - length), fromTail).CopyTo(buffer);
            Position += fromTail;
            return fromTail;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer, offset, count));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
