using System.Buffers;
using System.Text.Json;

namespace RawDataDestination.Cli;

/// <summary>
/// The records of <see cref="InputCheckpoint"/>'s file: a place record (the place, the lines taken past it, the digests)
/// as one JSON line, and reading a file back: its last whole place record and every whole round record
/// (<see cref="JournalRound"/>).
/// </summary>
internal sealed partial class InputCheckpoint
{
    private byte[] Record(SettledInput settled)
    {
        InputPosition place = settled.Position;
        string head = place.Offset >= HeadBytes ? _fullHead ??= Head(place) : Head(place);
        return Record(new Saved(_input, _sourceId, _bucket, place, [.. settled.TakenPast], head, Tail(place)));
    }

    /// <summary>A place record: one JSON line, ending in <c>\n</c>.</summary>
    private static byte[] Record(Saved saved)
    {
        var json = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            writer.WriteString("input", saved.Input);
            writer.WriteString("sourceId", saved.SourceId);
            writer.WriteString("bucket", saved.Bucket);
            writer.WriteNumber("line", saved.Place.Line);
            writer.WriteNumber("offset", saved.Place.Offset);
            writer.WriteStartArray("takenPast");
            foreach (long line in saved.Skip.Order())
            {
                writer.WriteNumberValue(line);
            }

            writer.WriteEndArray();
            writer.WriteString("head", saved.Head);
            writer.WriteString("tail", saved.Tail);
            writer.WriteEndObject();
        }

        return Line(json.WrittenSpan);
    }


    /// <summary>A delivered record: the id of a batch the buffer delivered, one JSON line, ending in <c>\n</c>.</summary>
    private static byte[] DeliveredRecord(string batchId)
    {
        var json = new ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            writer.WriteString("delivered", batchId);
            writer.WriteEndObject();
        }

        return Line(json.WrittenSpan);
    }

    /// <summary>The room for a batch's delivered record, of its length: <c>{"pending":…}</c> and spaces, ending in <c>\n</c>; a reader passes over it.</summary>
    private static byte[] PendingRecord(string batchId)
    {
        var json = new ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            writer.WriteString("pending", batchId);
            writer.WriteEndObject();
        }

        return Line(json.WrittenSpan, DeliveredRecord(batchId).Length);
    }

    /// <summary>
    /// A record's line: its JSON, spaces up to <paramref name="length"/> when given, a tab and the first 8 bytes of the
    /// JSON's SHA-256 in hex, and <c>\n</c>. A line whose bytes changed on disk (a bit flipped, a hand) no longer matches
    /// its sum: a number changed in it could make a later run pass over lines the spool never took. Records of earlier
    /// versions have no sum.
    /// </summary>
    private static byte[] Line(ReadOnlySpan<byte> json, int length = 0)
    {
        int bare = json.Length + 1 + (2 * SumBytes) + 1;
        byte[] line = new byte[Math.Max(bare, length)];
        json.CopyTo(line);
        line.AsSpan(json.Length, line.Length - bare).Fill((byte)' ');
        line[^(2 * SumBytes + 2)] = (byte)'\t';
        System.Text.Encoding.ASCII.GetBytes(Sum(json), line.AsSpan(line.Length - (2 * SumBytes) - 1));
        line[^1] = (byte)'\n';
        return line;
    }

    /// <summary>How many bytes of the SHA-256 a record's sum holds.</summary>
    private const int SumBytes = 8;

    private static string Sum(ReadOnlySpan<byte> json) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(json)[..SumBytes]);

    /// <summary>A line's record without its sum: <see langword="false"/> when it has one that does not match (its bytes changed on disk); a line with none (an earlier version's) is taken as it is.</summary>
    private static bool Verified(ReadOnlySpan<byte> line, out ReadOnlySpan<byte> json)
    {
        json = line;
        int tab = line.LastIndexOf((byte)'\t');
        if (tab < 0)
        {
            return true;
        }

        json = line[..tab].TrimEnd((byte)' ');
        return line[(tab + 1)..].SequenceEqual(System.Text.Encoding.ASCII.GetBytes(Sum(json)));
    }

    /// <summary>
    /// The last whole place record of a record file, every whole round record, in order, and the ids of the batches
    /// recorded delivered (a line cut by a crash is passed over); <see langword="null"/> when it holds no place record.
    /// <c>Cut</c> says the file ends in a record cut short: records are written whole, each with its newline, so only a
    /// power cut or a disk leaves one, and the records after it may be lost too.
    /// </summary>
    private static (Saved? Last, IReadOnlyList<JournalRound> Rounds, HashSet<string> Delivered, bool Cut) Read(byte[] file) => Read(file, out _);

    /// <summary>As <see cref="Read(byte[])"/>, counting the records whose bytes changed on disk (<paramref name="damaged"/>), which are passed over.</summary>
    private static (Saved? Last, IReadOnlyList<JournalRound> Rounds, HashSet<string> Delivered, bool Cut) Read(byte[] file, out int damaged)
    {
        damaged = 0;
        ReadOnlySpan<byte> rest = file;
        Saved? last = null;
        var rounds = new List<JournalRound>();
        var delivered = new HashSet<string>(StringComparer.Ordinal);
        while (!rest.IsEmpty)
        {
            int newline = rest.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = newline < 0 ? rest : rest[..newline];
            rest = newline < 0 ? [] : rest[(newline + 1)..];
            if (newline < 0)
            {
                continue;
            }

            if (!Verified(line, out line))
            {
                damaged++;
                continue;
            }

            if (JournalRound.TryRead(line) is { } round)
            {
                rounds.Add(round);
            }
            else if (TryReadDelivered(line) is { } batchId)
            {
                delivered.Add(batchId);
            }
            else if (TryRead(line) is { } saved)
            {
                last = saved;
            }
        }

        return (last, rounds, delivered, file.Length > 0 && file[^1] != (byte)'\n');
    }

    /// <summary>Reads a delivered record: the batch id; <see langword="null"/> when <paramref name="line"/> is another record.</summary>
    private static string? TryReadDelivered(ReadOnlySpan<byte> line)
    {
        try
        {
            var reader = new Utf8JsonReader(line);
            using JsonDocument document = JsonDocument.ParseValue(ref reader);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("delivered", out JsonElement id) && id.ValueKind == JsonValueKind.String
                ? id.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static Saved? TryRead(ReadOnlySpan<byte> line)
    {
        try
        {
            var reader = new Utf8JsonReader(line);
            using JsonDocument document = JsonDocument.ParseValue(ref reader);
            JsonElement root = document.RootElement;
            var place = new InputPosition(root.GetProperty("line").GetInt64(), root.GetProperty("offset").GetInt64());
            var skip = new HashSet<long>();
            foreach (JsonElement taken in root.GetProperty("takenPast").EnumerateArray())
            {
                skip.Add(taken.GetInt64());
            }

            return place.Line < 0 || place.Offset < 0 ? null : new Saved(
                root.GetProperty("input").GetString()!,
                root.GetProperty("sourceId").GetString()!,
                root.GetProperty("bucket").GetString()!,
                place,
                skip,
                root.GetProperty("head").GetString()!,
                root.GetProperty("tail").GetString()!);
        }
        catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    private sealed record Saved(string Input, string SourceId, string Bucket, InputPosition Place, HashSet<long> Skip, string Head, string Tail);
}
