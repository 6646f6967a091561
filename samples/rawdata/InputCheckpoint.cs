using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using RawDataDestination.Spool;

namespace RawDataDestination.Cli;

/// <summary>
/// The resume rule of <c>ship --input FILE --spool-dir DIR</c>: how far an earlier run over the same spool read the same
/// file for the same source and bucket, so that running the same command again reads on from there instead of sending
/// the lines before it a second time. One record file per (file, source, bucket), in <c>DIR/rawdata-inputs/</c>: one
/// JSON line per record, the last whole one counting, each with the place past the last line settled (taken by the
/// spool, or refused), the lines past it taken anyway, and SHA-256 digests of the 64 KB at the file's start and of the
/// 4 KB before that place, so that a file rewritten since is read from its first line again. A record is appended every
/// <see cref="EveryLines"/> lines and when the reading loop ends; each run starts the file afresh, by a rename.
/// </summary>
/// <remarks>
/// A record never runs ahead of the spool: a line counts as settled only once its append returned, which with a spool
/// means it is on disk. After a clean stop (the end of the input, a signal, giving up, an error) a resumed run takes every
/// line exactly once. After <c>kill -9</c> the last record may lag the spool by the lines taken since it was written (at
/// most <see cref="EveryLines"/> plus the appends in flight): a resumed run sends those again, so they may be delivered
/// twice, never lost. Records are not flushed to the disk: a power cut may lose the last ones in the same way. A run
/// that ended on a last line with no newline (a file still being written, or one without a final newline) recorded the
/// place past it; if the file grew since, a newline there ends that line (read on past it), and anything else means
/// the line went on: it is read again whole, from its start.
/// </remarks>
internal sealed class InputCheckpoint : IDisposable
{
    /// <summary>The folder of the record files in a spool directory: rawdata's own, beside the spool's folders, which the buffer leaves alone.</summary>
    public const string FolderName = "rawdata-inputs";

    /// <summary>How many lines between two records.</summary>
    public const int EveryLines = 1000;

    /// <summary>How much of the file's start the head digest covers.</summary>
    private const int HeadBytes = 64 * 1024;

    /// <summary>How much of the file before the place the tail digest covers: read again for every record, so small.</summary>
    private const int TailBytes = 4 * 1024;

    private readonly string _input;
    private readonly string _sourceId;
    private readonly string _bucket;
    private readonly string _spool;
    private readonly string _path;
    private readonly string _shown;
    private readonly SafeFileHandle _file; // the input stream's: read with pread, which leaves the stream's place alone
    private FileStream? _records;
    private string? _fullHead; // the digest of the file's first 64 KB, once the place is past them: it no longer changes
    private bool _saveFailed;

    private InputCheckpoint(string spool, string input, SafeFileHandle file, string sourceId, string bucket)
    {
        _spool = spool;
        _input = input;
        _shown = input == "-" ? "standard input (a file)" : $"{ShipCommand.Input.Name} '{input}'";
        _sourceId = sourceId;
        _bucket = bucket;
        string key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{input}\n{sourceId}\n{bucket}")))[..32];
        _path = Path.Combine(spool, FolderName, key + ".ndjson");
        _file = file;
    }

    /// <summary>Gets the input as messages name it: <c>--input 'PATH'</c>, or standard input.</summary>
    public string Shown => _shown;

    /// <summary>
    /// The checkpoint of <paramref name="input"/> in <paramref name="spool"/>, or <see langword="null"/> when there is
    /// nothing to resume: no spool, or an input that is not a regular file read from its start (a pipe, a terminal),
    /// which can't be read again from a place. Standard input redirected from a file (<c>&lt; FILE</c>) is one: its
    /// records are those of <c>-</c> for the source and bucket, and the digests tell whether it is the same file.
    /// </summary>
    public static InputCheckpoint? For(string? spool, string input, Stream opened, string sourceId, string bucket) =>
        spool is null || opened is not FileStream { CanSeek: true, Position: 0 } file
            ? null
            : new InputCheckpoint(spool, input == "-" ? input : Path.GetFullPath(input), file.SafeFileHandle, sourceId, bucket);

