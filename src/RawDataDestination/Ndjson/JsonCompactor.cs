using System.Buffers;

namespace RawDataDestination.Ndjson;

/// <summary>
/// The one-pass path for ordinary events: reads a JSON object once, checking its grammar and its strings' UTF-8, and
/// (when asked) copies it compact into a destination as it goes: runs of input between insignificant whitespace are
/// copied whole, so compact input costs one copy. It accepts only what <see cref="System.Text.Json.Utf8JsonReader"/>
/// accepts; anything it is not sure of (bad input, but also a byte-order mark, a <c>\u</c> escape of a surrogate, deep
/// nesting, an escaped member name, a name given twice in one object, or more names than it keeps) it declines, and
/// <see cref="EventJson"/> falls back to the reader, which decides and words the refusal (<see cref="RepeatedNameCheck"/>
/// for a repeated name, <see cref="UnpairedSurrogates"/> for half a surrogate pair). So refusals and their messages come
/// from one place.
/// </summary>
/// <remarks>
/// Events are about a kilobyte of short strings, numbers and punctuation: a scalar loop over a class table beats
/// vectorized searches there, whose fixed cost per call is larger than the runs they would skip.
/// </remarks>
internal static partial class JsonCompactor
{
    /// <summary>Returned when the input needs the full reader.</summary>
    public const int Declined = -1;

    /// <summary>Deeper than this the reader's own depth rule (<see cref="EventJson.MaxDepth"/>) is left to decide.</summary>
    private const int MaxFastDepth = 62;

    private const byte ExpectKeyOrEnd = 0;
    private const byte ExpectKey = 1;
    private const byte ExpectColon = 2;
    private const byte ExpectValue = 3;
    private const byte ExpectValueOrEnd = 4;
    private const byte ExpectCommaOrEnd = 5;

    private static readonly SearchValues<byte> Whitespace = SearchValues.Create(" \t\r\n"u8);

