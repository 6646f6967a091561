using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using RawDataDestination.Internal;
using RawDataDestination.Spool;

namespace RawDataDestination.Cli;

/// <summary>
/// The resume rule of <c>ship --input FILE --spool-dir DIR</c>: how far an earlier run over the same spool read the same
/// file for the same source and destination, so that running the same command again reads on from there instead of sending
/// the lines before it a second time. One record file per (file, source, bucket, the rest of the destination's
/// <see cref="DestinationIdentity"/>: another customer's bucket of the same name is read for from line 1), in
/// <c>DIR/rawdata-inputs/</c>: one
/// JSON line per record. A place record holds the place past the last line settled (taken by the spool, or refused),
/// the lines past it taken anyway, and SHA-256 digests of the 64 KB at the file's start and of the 4 KB before that
/// place, so that a file rewritten since is read from its first line again; the last whole one counts. A place record is
/// appended every <see cref="EveryLines"/> lines and when the reading loop ends; each run starts the file afresh, by a
/// rename, before the buffer's recovery touches the spool, and a place record does again past <see cref="CompactBytes"/>,
/// with only the rounds that have a line past its place or a batch not yet delivered. A round record is appended
/// before each round of the spool's journal is written (<see cref="IJournalRoundObserver"/>): the journal, where the
/// round starts, and the line numbers of its lines, in order.
/// </summary>
/// <remarks>
/// A place record never runs ahead of the spool: a line counts as settled only once its append returned, which with a
/// spool means it is on disk. After a clean stop (the end of the input, a signal, giving up, an error) the last place
/// record is exact. After <c>kill -9</c> it may lag the spool by the lines taken since it was written: the round records
/// say which. A line of a round counts as taken when the journal holds the round's lines up to it whole, or when the
/// journal is gone while its batch is kept (sealed, which waits for every round written, or delivered: each delivery of a
/// batch that rounds name is recorded before the buffer deletes its files); a round whose write failed is taken out
/// of the records again, and one cut back in the journal is known by the next round written at its place. So a resumed
/// run passes over exactly the lines the spool has, and reads the others. Records are not flushed to the disk: a power
/// cut may lose the last ones, and then lines since are sent again (twice, never lost). A run that ended on a last line
/// with no newline (a file still being written, or one without a final newline) recorded the place past it; if the file
/// grew since, a newline there ends that line (read on past it), and anything else means the line went on: it is read
/// again whole, from its start. A journal still in the spool that holds fewer of its rounds' lines than were written
/// (cut short or emptied between runs), or a journal gone with its batch (deleted, or its sealed file deleted, between
/// runs: the rounds of batches not yet delivered go on into each run's record file), lost lines the place record counts
/// as settled: those are read again, and only those (<see cref="JournalRound.NotHeld"/>).
/// </remarks>
internal sealed partial class InputCheckpoint : IDisposable, IJournalRoundObserver
{
    /// <summary>The folder of the record files in a spool directory: rawdata's own, beside the spool's folders, which the buffer leaves alone.</summary>
    public const string FolderName = "rawdata-inputs";

    /// <summary>
    /// The list of the record files runs started in the spool directory, beside <see cref="FolderName"/> (so that deleting
    /// that folder leaves it): one file name a line. A record file listed but gone was deleted since, not never written.
    /// </summary>
    public const string ListName = "rawdata-inputs.list";

    /// <summary>How many lines between two records.</summary>
    public const int EveryLines = 1000;

    /// <summary>Past this size, a place record starts the record file afresh, with only the rounds that may still count.</summary>
    private const long CompactBytes = 64 * 1024;

    /// <summary>How much of the file's start the head digest covers.</summary>
    private const int HeadBytes = 64 * 1024;

    /// <summary>How many runs of line numbers a message names before it counts the rest.</summary>
    private const int RunsShown = 10;

    /// <summary>How much of the file before the place the tail digest covers: read again for every record, so small.</summary>
    private const int TailBytes = 4 * 1024;