    /// <summary>
    /// Reads the last record and checks it against the file: the place to read on from, or the start (with
    /// <paramref name="fromStart"/>, with no record, or when the file is not the one recorded), with a note saying which.
    /// </summary>
    public InputResume Resume(bool fromStart)
    {
        string spoolOption = ShipCommand.SpoolDir.Name;
        if (fromStart || !File.Exists(_path))
        {
            return InputResume.FromStart();
        }

        Saved? saved;
        try
        {
            saved = Last(File.ReadAllBytes(_path));
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return Unreadable($"can't be read ({exception.Message})");
        }

        if (saved is null)
        {
            return Unreadable("holds no whole record");
        }

        if (saved.Input != _input || saved.SourceId != _sourceId || saved.Bucket != _bucket || saved.Place == InputPosition.Start && saved.Skip.Count == 0)
        {
            return InputResume.FromStart(); // another file's (a collision of names), or one that took nothing yet
        }

        long length = RandomAccess.GetLength(_file);
        if (length < saved.Place.Offset || saved.Head != Head(saved.Place) || saved.Tail != Tail(saved.Place))
        {
            // Standard input from another file is the plain case; a file at the same path that changed is worth a word.
            return InputResume.FromStart(_input == "-" ? null : $"{_shown} is not the file an earlier run over {spoolOption} read up to line {saved.Place.Line} (it is shorter, or its bytes up to there changed): reading it from line 1.");
        }

        if (length > saved.Place.Offset && saved.Place.Offset > 0 && ByteAt(saved.Place.Offset - 1) != (byte)'\n')
        {
            // The earlier run ended on a last line with no newline yet, and the file grew since: a newline now ends that
            // line (read on past it), or the line went on, and the earlier run read only its start (read it again whole).
            long newline = ByteAt(saved.Place.Offset) switch
            {
                '\n' => saved.Place.Offset,
                '\r' when ByteAt(saved.Place.Offset + 1) == '\n' => saved.Place.Offset + 1,
                _ => -1,
            };
            if (newline >= 0)
            {
                return ResumeAt(saved with { Place = saved.Place with { Offset = newline + 1 } }, length);
            }

            var start = new InputPosition(saved.Place.Line - 1, LineStart(saved.Place.Offset));
            return new InputResume(start, saved.Skip, $"Resuming {_shown} at line {saved.Place.Line} (byte {start.Offset}): an earlier run over {spoolOption} read the lines before it, and read line {saved.Place.Line} before its end was written, so it reads that line again whole. Give {ShipCommand.FromStart.Name} to read the whole file again.");
        }

        return ResumeAt(saved, length);
    }

    /// <summary>A start from line 1 when the record file is of no use, saying <paramref name="why"/> and what it costs.</summary>
    private InputResume Unreadable(string why) =>
        InputResume.FromStart($"The record of how far an earlier run read {_shown} ('{_path}') {why}: reading it from line 1. Lines that run put in {ShipCommand.SpoolDir.Name} may be delivered twice.");

    private InputResume ResumeAt(Saved saved, long length)
    {
        string spoolOption = ShipCommand.SpoolDir.Name;
        string place = saved.Place.Offset == length && saved.Skip.Count == 0
            ? $"An earlier run over {spoolOption} read {_shown} to its end (line {saved.Place.Line}): nothing new to read"
            : $"Resuming {_shown} after line {saved.Place.Line} (byte {saved.Place.Offset}): an earlier run over {spoolOption} read the lines before it";
        return new InputResume(saved.Place, saved.Skip, $"{place} (they are delivered, or in the spool and delivered now). Give {ShipCommand.FromStart.Name} to read the whole file again.");
    }

