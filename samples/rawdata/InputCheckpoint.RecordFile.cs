using System.Buffers;
using System.Text.Json;
using RawDataDestination.Batching;
using RawDataDestination.Spool;

namespace RawDataDestination.Cli;

/// <summary>
/// Writing <see cref="InputCheckpoint"/>'s record file: place records from the reading loop and round records from the
/// journals' flushers, under one lock, each at the file's end as this run wrote it; a failed round's record cut out again;
/// the file started afresh (a new file renamed over the old) at the run's start and past <see cref="CompactBytes"/>; and
/// the other record files of the spool settled before the recovery seals their journals.
/// </summary>
internal sealed partial class InputCheckpoint
{
    /// <summary>
    /// Records <paramref name="settled"/>: the run's first record starts the file afresh (a rename), the others are
    /// appended (one write), and one that would take the file past <see cref="CompactBytes"/> (or twice what it kept the
    /// last time) starts it afresh again with the round records that have a line past its place or a batch not yet
    /// delivered (see <see cref="JournalRound.NotHeld"/>). A failure is told once on <paramref name="lines"/> and does not
    /// stop the run: the events are safe in the spool, and only a later resume may start from an older place.
    /// </summary>
    public void Save(SettledInput settled, StderrLines lines)
    {
        try
        {
            byte[] record = Record(settled);
            lock (_writeLock)
            {
                if (_records is null || _recordsLength + record.Length > _compactAt)
                {
                    // Rounds whose lines are all at or before the place no longer count as taken past it, but until their
                    // batch is delivered they say which lines its journal, then its sealed file, must hold: a journal cut
                    // short since, or a journal or sealed file deleted, has lost them.
                    _recent = new Queue<RecentRound>(_recent.Where(round => round.LastLine > settled.Position.Line || !_delivered.Contains(JournalRound.BatchIdOf(round.JournalPath))));
                    StartAfresh(record);
                    _compactAt = Math.Max(CompactBytes, 2 * _recordsLength); // rounds kept in plenty would start it afresh every time
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
        lock (_writeLock)
        {
            _recent = new Queue<RecentRound>(_carried.Select(round => new RecentRound(Path.Combine(_spoolRoot, round.Journal), round.Start, round.Lines.Count == 0 ? 0 : round.Lines.Max(), RoundRecord(round), 0)));
        }

        Save(new SettledInput(resume.From, resume.Skip), lines);
        if (_records is null && File.Exists(_path))
        {
            File.Delete(_path); // a later run then reads the file from line 1: lines may come twice, none is lost
        }

        if (_records is not null)
        {
            List(lines);
        }
    }

    /// <summary>
    /// Adds this input's record file to the spool's <see cref="ListName"/> (once): a later run that finds the record gone
    /// then refuses to read the file from line 1 (which would send every line an earlier run read again) and says why. A
    /// failure is told and passed over: that run reads from line 1 then, as before the list.
    /// </summary>
    private void List(StderrLines lines)
    {
        string list = Path.Combine(_spool, ListName);
        string name = Path.GetFileName(_path);
        try
        {
            if (!File.Exists(list) || !File.ReadLines(list).Contains(name, StringComparer.Ordinal))
            {
                using FileStream stream = PrivateFiles.Open(list, FileMode.Append, FileAccess.Write, FileShare.Read);
                stream.Write(System.Text.Encoding.UTF8.GetBytes(name + "\n"));
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            lines.WriteLine($"Could not list '{_path}' in '{list}' ({exception.Message}): should the record be deleted, a later run reads {_shown} from line 1 without a word, and lines come twice.");
        }
    }

    /// <summary>
    /// The files an earlier run over <paramref name="spool"/> read part of for <paramref name="bucket"/> and that were not
    /// read to their end (killed, stopped, or grown since): each file, the source id it was read for, and the line its
    /// last place record says it was read to. A record that can't be read, of standard input, or of a file that is gone,
    /// is none.
    /// </summary>
    public static IReadOnlyList<(string Input, string SourceId, long Line)> Unfinished(string spool, string bucket)
    {
        var unfinished = new List<(string Input, string SourceId, long Line)>();
        string folder = Path.Combine(spool, FolderName);
        try
        {
            string parsed = InputIdentity.Bucket(bucket);
            foreach (string path in Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "*.ndjson") : [])
            {
                try
                {
                    if (Read(File.ReadAllBytes(path)).Last is { } saved && (saved.Bucket == parsed || saved.Bucket == bucket)
                        && saved.Input != "-" && File.Exists(saved.Input) && (saved.Place.Line > 0 || saved.Skip.Count > 0)
                        && new FileInfo(saved.Input).Length > saved.Place.Offset)
                    {
                        unfinished.Add((saved.Input, saved.SourceId, saved.Place.Line));
                    }
                }
                catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
                {
                    // none
                }
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // none listed
        }

        return unfinished;
    }

    /// <summary>
    /// The warning for a run that reads a pipe for <paramref name="sourceId"/> over <paramref name="spool"/> while an
    /// earlier run's record says it read part of a file for that source and bucket and did not read it to its end (or the
    /// file grew since): the pipe may carry that file (<c>cat FILE | rawdata ship</c> after a <c>kill -9</c>), and read
    /// from line 1 every line the earlier run read would be delivered twice. Said before anything is read; not a
    /// refusal, as an empty standard input (<c>&lt; /dev/null</c>, a script delivering what the spool holds) or a pipe of
    /// other events is the common case. <see langword="null"/> when there is no such record, or with <c>--from-start</c>.
    /// </summary>
    public static string? PipeOverUnfinished(string spool, string sourceId, string bucket)
    {
        if (Unfinished(spool, bucket).Where(record => record.SourceId == sourceId).OrderByDescending(record => record.Line).FirstOrDefault() is not ({ } input, _, long line))
        {
            return null;
        }

        return $"Note: an earlier run over {ShipCommand.SpoolDir.Name} '{spool}' read {ShipCommand.Input.Name} '{input}' for {ShipCommand.SourceId.Name} '{sourceId}' up to line {line} and did not read it to its end (stopped, killed, or the file grew since), "
            + $"and this run reads standard input: if it carries that file, every line the earlier run read is delivered twice. To go on with that file, stop this run (Ctrl+C) and run the command with {ShipCommand.Input.Name} '{input}' instead: "
            + $"it reads on after what was read, each line once. If standard input carries other events, nothing is to be done ({ShipCommand.FromStart.Name} says so and silences this note).";
    }

    /// <summary>
    /// The journals (relative to <paramref name="spool"/>, as round records name them) that the round records of any record
    /// file in <paramref name="spool"/> name: those <c>ship</c> wrote (<see cref="SpoolCopies"/> keeps them over their copies).
    /// A file that can't be read names none.
    /// </summary>
    public static HashSet<string> RecordedJournals(string spool)
    {
        var journals = new HashSet<string>(StringComparer.Ordinal);
        string folder = Path.Combine(spool, FolderName);
        try
        {
            foreach (string path in Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "*.ndjson") : [])
            {
                try
                {
                    journals.UnionWith(Read(File.ReadAllBytes(path)).Rounds.Select(round => round.Journal));
                }
                catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
                {
                    // names none
                }
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // none listed
        }

        return journals;
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
                (Saved? saved, IReadOnlyList<JournalRound> rounds, HashSet<string> delivered, _) = Read(File.ReadAllBytes(path));
                if (rounds.Count == 0)
                {
                    continue;
                }

                if (saved is null)
                {
                    File.Delete(path);
                    continue;
                }

                JournalRound.AddTakenPast(spoolRoot, rounds, delivered, saved.Place.Line, saved.Skip);
                ReplaceWith(path, stream => stream.Write(Record(saved)));
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                File.Delete(path);
            }
        }
    }

    /// <summary>
    /// Records a round of the spool's journal before it is written: the lines whose marks it carries are the input's lines
    /// of those numbers. Once the record file is closed it refuses the round (<see cref="ObjectDisposedException"/>), so
    /// the journal does not write it and its appends are interrupted: a round written with no record would be read again,
    /// and sent twice, by the next run (a second signal ends a run while appends are still in flight). For the same
    /// reason a record that can't be written (a full disk) refuses the round with the error: its appends fail, and ship
    /// stops as for any failed write to the spool.
    /// </summary>
    public void Writing(string journalPath, long start, ReadOnlySpan<byte> bytes, ReadOnlySpan<long> marks)
    {
        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            if (_records is null)
            {
                return; // no record file: nothing of this run counts as taken past the place it starts from
            }

            if (!_journalNames.TryGetValue(journalPath, out string? journal))
            {
                journal = Path.GetRelativePath(_spoolRoot, journalPath);
                _journalNames[journalPath] = journal;
            }

            _round.ResetWrittenCount();
            _roundWriter ??= new Utf8JsonWriter(_round);
            _roundWriter.Reset(_round);
            JournalRound.Write(_roundWriter, journal, start, bytes.Length, JournalRound.SumOf(bytes), marks);
            byte[] round = Line(_round.WrittenSpan);
            string batchId = JournalRound.BatchIdOf(journal);
            bool first = !_pendingAt.ContainsKey(batchId) && !_delivered.Contains(batchId);
            long at = _recordsLength;
            try
            {
                // The first round of a batch comes with the room for its delivered record, in the same write: written over
                // in place at its delivery, it needs no more room then (a full disk would lose it, and a later run take
                // the batch, its files gone, for one deleted, and read its lines again).
                Append(first ? [.. round, .. PendingRecord(batchId)] : round);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                CutBack(at); // a record written in part is no record: the next one goes where it started
                throw;
            }

            if (first)
            {
                _pendingAt[batchId] = at + round.Length;
            }

            long lastLine = 0;
            foreach (long mark in marks)
            {
                lastLine = Math.Max(lastLine, mark);
            }

            _recent.Enqueue(new RecentRound(journalPath, start, lastLine, round, at));
        }
    }

    /// <summary>
    /// Records that the buffer delivered the batch of <paramref name="receipt"/> (told before it deletes the batch's journal
    /// and sealed file), when a round of this record file is of that batch: a later run then knows that a journal and a
    /// sealed file both gone were delivered, not deleted. A failure to write it is passed over: a later run then reads
    /// those lines again, and says so (twice at worst, never lost).
    /// </summary>
    public void Delivered(BatchReceipt receipt)
    {
        string name = receipt.Location[(receipt.Location.LastIndexOf('/') + 1)..];
        if (BatchNaming.TryParseFileName(name, out _, out string batchId) is not null)
        {
            return;
        }

        lock (_writeLock)
        {
            if (!_delivered.Add(batchId) || _closed || _records is null)
            {
                return;
            }

            try
            {
                if (_pendingAt.Remove(batchId, out long pending))
                {
                    RandomAccess.Write(_records.SafeFileHandle, DeliveredRecord(batchId), pending); // over its room: the same length
                }
                else if (_recent.Any(round => JournalRound.BatchIdOf(round.JournalPath) == batchId))
                {
                    long at = _recordsLength;
                    try
                    {
                        Append(DeliveredRecord(batchId));
                    }
                    catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
                    {
                        CutBack(at);
                    }
                }
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // A later run reads its lines again: twice, never lost.
            }
        }
    }

    /// <summary>A round's write failed: its record is taken out of the file again (with any record after it: those only ever let a resumed run pass over lines).</summary>
    public void Failed(string journalPath, long start)
    {
        lock (_writeLock)
        {
            // A failed round's lines were not taken, so the place is before them and its record is still among the recent ones.
            RecentRound? last = _recent.LastOrDefault(round => round.JournalPath == journalPath);
            _recent = new Queue<RecentRound>(_recent.Where(round => !(round.JournalPath == journalPath && round.Start == start)));
            if (last is { } round && round.Start == start && round.At < _recordsLength)
            {
                CutBack(round.At);
            }
        }
    }

    /// <summary>Cuts the record file back to <paramref name="at"/> (under the write lock), if it can.</summary>
    private void CutBack(long at)
    {
        if (_records is null)
        {
            return;
        }

        try
        {
            _records.SetLength(at);
            _recordsLength = at;
            foreach (string batchId in _pendingAt.Where(pending => pending.Value >= at).Select(pending => pending.Key).ToList())
            {
                _pendingAt.Remove(batchId); // its room was cut off with the records after it
            }
        }
#pragma warning disable CA1031 // Cut back or not, a later round written at this place tells a resumed run that this one does not count.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    /// <summary>Closes the record file (the input is the stream's to close).</summary>
    public void Dispose()
    {
        lock (_writeLock)
        {
            _closed = true;
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
        var moved = new Queue<RecentRound>(_recent.Count);
        var pendingAt = new Dictionary<string, long>(StringComparer.Ordinal);
        long length = place.Length;
        ReplaceWith(_path, stream =>
        {
            stream.Write(place);
            foreach (RecentRound round in _recent)
            {
                moved.Enqueue(round with { At = length });
                stream.Write(round.Record);
                length += round.Record.Length;
            }

            // The delivered record of each batch of the rounds kept, or the room for it: without it, a later run would take
            // a batch delivered since, its journal and sealed file both gone, for one deleted.
            pendingAt.Clear();
            foreach (string batchId in _recent.Select(round => JournalRound.BatchIdOf(round.JournalPath)).Distinct(StringComparer.Ordinal))
            {
                bool delivered = _delivered.Contains(batchId);
                byte[] record = delivered ? DeliveredRecord(batchId) : PendingRecord(batchId);
                if (!delivered)
                {
                    pendingAt[batchId] = length;
                }

                stream.Write(record);
                length += record.Length;
            }
        });
        _records?.Dispose();
        _records = PrivateFiles.Open(_path, FileMode.Open, FileAccess.Write, FileShare.Read, bufferSize: 0);
        _recordsLength = length;
        _recent = moved;
        _pendingAt.Clear();
        foreach ((string batchId, long at) in pendingAt)
        {
            _pendingAt[batchId] = at;
        }
    }

    /// <summary>Replaces the file at <paramref name="path"/> with what <paramref name="write"/> writes: a new file renamed over it, so a kill at any moment leaves one whole file.</summary>
    private static void ReplaceWith(string path, Action<FileStream> write)
    {
        string temp = path + ".tmp";
        using (FileStream stream = PrivateFiles.Open(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            write(stream);
        }

        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Appends a record at the end of the record file as this run wrote it (under the write lock).</summary>
    private void Append(ReadOnlySpan<byte> record)
    {
        RandomAccess.Write(_records!.SafeFileHandle, record, _recordsLength);
        _recordsLength += record.Length;
    }

    /// <summary>A round's record as <see cref="Writing"/> wrote it, with its newline.</summary>
    private static byte[] RoundRecord(JournalRound round)
    {
        var json = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(json))
        {
            JournalRound.Write(writer, round.Journal, round.Start, round.Length, round.Sum, [.. round.Lines]);
        }

        return Line(json.WrittenSpan);
    }

    /// <summary>A round recorded in this run: its journal, where it starts, its last line's number, its record, and where that record is in the file.</summary>
    private sealed record RecentRound(string JournalPath, long Start, long LastLine, byte[] Record, long At);
}