    private readonly string _input;
    private readonly string _sourceId;
    private readonly string _bucket;
    private readonly (string Input, string Bucket, string Path) _asTyped; // how records were named before they named the file and bucket themselves
    private readonly string _bucketOnly; // how records were named before they named the destination's identity past the bucket
    private readonly string _spool;
    private readonly string _spoolRoot; // the spool's full path, as the buffer names its journals
    private readonly string _path;
    private readonly string _shown;
    private readonly SafeFileHandle _file; // the input stream's: read with pread, which leaves the stream's place alone
    private readonly object _writeLock = new(); // place records come from the reading loop, round records from journals' flushers
    private readonly Dictionary<string, string> _journalNames = new(StringComparer.Ordinal); // a journal's full path to its path under the spool
    private readonly ArrayBufferWriter<byte> _round = new(256); // a round record, written under the write lock
    private Utf8JsonWriter? _roundWriter;
    private Queue<RecentRound> _recent = new(); // the records of rounds that may still count (a line past the place, or a journal not yet sealed), in order, with their places in the file
    private FileStream? _records;
    private long _recordsLength;
    private string? _fullHead; // the digest of the file's first 64 KB, once the place is past them: it no longer changes
    private long _compactAt = CompactBytes; // the record file's length past which a place record starts it afresh
    private readonly HashSet<string> _delivered = new(StringComparer.Ordinal); // the batches delivered in this run, by id
    private readonly Dictionary<string, long> _pendingAt = new(StringComparer.Ordinal); // where the room for each batch's delivered record is in the record file
    private IReadOnlyList<JournalRound> _carried = []; // the earlier run's rounds of batches still in the spool, for this run's record file
    private IReadOnlyDictionary<string, SetAsideBatch> _setAside = new Dictionary<string, SetAsideBatch>(); // the batches that changed since written, set aside, by journal
    private bool _saveFailed;
    private bool _closed; // the record file is closed: no round may be written any more

    private InputCheckpoint(string spool, string input, SafeFileHandle file, string sourceId, string bucket, string destination)
    {
        _spool = spool;
        _spoolRoot = Path.GetFullPath(spool);
        _shown = input == "-" ? "standard input (a file)" : $"{ShipCommand.Input.Name} '{input}'";
        _sourceId = sourceId;
        _file = file;

        // Named by what the file and the bucket are, not by how this command spells them: a link to the file, the
        // file redirected to standard input, or the bucket with a trailing slash, are the same input for the same
        // destination, and were read again from line 1 before.
        _input = InputIdentity.Of(input, file);
        _bucket = InputIdentity.Bucket(bucket);
        _path = RecordPath(spool, $"{_input}\n{sourceId}\n{_bucket}\n{destination}");
        _bucketOnly = RecordPath(spool, $"{_input}\n{sourceId}\n{_bucket}");
        string typed = input == "-" ? input : Path.GetFullPath(input);
        _asTyped = (typed, bucket, RecordPath(spool, $"{typed}\n{sourceId}\n{bucket}"));
    }