    /// <summary>
    /// Records <paramref name="settled"/>: the run's first record starts the file afresh (a rename), the others are
    /// appended (one write). A failure is told once on <paramref name="lines"/> and does not stop the run: the events are
    /// safe in the spool, and only a later resume may start from an older place.
    /// </summary>
    public void Save(SettledInput settled, StderrLines lines)
    {
        try
        {
            byte[] record = Record(settled);
            if (_records is null)
            {
                PrivateFiles.CreateFolder(Path.GetDirectoryName(_path)!);
                string temp = _path + ".tmp";
                using (FileStream stream = PrivateFiles.Open(temp, FileMode.Create, FileAccess.Write, FileShare.None))
                {
                    stream.Write(record);
                }

                File.Move(temp, _path, overwrite: true);
                _records = PrivateFiles.Open(_path, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 0);
            }
            else
            {
                _records.Write(record);
            }
        }
        catch (ObjectDisposedException)
        {
            // The run is over: its last record was written, or the loop is past waiting for.
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            if (!_saveFailed)
            {
                _saveFailed = true;
                lines.WriteLine($"Could not record in {ShipCommand.SpoolDir.Name} '{_spool}' how far {ShipCommand.Input.Name} was read ({exception.Message}): the events are safe in the spool, but running the same command again may send lines since the last record a second time.");
            }
        }
    }

    /// <summary>Closes the record file (the input is the stream's to close).</summary>
    public void Dispose() => _records?.Dispose();

    private byte[] Record(SettledInput settled)
    {
        InputPosition place = settled.Position;
        var json = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            writer.WriteString("input", _input);
            writer.WriteString("sourceId", _sourceId);
            writer.WriteString("bucket", _bucket);
            writer.WriteNumber("line", place.Line);
            writer.WriteNumber("offset", place.Offset);
            writer.WriteStartArray("takenPast");
            foreach (long line in settled.TakenPast)
            {
                writer.WriteNumberValue(line);
            }

            writer.WriteEndArray();
            writer.WriteString("head", place.Offset >= HeadBytes ? _fullHead ??= Head(place) : Head(place));
            writer.WriteString("tail", Tail(place));
            writer.WriteEndObject();
        }

        json.Write("\n"u8);
        return json.WrittenSpan.ToArray();
    }

    /// <summary>The digest of the file's first 64 KB, or of its bytes up to <paramref name="place"/> when fewer.</summary>
    private string Head(InputPosition place) => Digest(0, Math.Min(place.Offset, HeadBytes));

    /// <summary>The digest of the 4 KB before <paramref name="place"/>, or of the bytes before it when fewer.</summary>
    private string Tail(InputPosition place) => Digest(Math.Max(0, place.Offset - TailBytes), place.Offset);

    /// <summary>The file's byte at <paramref name="offset"/>, or -1 past its end.</summary>
    private int ByteAt(long offset)
    {
        byte[] one = new byte[1];
        return RandomAccess.Read(_file, one, offset) == 1 ? one[0] : -1;
    }

    /// <summary>The offset where the line that holds the byte before <paramref name="end"/> starts: past the newline before it, or 0.</summary>
    private long LineStart(long end)
    {
        byte[] chunk = new byte[TailBytes];
        while (end > 0)
        {
            long from = Math.Max(0, end - chunk.Length);
            int read = RandomAccess.Read(_file, chunk.AsSpan(0, (int)(end - from)), from);
            int newline = chunk.AsSpan(0, read).LastIndexOf((byte)'\n');
            if (newline >= 0)
            {
                return from + newline + 1;
            }

            end = from;
        }

        return 0;
    }

    private string Digest(long start, long end)
    {
        byte[] bytes = new byte[end - start];
        int read = 0;
        while (read < bytes.Length && RandomAccess.Read(_file, bytes.AsSpan(read), start + read) is > 0 and int count)
        {
            read += count;
        }

        return Convert.ToHexStringLower(SHA256.HashData(bytes.AsSpan(0, read)));
    }

    /// <summary>The last whole record of a record file (a line cut by a crash is passed over), or <see langword="null"/>.</summary>
    private static Saved? Last(byte[] file)
    {
        ReadOnlySpan<byte> rest = file;
        Saved? last = null;
        while (!rest.IsEmpty)
        {
            int newline = rest.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = newline < 0 ? rest : rest[..newline];
            rest = newline < 0 ? [] : rest[(newline + 1)..];
            if (newline >= 0 && TryRead(line) is { } saved)
            {
                last = saved;
            }
        }

        return last;
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
