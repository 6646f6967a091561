using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using RawDataDestination.Spool;

namespace RawDataDestination.Cli;

/// <summary>
/// A round of the spool's journal as <c>ship</c> records it before the round is written (see <see cref="InputCheckpoint"/>):
/// the journal's path under the spool, where the round starts, its bytes and their digest, and the input line numbers of
/// its lines, in order. Its record is one JSON line: <c>{"journal":…,"start":…,"length":…,"sum":…,"lines":[[first,count],…]}</c>,
/// the line numbers as runs. And the rules that say, after a kill, which of those lines the spool holds
/// (<see cref="AddTakenPast"/>), and which journals changed since their rounds were written (<see cref="Changed"/>).
/// </summary>
/// <param name="Journal">The journal's path, relative to the spool's folder.</param>
/// <param name="Start">Where the round's first line starts in the journal.</param>
/// <param name="Length">The round's bytes.</param>
/// <param name="Sum">The digest of the round's bytes (<see cref="SumOf"/>); <see langword="null"/> in records of earlier versions, which wrote none.</param>
/// <param name="Lines">The input line number of each of its lines, in the order they are written.</param>
internal sealed record JournalRound(string Journal, long Start, long Length, string? Sum, IReadOnlyList<long> Lines)
{
    /// <summary>The digest a round's record carries of its bytes: the first 16 bytes of their SHA-256, in lowercase hex.</summary>
    public static string SumOf(ReadOnlySpan<byte> round)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(round, hash);
        return Convert.ToHexStringLower(hash[..16]);
    }

    /// <summary>Writes the record of a round, one JSON object without its newline, to <paramref name="writer"/> (reused round after round by the journals' flushers).</summary>
    public static void Write(Utf8JsonWriter writer, string journal, long start, long length, string? sum, ReadOnlySpan<long> lines)
    {
        writer.WriteStartObject();
        writer.WriteString("journal", journal);
        writer.WriteNumber("start", start);
        writer.WriteNumber("length", length);
        if (sum is not null)
        {
            writer.WriteString("sum", sum);
        }

        writer.WriteStartArray("lines");
        for (int i = 0; i < lines.Length;)
        {
            int run = 1;
            while (i + run < lines.Length && lines[i + run] == lines[i] + run)
            {
                run++;
            }

            writer.WriteStartArray();
            writer.WriteNumberValue(lines[i]);
            writer.WriteNumberValue(run);
            writer.WriteEndArray();
            i += run;
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
    }

    /// <summary>Reads a round's record; <see langword="null"/> when <paramref name="line"/> is another record, or not a whole one.</summary>
    public static JournalRound? TryRead(ReadOnlySpan<byte> line)
    {
        try
        {
            var reader = new Utf8JsonReader(line);
            using JsonDocument document = JsonDocument.ParseValue(ref reader);
            JsonElement root = document.RootElement;
            if (!root.TryGetProperty("journal", out JsonElement journal))
            {
                return null;
            }

            var lines = new List<long>();
            foreach (JsonElement run in root.GetProperty("lines").EnumerateArray())
            {
                long first = run[0].GetInt64();
                int count = run[1].GetInt32();
                for (int i = 0; i < count; i++)
                {
                    lines.Add(first + i);
                }
            }

            long start = root.GetProperty("start").GetInt64();
            long length = root.GetProperty("length").GetInt64();
            string relative = journal.GetString()!;
            string? sum = root.TryGetProperty("sum", out JsonElement recorded) ? recorded.GetString() : null;
            return start < 0 || length < 0 || Path.IsPathRooted(relative) ? null : new JournalRound(relative, start, length, sum, lines);
        }
        catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>
    /// Adds to <paramref name="takenPast"/> the lines past <paramref name="placeLine"/> that <paramref name="rounds"/>
    /// (in the order recorded) put in the spool under <paramref name="spoolRoot"/>: those its journal holds whole, or all of
    /// a round whose journal is gone while its batch is not (sealed, which waits for every round written, or delivered:
    /// <see cref="BatchKept"/>). A round written where an earlier one of the same journal was means that one was cut back
    /// off the journal (its write failed): it counts for nothing. A journal that can't be read, or that is gone with its
    /// batch, counts for nothing: its lines are read again (twice at worst, never lost). Must run before the buffer's
    /// recovery seals the journals a kill left. Returns how many lines it added.
    /// </summary>
    public static int AddTakenPast(string spoolRoot, IReadOnlyList<JournalRound> rounds, IReadOnlySet<string> delivered, long placeLine, ISet<long> takenPast)
    {
        int added = 0;
        foreach ((string journal, List<JournalRound> kept) in Kept(rounds))
        {
            foreach ((JournalRound round, int whole) in WholeLines(spoolRoot, journal, kept, delivered) ?? [.. kept.Select(round => (round, 0))])
            {
                for (int i = 0; i < whole; i++)
                {
                    if (round.Lines[i] > placeLine && takenPast.Add(round.Lines[i]))
                    {
                        added++;
                    }
                }
            }
        }

        return added;
    }

    /// <summary>
    /// The lines of <paramref name="rounds"/> (in the order recorded) that the spool under <paramref name="spoolRoot"/> no
    /// longer holds, by journal: a journal still there that was cut short after its rounds were written (a disk, a restore,
    /// a hand), or a journal gone whose batch is gone too (<see cref="BatchKept"/>: deleted, or its sealed file deleted,
    /// by a hand or a clean-up, before it was delivered; <c>Gone</c> says which), so those lines are in no journal and no
    /// batch. A journal gone whose batch is sealed or delivered holds all its rounds; one that can't be read, none that
    /// anyone can tell (it is left to the recovery); a round cut back off the journal, and a line some other round holds,
    /// are not lost. Whether a lost line had been acknowledged is the caller's to say: a round a kill cut short was not.
    /// </summary>
    public static IReadOnlyList<(string Journal, SortedSet<long> Lines, bool Gone)> NotHeld(string spoolRoot, IReadOnlyList<JournalRound> rounds, IReadOnlySet<string> delivered)
    {
        var held = new HashSet<long>();
        var notHeld = new List<(string Journal, SortedSet<long> Lines, bool Gone)>();
        foreach ((string journal, List<JournalRound> kept) in Kept(rounds))
        {
            if (WholeLines(spoolRoot, journal, kept, delivered) is not { } counted)
            {
                held.UnionWith(kept.SelectMany(round => round.Lines)); // unreadable: not told lost, nor read again
                continue;
            }

            var missing = new SortedSet<long>();
            foreach ((JournalRound round, int whole) in counted)
            {
                held.UnionWith(round.Lines.Take(whole));
                missing.UnionWith(round.Lines.Skip(whole));
            }

            if (missing.Count > 0)
            {
                notHeld.Add((journal, missing, Present(spoolRoot, journal) is null));
            }
        }

        foreach ((string _, SortedSet<long> lines, bool _) in notHeld)
        {
            lines.ExceptWith(held); // written again, whole, in another round
        }

        return [.. notHeld.Where(journal => journal.Lines.Count > 0)];
    }

    /// <summary>
    /// The rounds of <paramref name="rounds"/> (in the order recorded) as their journals under <paramref name="spoolRoot"/>
    /// hold them now, for a record file that carries them on: a round cut back off its journal dropped, a round whose
    /// journal holds none of its lines whole (a kill between its record and its write) dropped, a round whose journal
    /// holds only its first lines whole cut to those lines (their bytes and digest). The recovery then seals the journal
    /// as it is: carried as recorded, a lost line counted held once its journal was sealed, and a run killed before it read
    /// that line again left it lost for every later run. A journal that is gone, or can't be read, keeps its rounds.
    /// </summary>
    public static IReadOnlyList<JournalRound> AsHeld(string spoolRoot, IReadOnlyList<JournalRound> rounds)
    {
        var asHeld = new List<JournalRound>();
        foreach ((string journal, List<JournalRound> kept) in Kept(rounds))
        {
            if (Present(spoolRoot, journal) is not { } path || !File.Exists(path))
            {
                asHeld.AddRange(kept);
                continue;
            }

            try
            {
                using SafeFileHandle file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                long length = RandomAccess.GetLength(file);
                foreach (JournalRound round in kept)
                {
                    byte[] bytes = new byte[(int)Math.Clamp(Math.Min(round.Length, length - round.Start), 0, int.MaxValue)];
                    int read = ReadAt(file, bytes, round.Start);
                    int whole = 0;
                    int end = 0;
                    for (int at; whole < round.Lines.Count && end < read && (at = bytes.AsSpan(end, read - end).IndexOf((byte)'\n')) >= 0; whole++)
                    {
                        end += at + 1;
                    }

                    if (whole == round.Lines.Count)
                    {
                        asHeld.Add(round);
                    }
                    else if (whole > 0)
                    {
                        asHeld.Add(new JournalRound(round.Journal, round.Start, end, round.Sum is null ? null : SumOf(bytes.AsSpan(0, end)), [.. round.Lines.Take(whole)]));
                    }
                }
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                asHeld.AddRange(kept);
            }
        }

        return asHeld;
    }

    /// <summary>The rounds that count, by journal: a round written where an earlier one of the same journal was replaces it (that one was cut back off the journal).</summary>
    public static IEnumerable<(string Journal, List<JournalRound> Kept)> Kept(IReadOnlyList<JournalRound> rounds)
    {
        foreach (IGrouping<string, JournalRound> journal in rounds.GroupBy(round => round.Journal, StringComparer.Ordinal))
        {
            var kept = new List<JournalRound>();
            foreach (JournalRound round in journal)
            {
                kept.RemoveAll(earlier => earlier.Start + earlier.Length > round.Start);
                kept.Add(round);
            }

            yield return (journal.Key, kept);
        }
    }

    /// <summary>
    /// Whether the batch of <paramref name="journal"/> (a path under the spool: <c>journal/{source}/{day}/{batch id}.ndjson</c>),
    /// a journal that is gone, is still somewhere: recorded <paramref name="delivered"/> by rawdata, marked delivered by the
    /// spool, sealed (<c>sealed/{source}/{day}/{sealed at}.{batch id}.gz</c>), or quarantined (its warning names it). Neither
    /// means it was deleted (the journal, or its sealed file) before it was delivered: its lines are lost from the spool. A
    /// folder that can't be listed counts as keeping it (nothing is read again that may be delivered).
    /// </summary>
    public static bool BatchKept(string spoolRoot, string journal, IReadOnlySet<string> delivered)
    {
        string batchId = BatchIdOf(journal);
        if (delivered.Contains(batchId))
        {
            return true;
        }

        string partition = Path.GetRelativePath(SpoolPaths.JournalFolder, Path.GetDirectoryName(journal) ?? string.Empty);
        try
        {
            string sealedFolder = Path.Combine(spoolRoot, SpoolPaths.SealedFolder, partition);
            string quarantine = Path.Combine(spoolRoot, SpoolPaths.QuarantineFolder);
            return File.Exists(Path.Combine(spoolRoot, SpoolPaths.DeliveredFolder, partition, batchId + SpoolPaths.DeliveredExtension))
                || (Directory.Exists(sealedFolder) && Directory.EnumerateFiles(sealedFolder, $"*.{batchId}.gz").Any())
                || (Directory.Exists(quarantine) && Directory.EnumerateFileSystemEntries(quarantine, $"*{batchId}*").Any(entry => !SetAsideBatches.IsSetAside(entry) && !SpoolCopies.IsCopy(entry)));
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return true;
        }
    }

    /// <summary>The batch id of <paramref name="journal"/>: its file name read by the spool's rule (<see cref="SpoolPaths.JournalBatchId(string)"/>), <c>{batch id}.ndjson</c>.</summary>
    public static string BatchIdOf(string journal) => SpoolPaths.JournalBatchId(Path.GetFileName(journal)) ?? Path.GetFileNameWithoutExtension(journal);

    /// <summary>
    /// Where the journal recorded as <paramref name="journal"/> (a path under <paramref name="spoolRoot"/>) is now: there,
    /// or, renamed in its folder, under the name that carries its batch's seal time (the spool renames the journal of a
    /// batch sealed where it could not keep the sealed file, a full disk: <see cref="SpoolPaths.SealedJournalName"/>; the
    /// bytes are the same); <see langword="null"/> when it is under neither. A folder that can't be listed counts as the recorded place.
    /// </summary>
    public static string? Present(string spoolRoot, string journal)
    {
        string path = Path.Combine(spoolRoot, journal);
        if (File.Exists(path))
        {
            return path;
        }

        string batchId = BatchIdOf(journal);
        string folder = Path.GetDirectoryName(path) ?? spoolRoot;
        try
        {
            return Directory.Exists(folder)
                ? Directory.EnumerateFiles(folder, "*." + SpoolPaths.JournalName(batchId)).FirstOrDefault(renamed => SpoolPaths.JournalBatchId(Path.GetFileName(renamed)) == batchId)
                : null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return path;
        }
    }

    /// <summary>Whether the batch of <paramref name="journal"/> (a path under <paramref name="spoolRoot"/>) is still in the spool, to be delivered: its journal (under either name, <see cref="Present"/>), or its sealed file.</summary>
    public static bool InSpool(string spoolRoot, string journal)
    {
        if (Present(spoolRoot, journal) is not null)
        {
            return true;
        }

        try
        {
            string sealedFolder = Path.Combine(spoolRoot, SpoolPaths.SealedFolder, Path.GetRelativePath(SpoolPaths.JournalFolder, Path.GetDirectoryName(journal) ?? string.Empty));
            return Directory.Exists(sealedFolder) && Directory.EnumerateFiles(sealedFolder, $"*.{BatchIdOf(journal)}.gz").Any();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// Why the journal at <paramref name="path"/> no longer says which of the lines of <paramref name="rounds"/> (its kept
    /// rounds, in the order recorded) it holds, as a clause; <see langword="null"/> when it still does. Each round is
    /// written whole, one after the other, after its record: a kill can leave the last round cut short or not written at
    /// all, and nothing else. So the journal changed when a round it holds whole no longer hashes to the digest its record
    /// carries (a line deleted, repeated or changed, bytes put in: a hand, a disk); when it ends before a round that is
    /// not the last; or when it holds bytes past the last round (a line added). When it ends inside its last round, that
    /// round was cut short by a kill during its write, or its end was edited (a line deleted near the end, a line's text
    /// cleared): which of its lines it holds can't be told apart, so it does not say either. A journal that ends where its
    /// last round starts (a kill between the record and the write) says it. Rounds recorded by earlier versions carry no
    /// digest and are checked only by their ends. A file that can't be read says nothing here (the recovery speaks of it).
    /// </summary>
    public static string? Changed(string path, List<JournalRound> rounds)
    {
        try
        {
            if (SpoolEntry.Inspect(path) is not { IsTrustedFile: true } || rounds.Count == 0)
            {
                return null; // a link, a FIFO, another user's: never opened here, the recovery sets it aside
            }

            using SafeFileHandle file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            long length = RandomAccess.GetLength(file);
            JournalRound last = rounds[^1];
            if (length > last.Start + last.Length)
            {
                return $"it changed since it was written: it holds {length - (last.Start + last.Length)} bytes past the last round ship wrote into it (a line added, by a hand or a disk)";
            }

            foreach (JournalRound round in rounds)
            {
                if (round.Start + round.Length > length)
                {
                    return round == last
                        ? length == round.Start ? null : "its last round ends cut short (a kill during its write, or its end edited: a line deleted or cleared), so which of that round's lines it holds can't be told"
                        : "it changed since it was written: it ends before rounds ship wrote into it (cut short, or lines deleted, by a hand or a disk)";
                }

                if (round.Sum is null || round.Length > int.MaxValue)
                {
                    continue;
                }

                byte[] bytes = ArrayPool<byte>.Shared.Rent((int)round.Length);
                try
                {
                    int read = ReadAt(file, bytes.AsSpan(0, (int)round.Length), round.Start);
                    if (read < round.Length || SumOf(bytes.AsSpan(0, read)) != round.Sum)
                    {
                        return "it changed since it was written: its bytes are no longer those written (a line deleted, repeated or changed, by a hand or a disk)";
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(bytes);
                }
            }

            return null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// How many of each round's lines <paramref name="journal"/> (under <paramref name="spoolRoot"/>) holds whole: the
    /// newlines in the round's bytes; all of them when it is gone and its batch is kept, none when its batch is gone too
    /// (<see cref="BatchKept"/>); <see langword="null"/> when it can't be read.
    /// </summary>
    private static List<(JournalRound Round, int Whole)>? WholeLines(string spoolRoot, string journal, List<JournalRound> rounds, IReadOnlySet<string> delivered)
    {
        if (Present(spoolRoot, journal) is not { } path || !File.Exists(path))
        {
            bool kept = BatchKept(spoolRoot, journal, delivered);
            return [.. rounds.Select(round => (round, kept ? round.Lines.Count : 0))];
        }

        journal = path;

        try
        {
            using SafeFileHandle file = File.OpenHandle(journal, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            long length = RandomAccess.GetLength(file);
            var counted = new List<(JournalRound, int)>(rounds.Count);
            foreach (JournalRound round in rounds)
            {
                byte[] bytes = new byte[(int)Math.Clamp(Math.Min(round.Length, length - round.Start), 0, int.MaxValue)];
                int read = ReadAt(file, bytes, round.Start);

                counted.Add((round, Math.Min(round.Lines.Count, bytes.AsSpan(0, read).Count((byte)'\n'))));
            }

            return counted;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Reads into all of <paramref name="into"/> from <paramref name="offset"/> of <paramref name="file"/>, or up to its end; returns the bytes read.</summary>
    private static int ReadAt(SafeFileHandle file, Span<byte> into, long offset)
    {
        int read = 0;
        while (read < into.Length && RandomAccess.Read(file, into[read..], offset + read) is > 0 and int count)
        {
            read += count;
        }

        return read;
    }
}