    private static string RecordPath(string spool, string name) =>
        Path.Combine(spool, FolderName, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)))[..32] + ".ndjson");

    /// <summary>Gets the input as messages name it: <c>--input 'PATH'</c>, or standard input.</summary>
    public string Shown => _shown;

    /// <summary>
    /// The checkpoint of <paramref name="input"/> in <paramref name="spool"/>, or <see langword="null"/> when there is
    /// nothing to resume: no spool, or an input that is not a regular file read from its start (a pipe, a terminal),
    /// which can't be read again from a place. Standard input redirected from a file (<c>&lt; FILE</c>) is one: its
    /// records are those of <c>-</c> for the source and bucket, and the digests tell whether it is the same file.
    /// </summary>
    /// <param name="spool">The --spool-dir, if any.</param>
    /// <param name="input">The --input as given.</param>
    /// <param name="opened">The input as opened.</param>
    /// <param name="sourceId">The --source-id.</param>
    /// <param name="bucket">The --bucket as given.</param>
    /// <param name="destination">The rest of the destination's identity (<see cref="DestinationIdentity.Key"/>).</param>
    public static InputCheckpoint? For(string? spool, string input, Stream opened, string sourceId, string bucket, string destination) =>
        spool is null || opened is not FileStream { CanSeek: true, Position: 0 } file
            ? null
            : new InputCheckpoint(spool, input, file.SafeFileHandle, sourceId, bucket, destination);

    /// <summary>
    /// Reads the last record and checks it against the file: the place to read on from, or the start (with
    /// <paramref name="fromStart"/>, with no record, or when the file is not the one recorded), with a note saying which.
    /// </summary>
    /// <param name="fromStart">--from-start.</param>
    /// <param name="bucketOnlyRecords">Whether the records an earlier version named without the destination's identity
    /// past the bucket are this destination's (<see cref="SpoolDestination.Claim"/>): only then is one taken over.</param>
    public InputResume Resume(bool fromStart, bool bucketOnlyRecords)
    {
        string spoolOption = ShipCommand.SpoolDir.Name;
        if (bucketOnlyRecords)
        {
            TakeOverOlderRecord();
        }

        if (!fromStart && !File.Exists(_path) && Listed())
        {
            throw new UsageException(
                $"{spoolOption} '{_spool}' has no record of how far an earlier run read {_shown} for {ShipCommand.SourceId.Name} '{_sourceId}' and {DestinationOptions.Bucket.Name} '{_bucket}', though a run over it kept one: "
                + $"'{_path}' was deleted since (or the whole '{Path.Combine(_spool, FolderName)}' folder). Read from line 1, every line an earlier run read (delivered, or kept in the spool) would be delivered twice, so nothing was read or sent. "
                + GoOnWithout());
        }

        if (!fromStart && !File.Exists(_path) && Unfinished(_spool, _bucket).Where(record => (record.Input == _input || record.Input == _asTyped.Input) && record.SourceId != _sourceId)
            .OrderByDescending(record => record.Line).FirstOrDefault() is ({ } _, { } other, long line))
        {
            // The same file, read part way for another source id: a typo on resume read it from line 1, and every line came twice.
            throw new UsageException(
                $"An earlier run over {spoolOption} '{_spool}' read {_shown} for {ShipCommand.SourceId.Name} '{other}' up to line {line} and did not read it to its end (stopped, killed, or the file grew since); "
                + $"this run gives {ShipCommand.SourceId.Name} '{_sourceId}', under which no run read it, so it would read it from line 1 and deliver every line the earlier run read a second time, under another source's folder: nothing was read or sent. "
                + $"If '{other}' is meant, run the same command with {ShipCommand.SourceId.Name} '{other}': it reads on after what was read, each line once. "
                + $"To ship the file as source '{_sourceId}' too, from line 1, run the same command with {ShipCommand.FromStart.Name}.");
        }

        if (fromStart || !File.Exists(_path))
        {
            return InputResume.FromStart();
        }

        Saved? saved;
        IReadOnlyList<JournalRound> rounds;
        HashSet<string> delivered;
        bool cut;
        int damaged;
        try
        {
            (saved, rounds, delivered, cut) = Read(File.ReadAllBytes(_path), out damaged);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return Unreadable($"can't be read ({exception.Message})");
        }

        if (damaged > 0)
        {
            throw new UsageException(
                $"The record of how far an earlier run read {_shown} ('{_path}') holds {Counted.Of(damaged, "record")} whose bytes changed on disk since {(damaged == 1 ? "it was" : "they were")} written (a disk, a hand): "
                + $"it no longer says which lines the earlier run read, so nothing was read or sent (read on from it, lines could be lost; read from line 1, every line that run read would be delivered twice). "
                + $"{GoOnWithout()}");
        }

        if (saved is null)
        {
            return Unreadable("holds no whole record");
        }

        if (((saved.Input, saved.Bucket) != (_input, _bucket) && (saved.Input, saved.Bucket) != (_asTyped.Input, _asTyped.Bucket)) || saved.SourceId != _sourceId)
        {
            return InputResume.FromStart(); // another file's (a collision of names)
        }

        _setAside = SetAsideBatches.Apply(_spoolRoot, rounds, delivered, DateTimeOffset.UtcNow);
        IReadOnlyList<(string Journal, SortedSet<long> Lines, bool Gone)> notHeld = JournalRound.NotHeld(_spoolRoot, rounds, delivered);
        int takenSince = JournalRound.AddTakenPast(_spoolRoot, rounds, delivered, saved.Place.Line, saved.Skip);

        // The rounds of batches still in the spool go on into this run's record file: deleted before a later run
        // delivers them (the journal, or the sealed file this run's recovery makes of it), their lines are read again then.
        // Each as its journal holds it now (JournalRound.AsHeld): a line lost from it stays not taken after the recovery seals it.
        _carried = JournalRound.AsHeld(_spoolRoot, [.. rounds.Where(round => JournalRound.InSpool(_spoolRoot, round.Journal) && !delivered.Contains(JournalRound.BatchIdOf(round.Journal)))]);
        if (saved.Place == InputPosition.Start && saved.Skip.Count == 0)
        {
            return InputResume.FromStart(); // took nothing yet
        }

        long length = RandomAccess.GetLength(_file);
        if (length < saved.Place.Offset || saved.Head != Head(saved.Place) || saved.Tail != Tail(saved.Place))
        {
            // A file at the same path that changed, or standard input from another file: either way the user is told
            // why lines an earlier run read are read again.
            return InputResume.FromStart($"{_shown} is not the file an earlier run over {spoolOption} read up to line {saved.Place.Line} (it is shorter, or its bytes up to there changed): reading it from line 1.");
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
                return CutShort(ReadAgainLost(ResumeAt(saved with { Place = saved.Place with { Offset = newline + 1 } }, length, takenSince), notHeld), cut);
            }

            var start = new InputPosition(saved.Place.Line - 1, LineStart(saved.Place.Offset));
            return CutShort(ReadAgainLost(new InputResume(start, saved.Skip, $"Resuming {_shown} at line {saved.Place.Line} (byte {start.Offset}): an earlier run over {spoolOption} read the lines before it, and read line {saved.Place.Line} before its end was written, so it reads that line again whole. Give {ShipCommand.FromStart.Name} to read the whole file again."), notHeld), cut);
        }

        return CutShort(ReadAgainLost(ResumeAt(saved, length, takenSince), notHeld), cut);
    }

    /// <summary>
    /// Adds to <paramref name="resume"/>'s note, when the record file ends in a record <paramref name="cut"/> short (a
    /// power cut, a disk), that the records lost with it may make lines past the resumed place come twice.
    /// </summary>
    private InputResume CutShort(InputResume resume, bool cut) => !cut ? resume : resume with
    {
        Note = $"{resume.Note}{(resume.Note is null ? string.Empty : "\n")}The record of how far an earlier run read {_shown} ('{_path}') ends in a record cut short (a power cut, or a disk, since records are written whole): the records after the last whole one are lost, so lines after line {resume.From.Line} that the earlier run put in {ShipCommand.SpoolDir.Name} may be delivered twice.",
    };

    /// <summary>
    /// Moves <paramref name="resume"/> back to the first line an earlier run put in a journal that no longer holds it (it
    /// was cut short since: <see cref="JournalRound.NotHeld"/>) and that the resume would pass over (at or before its place,
    /// or listed as taken past it), passing over every line between that the spool still holds or that was refused: the
    /// lost lines are read again, once, and no other line is. The note names the journals and the lines.
    /// </summary>
    private InputResume ReadAgainLost(InputResume resume, IReadOnlyList<(string Journal, SortedSet<long> Lines, bool Gone)> notHeld)
    {
        var lost = notHeld.Select(journal => (journal.Journal, Lines: journal.Lines.Where(line => line <= resume.From.Line || resume.Skip.Contains(line)).ToList(), journal.Gone))
            .Where(journal => journal.Lines.Count > 0).ToList();
        string? setAside = _setAside.Count == 0 ? null
            : string.Join(" ", _setAside.Values.Select(batch => $"'{batch.Was}', where an earlier run put lines of {_shown}, {batch.Why}: it was set aside as '{batch.Target}', never to be delivered, and its lines are read again from {_shown}. Delete it once this run has delivered them."));
        if (lost.Count == 0)
        {
            return setAside is null ? resume : resume with { Note = resume.Note is null ? setAside : $"{setAside}\n{resume.Note}" };
        }

        var lostLines = new HashSet<long>(lost.SelectMany(journal => journal.Lines));
        long first = lostLines.Min();
        var skip = new HashSet<long>(resume.Skip.Where(line => !lostLines.Contains(line)));
        for (long line = Math.Min(first, resume.From.Line + 1); line <= resume.From.Line; line++)
        {
            if (!lostLines.Contains(line))
            {
                skip.Add(line);
            }
        }

        var from = first <= resume.From.Line ? new InputPosition(first - 1, StartOfLine(first, resume.From)) : resume.From;
        string Named(bool gone) => string.Join("; ", lost.Where(journal => journal.Gone == gone && !_setAside.ContainsKey(journal.Journal)).Select(journal => $"'{Path.Combine(_spool, journal.Journal)}' ({Counted.Of(journal.Lines.Count, "line")}: {Runs(journal.Lines)})"));
        var what = new List<string>();
        if (lost.Any(journal => !journal.Gone))
        {
            what.Add($"A journal in {ShipCommand.SpoolDir.Name} holds fewer lines of {_shown} than an earlier run put in it (it was cut short since, or emptied: a full disk, a restore, a hand): {Named(gone: false)}.");
        }

        if (setAside is not null)
        {
            what.Add(setAside);
        }

        if (lost.Any(journal => journal.Gone && !_setAside.ContainsKey(journal.Journal)))
        {
            what.Add($"A journal an earlier run put lines of {_shown} in is gone from {ShipCommand.SpoolDir.Name}, and its batch with it: no sealed file of that batch is in '{Path.Combine(_spool, SpoolPaths.SealedFolder)}' (nor in quarantine), and no run recorded it delivered (the journal, or the batch's sealed file, was deleted since: a hand, a clean-up, a restore): {Named(gone: true)}.");
        }

        string note = $"{string.Join(' ', what)} Those lines are in no batch, so they are read again from {_shown} (from line {first}), passing over the lines between that the spool still holds: each line is delivered once.";
        return new InputResume(from, skip, resume.Note is null ? note : $"{note}\n{resume.Note}");
    }

    /// <summary>Line numbers as runs, <c>3-7, 9</c>: the first <see cref="RunsShown"/>, and how many more.</summary>
    private static string Runs(List<long> sorted)
    {
        var runs = new List<string>();
        for (int i = 0; i < sorted.Count;)
        {
            if (runs.Count == RunsShown)
            {
                runs.Add($"and {Counted.Of(sorted.Count - i, "line")} more up to {sorted[^1]}");
                break;
            }

            int run = 1;
            while (i + run < sorted.Count && sorted[i + run] == sorted[i] + run)
            {
                run++;
            }

            runs.Add(run == 1 ? $"{sorted[i]}" : $"{sorted[i]}-{sorted[i + run - 1]}");
            i += run;
        }

        return string.Join(", ", runs);
    }

    /// <summary>The offset where line <paramref name="line"/> starts, found from <paramref name="place"/> (past a later line) by counting newlines back.</summary>
    private long StartOfLine(long line, InputPosition place)
    {
        // The newline found first going back ends the place's line, unless that line has none (the file's last).
        long newlines = place.Line - line + (place.Offset > 0 && ByteAt(place.Offset - 1) == '\n' ? 2 : 1);
        byte[] chunk = new byte[TailBytes];
        long end = place.Offset;
        while (end > 0)
        {
            long from = Math.Max(0, end - chunk.Length);
            int read = RandomAccess.Read(_file, chunk.AsSpan(0, (int)(end - from)), from);
            for (int i = read - 1; i >= 0; i--)
            {
                if (chunk[i] == '\n' && --newlines == 0)
                {
                    return from + i + 1;
                }
            }

            end = from;
        }

        return 0;
    }

    /// <summary>What to do when this input's record is gone or damaged: send the rest from the line the earlier run stopped after, or read it all again on purpose.</summary>
    private string GoOnWithout() =>
        $"If you know the line the earlier run stopped after (one stopped by a signal or an error named it on its last line of stderr; with --progress, its last 'acknowledged N'), to send only the lines after it, run tail -n +N+1 '{(_shown.StartsWith(ShipCommand.Input.Name, StringComparison.Ordinal) ? _input : "FILE")}' | rawdata ship with this command's other options and {ShipCommand.Input.Name} - (the same {ShipCommand.SpoolDir.Name} delivers what it keeps); "
        + $"to read it all again anyway (if no earlier run over this spool read it, or to deliver its lines again on purpose), run the same command with {ShipCommand.FromStart.Name}.";

    /// <summary>Whether this input's record file is in the spool's <see cref="ListName"/>: a run started it once.</summary>
    private bool Listed()
    {
        try
        {
            string list = Path.Combine(_spool, ListName);
            return File.Exists(list) && File.ReadLines(list).Contains(Path.GetFileName(_path), StringComparer.Ordinal);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false; // unreadable: as before there was a list, read from line 1
        }
    }

    /// <summary>
    /// Takes over the record an earlier version named by the file and bucket alone (or, earlier still, as typed), when
    /// there is none by the whole destination: the run after an upgrade reads on where the last one stopped, as the same
    /// command always did.
    /// </summary>
    private void TakeOverOlderRecord()
    {
        foreach (string older in (string[])[_bucketOnly, _asTyped.Path])
        {
            if (File.Exists(_path) || !File.Exists(older))
            {
                continue;
            }

            try
            {
                File.Move(older, _path);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // Left where it is: the file is read from line 1, as before records were named this way.
            }
        }
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
        string since = takenSince > 0 ? $"; it also put {Counted.Of(takenSince, "line")} after it in the spool before it stopped without recording how far it read (kill -9, a crash, a full disk), and those are passed over" : string.Empty;
        return new InputResume(saved.Place, saved.Skip, $"{place} (they are delivered, or in the spool and delivered now){since}. Give {ShipCommand.FromStart.Name} to read the whole file again.");
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
}