    /// <summary>
    /// Reads <paramref name="json"/> once. With <paramref name="write"/>, copies it compact into <paramref name="destination"/>
    /// (which must hold <c>json.Length</c> bytes); without, only checks it.
    /// </summary>
    /// <param name="json">The event.</param>
    /// <param name="destination">Where the compact copy goes, when <paramref name="write"/>.</param>
    /// <param name="write">Whether to copy.</param>
    /// <param name="receivedAtValue">The offset in <paramref name="json"/> of the first top-level <c>receivedAt</c>'s value, or -1.</param>
    /// <returns>The compact length, or <see cref="Declined"/> when the full reader must decide.</returns>
    public static int Scan(ReadOnlySpan<byte> json, Span<byte> destination, bool write, out int receivedAtValue)
    {
        receivedAtValue = -1;
        int n = json.Length;
        int i = 0;
        int skipped = 0; // whitespace bytes left out so far
        int runStart = 0; // the first byte not yet copied
        int depth = 0;
        ulong arrays = 0; // bit d set: the container at depth d is an array
        byte state = ExpectValue;
        bool receivedAtNext = false;
        ReadOnlySpan<byte> classes = StringClass;
        OpenObjectNames names = OpenObjectNames.ForNewScan();

        while (i < n)
        {
            byte b = json[i];
            switch (b)
            {
                case (byte)',':
                    if (state != ExpectCommaOrEnd)
                    {
                        return Declined;
                    }

                    state = (arrays & (1UL << depth)) != 0 ? ExpectValue : ExpectKey;
                    i++;
                    continue;
                case (byte)':':
                    if (state != ExpectColon)
                    {
                        return Declined;
                    }

                    state = ExpectValue;
                    i++;
                    continue;
                case (byte)'"':
                    // Most names and values are short plain ASCII: their closing quote is found right here.
                    int end = i + 1;
                    int plainEnd = Math.Min(n, end + 16);
                    while (end < plainEnd && classes[json[end]] == Plain)
                    {
                        end++;
                    }

                    bool mayHoldEscapes = false;
                    if (end == n || json[end] != (byte)'"')
                    {
                        end = ScanString(json, end);
                        if (end < 0)
                        {
                            return Declined;
                        }

                        mayHoldEscapes = true;
                    }

                    if (state is ExpectKeyOrEnd or ExpectKey)
                    {
                        if ((mayHoldEscapes && json[(i + 1)..end].Contains((byte)'\\')) || !names.TryAdd(json, i + 1, end - i - 1, depth))
                        {
                            return Declined; // an escaped name (it could spell another, or receivedAt), one the object has already, or one too many to keep
                        }

                        if (depth == 1 && receivedAtValue < 0)
                        {
                            receivedAtNext = json[(i + 1)..end].SequenceEqual("receivedAt"u8);
                        }

                        state = ExpectColon;
                    }
                    else if (state is ExpectValue or ExpectValueOrEnd && depth > 0)
                    {
                        if (receivedAtNext)
                        {
                            receivedAtValue = i;
                            receivedAtNext = false;
                        }

                        state = ExpectCommaOrEnd;
                    }
                    else
                    {
                        return Declined;
                    }

                    i = end + 1;
                    continue;
                case (byte)'{' or (byte)'[':
                    if ((state != ExpectValue && state != ExpectValueOrEnd) || depth >= MaxFastDepth || (depth == 0 && b == (byte)'['))
                    {
                        return Declined;
                    }

                    if (receivedAtNext)
                    {
                        receivedAtValue = i;
                        receivedAtNext = false;
                    }

                    depth++;
                    if (b == (byte)'[')
                    {
                        arrays |= 1UL << depth;
                        state = ExpectValueOrEnd;
                    }
                    else
                    {
                        arrays &= ~(1UL << depth);
                        names.Open(depth);
                        state = ExpectKeyOrEnd;
                    }

                    i++;
                    continue;
                case (byte)'}' or (byte)']':
                    bool isArray = (arrays & (1UL << depth)) != 0;
                    bool canClose = b == (byte)'}'
                        ? !isArray && (state == ExpectKeyOrEnd || state == ExpectCommaOrEnd)
                        : isArray && (state == ExpectValueOrEnd || state == ExpectCommaOrEnd);
                    if (!canClose || depth == 0)
                    {
                        return Declined;
                    }

                    if (!isArray)
                    {
                        names.Close(depth);
                    }

                    i++;
                    depth--;
                    state = ExpectCommaOrEnd;
                    if (depth > 0)
                    {
                        continue;
                    }

                    if (i < n && json[i..].IndexOfAnyExcept(Whitespace) >= 0)
                    {
                        return Declined; // data after the object
                    }

                    if (write)
                    {
                        json[runStart..i].CopyTo(destination[(runStart - skipped)..]);
                    }

                    return i - skipped;
                case (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n':
                    if (write)
                    {
                        json[runStart..i].CopyTo(destination[(runStart - skipped)..]);
                    }

                    int next = i + 1;
                    while (next < n && json[next] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
                    {
                        next++;
                    }

                    skipped += next - i;
                    runStart = next;
                    i = next;
                    continue;
                default:
                    if (state is not (ExpectValue or ExpectValueOrEnd) || depth == 0)
                    {
                        return Declined;
                    }

                    int valueEnd = b is (byte)'-' or (>= (byte)'0' and <= (byte)'9') ? ScanNumber(json, i) : ScanLiteral(json, i);
                    if (valueEnd < 0)
                    {
                        return Declined;
                    }

                    if (receivedAtNext)
                    {
                        receivedAtValue = i;
                        receivedAtNext = false;
                    }

                    i = valueEnd;
                    state = ExpectCommaOrEnd;
                    continue;
            }
        }

        return Declined; // the input ended inside the object (or held only whitespace)
    }

    /// <summary>
    /// The member names of the objects open in one scan, to find a name given twice in one object without a per-event
    /// allocation: each open object keeps a 64-bit filter of its names' keys, so a new name is compared with the
    /// object's earlier names only when its key's bit is already set. One instance serves each thread's scans in turn;
    /// nothing is cleared between events, as only what the current scan wrote is read.
    /// </summary>
    private sealed class OpenObjectNames
    {
        /// <summary>How many names of the open objects are kept: an event with more open at once goes to the reader.</summary>
        public const int Capacity = 512;

        [ThreadStatic]
        private static OpenObjectNames? t_scan;

        /// <summary>The open objects' names, each where it starts in the event (high half) and its length (low half).</summary>
        private readonly long[] _names = new long[Capacity];

        /// <summary>Per depth: the filter of the open object's keys.</summary>
        private readonly ulong[] _filters = new ulong[MaxFastDepth + 1];

        /// <summary>Per depth: where the open object's names start in <see cref="_names"/>.</summary>
        private readonly int[] _firsts = new int[MaxFastDepth + 1];

        private int _count;

        /// <summary>This thread's instance, empty, for a new scan (which opens no object deeper than <see cref="MaxFastDepth"/>).</summary>
        public static OpenObjectNames ForNewScan()
        {
            OpenObjectNames names = t_scan ??= new OpenObjectNames();
            names._count = 0;
            return names;
        }

        /// <summary>An object opens at <paramref name="depth"/>, with no names yet.</summary>
        public void Open(int depth)
        {
            _filters[depth] = 0;
            _firsts[depth] = _count;
        }

        /// <summary>The object at <paramref name="depth"/> closes: its names are forgotten.</summary>
        public void Close(int depth) => _count = _firsts[depth];

        /// <summary>
        /// Adds the name at <paramref name="start"/> (its unescaped bytes, <paramref name="length"/> long) to the object at
        /// <paramref name="depth"/>; <see langword="false"/> when the object has it already, or when there is no room to keep it.
        /// </summary>
        public bool TryAdd(ReadOnlySpan<byte> json, int start, int length, int depth)
        {
            if (_count == Capacity)
            {
                return false;
            }

            // A key of the name's length and last two bytes, spread over the filter's 64 bits.
            uint key = length < 2 ? (uint)length : (uint)length ^ ((uint)json[start + length - 2] << 8) ^ ((uint)json[start + length - 1] << 16);
            ulong bit = 1UL << (int)((key * 0x9E3779B1U) >> 26);
            ref ulong filter = ref _filters[depth];
            if ((filter & bit) != 0 && IsInObject(json, start, length, depth))
            {
                return false;
            }

            filter |= bit;
            _names[_count++] = ((long)start << 32) | (uint)length;
            return true;
        }

        /// <summary>Whether the object at <paramref name="depth"/> has the name already: its filter says it may.</summary>
        private bool IsInObject(ReadOnlySpan<byte> json, int start, int length, int depth)
        {
            ReadOnlySpan<byte> name = json.Slice(start, length);
            for (int i = _firsts[depth]; i < _count; i++)
            {
                long earlier = _names[i];
                if ((int)earlier == length && json.Slice((int)(earlier >> 32), length).SequenceEqual(name))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
