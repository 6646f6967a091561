using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using RawDataDestination.Batching;
using RawDataDestination.Spool;

namespace RawDataDestination.Cli;

/// <summary>
/// The resume rule of <c>ship --input FILE --spool-dir DIR</c>: how far an earlier run over the same spool read the same
/// file for the same source and bucket, so that running the same command again reads on from there instead of sending
/// the lines before it a second time. One record file per (file, source, bucket), in <c>DIR/rawdata-inputs/</c>: one
/// JSON line per record. A place record holds the place past the last line settled (taken by the spool, or refused),
/// the lines past it taken anyway, and SHA-256 digests of the 64 KB at the file's start and of the 4 KB before that
/// place, so that a file rewritten since is read from its first line again; the last whole one counts. A place record is
/// appended every <see cref="EveryLines"/> lines and when the reading loop ends; each run starts the file afresh, by a
/// rename, before the buffer's recovery touches the spool, and a place record does again past <see cref="CompactBytes"/>,
/// with only the rounds that have a line past its place. A round record is appended before each round of the spool's
/// journal is written (<see cref="IJournalRoundObserver"/>): the journal, where the round starts, and the line numbers of
/// its lines, in order.
/// </summary>
/// <remarks>
/// A place record never runs ahead of the spool: a line counts as settled only once its append returned, which with a
/// spool means it is on disk. After a clean stop (the end of the input, a signal, giving up, an error) the last place
/// record is exact. After <c>kill -9</c> it may lag the spool by the lines taken since it was written: the round records
/// say which. A line of a round counts as taken when the journal holds the round's lines up to it whole, or when the
/// journal is gone (its batch was sealed, which waits for every round written); a round whose write failed is taken out
/// of the records again, and one cut back in the journal is known by the next round written at its place. So a resumed
/// run passes over exactly the lines the spool has, and reads the others. Records are not flushed to the disk: a power
/// cut may lose the last ones, and then lines since are sent again (twice, never lost). A run that ended on a last line
/// with no newline (a file still being written, or one without a final newline) recorded the place past it; if the file
/// grew since, a newline there ends that line (read on past it), and anything else means the line went on: it is read
/// again whole, from its start.
/// </remarks>
internal sealed class InputCheckpoint : IDisposable, IJournalRoundObserver
{
    /// <summary>The folder of the record files in a spool directory: rawdata's own, beside the spool's folders, which the buffer leaves alone.</summary>
    public const string FolderName = "rawdata-inputs";

    /// <summary>How many lines between two records.</summary>
    public const int EveryLines = 1000;

    /// <summary>Past this size, a place record starts the record file afresh, with only the rounds that may still count.</summary>
    private const long CompactBytes = 64 * 1024;

    /// <summary>How much of the file's start the head digest covers.</summary>
    private const int HeadBytes = 64 * 1024;

    /// <summary>How much of the file before the place the tail digest covers: read again for every record, so small.</summary>
    private const int TailBytes = 4 * 1024;

    private readonly string _input;
    private readonly string _sourceId;
    private readonly string _bucket;
    private readonly string _spool;
    private readonly string _spoolRoot; // the spool's full path, as the buffer names its journals
    private readonly string _path;
    private readonly string _shown;
    private readonly SafeFileHandle _file; // the input stream's: read with pread, which leaves the stream's place alone
    private readonly object _writeLock = new(); // place records come from the reading loop, round records from journals' flushers
    private readonly Dictionary<string, (long At, long Start)> _lastRound = new(StringComparer.Ordinal); // per journal: its last round record's place in the file
    private readonly Dictionary<string, string> _journalNames = new(StringComparer.Ordinal); // a journal's full path to its path under the spool
    private readonly ArrayBufferWriter<byte> _round = new(256); // a round record, written under the write lock
    private Utf8JsonWriter? _roundWriter;
    private Queue<RecentRound> _recent = new(); // the records of rounds with a line past the last place recorded, in order
    private FileStream? _records;
    private long _recordsLength;
    private string? _fullHead; // the digest of the file's first 64 KB, once the place is past them: it no longer changes
    private bool _saveFailed;

    private InputCheckpoint(string spool, string input, SafeFileHandle file, string sourceId, string bucket)
    {
        _spool = spool;
        _spoolRoot = Path.GetFullPath(spool);
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
        IReadOnlyList<JournalRound> rounds;
        try
        {
            (saved, rounds) = Read(File.ReadAllBytes(_path));
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return Unreadable($"can't be read ({exception.Message})");
        }

        if (saved is null)
        {
            return Unreadable("holds no whole record");
        }

        if (saved.Input != _input || saved.SourceId != _sourceId || saved.Bucket != _bucket)
        {
            return InputResume.FromStart(); // another file's (a collision of names)
        }

        int takenSince = JournalRound.AddTakenPast(_spoolRoot, rounds, saved.Place.Line, saved.Skip);
        if (saved.Place == InputPosition.Start && saved.Skip.Count == 0)
        {
            return InputResume.FromStart(); // took nothing yet
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
                return ResumeAt(saved with { Place = saved.Place with { Offset = newline + 1 } }, length, takenSince);
            }

            var start = new InputPosition(saved.Place.Line - 1, LineStart(saved.Place.Offset));
            return new InputResume(start, saved.Skip, $"Resuming {_shown} at line {saved.Place.Line} (byte {start.Offset}): an earlier run over {spoolOption} read the lines before it, and read line {saved.Place.Line} before its end was written, so it reads that line again whole. Give {ShipCommand.FromStart.Name} to read the whole file again.");
        }

        return ResumeAt(saved, length, takenSince);
    }

    /// <summary>A start from line 1 when the record file is of no use, saying <paramref name="why"/> and what it costs.</summary>
    private InputResume Unreadable(string why) =>
        InputResume.FromStart($"The record of how far an earlier run read {_shown} ('{_path}') {why}: reading it from line 1. Lines that run put in {ShipCommand.SpoolDir.Name} may be delivered twice.");

    private InputResume ResumeAt(Saved saved, long length, int takenSince)
    {
        string spoolOption = ShipCommand.SpoolDir.Name;
        string place = saved.Place.Offset == length && saved.Skip.Count == 0
            ? $"An earlier run over {spoolOption} read {_shown} to its end (line {saved.Place.Line}): nothing new to read"
            : $"Resuming {_shown} after line {saved.Place.Line} (byte {saved.Place.Offset}): an earlier run over {spoolOption} read the lines before it";
        string since = takenSince > 0 ? $"; it also put {takenSince} line(s) after it in the spool before it stopped without a word (kill -9, a crash), and those are passed over" : string.Empty;
        return new InputResume(saved.Place, saved.Skip, $"{place} (they are delivered, or in the spool and delivered now){since}. Give {ShipCommand.FromStart.Name} to read the whole file again.");
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
            lock (_writeLock)
            {
                // Rounds whose lines are all at or before the place can never count again.
                while (_recent.TryPeek(out RecentRound? oldest) && oldest.LastLine <= settled.Position.Line)
                {
                    _recent.Dequeue();
                }

                if (_records is null || _recordsLength + record.Length > CompactBytes)
                {
                    StartAfresh(record);
                }
                else
                {
                    Append(record);
                }
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

    /// <summary>
    /// Starts this run's record file with <paramref name="resume"/>'s place and the lines past it already taken, before
    /// the buffer's recovery seals the journals the last record's rounds point to (<see cref="BatchBufferOptions.SpoolHeld"/>).
    /// </summary>
    /// <exception cref="IOException">The record file can be neither started afresh nor deleted: its old rounds, about journals the recovery is about to seal, could make a later run pass over lines the spool does not hold.</exception>
    public void Start(InputResume resume, StderrLines lines)
    {
        Save(new SettledInput(resume.From, resume.Skip), lines);
        if (_records is null && File.Exists(_path))
        {
            File.Delete(_path); // a later run then reads the file from line 1: lines may come twice, none is lost
        }
    }

    /// <summary>
    /// Settles the round records of every other record file in <paramref name="spool"/> (other files, sources or buckets
    /// read over the same spool), before the buffer's recovery seals the journals they point to: each becomes one place
    /// record listing the lines its rounds put in the spool. Otherwise a journal sealed by this run's recovery, with a
    /// round a kill cut short, would later read as a journal sealed whole. A file that can't be settled is deleted (its
    /// input is then read from line 1: lines may come twice, none is lost).
    /// </summary>
    /// <exception cref="IOException">A record file with rounds can be neither settled nor deleted.</exception>
    public static void SettleOthers(string spool, InputCheckpoint? own)
    {
        string folder = Path.Combine(spool, FolderName);
        if (!Directory.Exists(folder))
        {
            return;
        }

        string spoolRoot = Path.GetFullPath(spool);
        foreach (string path in Directory.EnumerateFiles(folder, "*.ndjson"))
        {
            if (own is not null && Path.GetFullPath(path) == Path.GetFullPath(own._path))
            {
                continue;
            }

            try
            {
                (Saved? saved, IReadOnlyList<JournalRound> rounds) = Read(File.ReadAllBytes(path));
                if (rounds.Count == 0)
                {
                    continue;
                }

                if (saved is null)
                {
                    File.Delete(path);
                    continue;
                }

                JournalRound.AddTakenPast(spoolRoot, rounds, saved.Place.Line, saved.Skip);
                string temp = path + ".tmp";
                using (FileStream stream = PrivateFiles.Open(temp, FileMode.Create, FileAccess.Write, FileShare.None))
                {
                    stream.Write(Record(saved));
                }

                File.Move(temp, path, overwrite: true);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                File.Delete(path);
            }
        }
    }

    /// <summary>Records a round of the spool's journal before it is written: the lines whose marks it carries are the input's lines of those numbers.</summary>
    public void Writing(string journalPath, long start, long length, ReadOnlySpan<long> marks)
    {
        lock (_writeLock)
        {
            if (_records is null)
            {
                return; // no record file: nothing of this run counts as taken past the place it starts from
            }

            try
            {
                if (!_journalNames.TryGetValue(journalPath, out string? journal))
                {
                    journal = Path.GetRelativePath(_spoolRoot, journalPath);
                    _journalNames[journalPath] = journal;
                }

                _round.ResetWrittenCount();
                _roundWriter ??= new Utf8JsonWriter(_round);
                _roundWriter.Reset(_round);
                JournalRound.Write(_roundWriter, journal, start, length, marks);
                _round.Write("\n"u8);
                long at = _recordsLength;
                Append(_round.WrittenSpan);
                _lastRound[journalPath] = (at, start);
                long lastLine = 0;
                foreach (long mark in marks)
                {
                    lastLine = Math.Max(lastLine, mark);
                }

                _recent.Enqueue(new RecentRound(journalPath, start, lastLine, _round.WrittenSpan.ToArray()));
            }
#pragma warning disable CA1031 // Not recorded: the round's lines are read again by a resumed run (twice at worst, never lost).
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
    }

    /// <summary>A round's write failed: its record is taken out of the file again (with any record after it: those only ever let a resumed run pass over lines).</summary>
    public void Failed(string journalPath, long start)
    {
        lock (_writeLock)
        {
            _recent = new Queue<RecentRound>(_recent.Where(round => !(round.JournalPath == journalPath && round.Start == start)));
            if (_records is not null && _lastRound.Remove(journalPath, out (long At, long Start) round) && round.Start == start && round.At < _recordsLength)
            {
                try
                {
                    _records.SetLength(round.At);
                    _recordsLength = round.At;
                }
#pragma warning disable CA1031 // Cut back or not, a later round written at this place tells a resumed run that this one does not count.
                catch (Exception)
#pragma warning restore CA1031
                {
                }
            }
        }
    }

    /// <summary>Closes the record file (the input is the stream's to close).</summary>
    public void Dispose()
    {
        lock (_writeLock)
        {
            _records?.Dispose();
            _roundWriter?.Dispose();
        }
    }

    /// <summary>
    /// Starts the record file afresh (under the write lock): <paramref name="place"/>, then the records of the rounds that
    /// may still count, written to a new file renamed over the old one, so that a kill at any moment leaves one whole file.
    /// </summary>
    private void StartAfresh(byte[] place)
    {
        PrivateFiles.CreateFolder(Path.GetDirectoryName(_path)!);
        string temp = _path + ".tmp";
        long length = place.Length;
        var lastRound = new Dictionary<string, (long At, long Start)>(StringComparer.Ordinal);
        using (FileStream stream = PrivateFiles.Open(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(place);
            foreach (RecentRound round in _recent)
            {
                lastRound[round.JournalPath] = (length, round.Start);
                stream.Write(round.Record);
                length += round.Record.Length;
            }
        }

        File.Move(temp, _path, overwrite: true);
        _records?.Dispose();
        _records = PrivateFiles.Open(_path, FileMode.Open, FileAccess.Write, FileShare.Read, bufferSize: 0);
        _recordsLength = length;
        _lastRound.Clear();
        foreach ((string journal, (long At, long Start) round) in lastRound)
        {
            _lastRound[journal] = round;
        }
    }

    /// <summary>Appends a record at the end of the record file as this run wrote it (under the write lock).</summary>
    private void Append(ReadOnlySpan<byte> record)
    {
        RandomAccess.Write(_records!.SafeFileHandle, record, _recordsLength);
        _recordsLength += record.Length;
    }

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

    /// <summary>
    /// The last whole place record of a record file and every whole round record, in order (a line cut by a crash is
    /// passed over); <see langword="null"/> when it holds no place record.
    /// </summary>
    private static (Saved? Last, IReadOnlyList<JournalRound> Rounds) Read(byte[] file)
    {
        ReadOnlySpan<byte> rest = file;
        Saved? last = null;
        var rounds = new List<JournalRound>();
        while (!rest.IsEmpty)
        {
            int newline = rest.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = newline < 0 ? rest : rest[..newline];
            rest = newline < 0 ? [] : rest[(newline + 1)..];
            if (newline < 0)
            {
                continue;
            }

            if (JournalRound.TryRead(line) is { } round)
            {
                rounds.Add(round);
            }
            else if (TryRead(line) is { } saved)
            {
                last = saved;
            }
        }

        return (last, rounds);
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

    /// <summary>A round recorded in this run: its journal, where it starts, its last line's number, and its record.</summary>
    private sealed record RecentRound(string JournalPath, long Start, long LastLine, byte[] Record);

    private sealed record Saved(string Input, string SourceId, string Bucket, InputPosition Place, HashSet<long> Skip, string Head, string Tail);
}
