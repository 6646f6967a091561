using RawDataDestination.Batching;
using RawDataDestination.Internal;
using RawDataDestination.Spool;

namespace RawDataDestination.Cli;

/// <summary>
/// The rule for a batch of this input's rounds that the spool no longer holds as it was written, so that it no longer says
/// which input lines it holds: a journal changed since <c>ship</c> wrote its rounds (<see cref="JournalRound.Changed"/>:
/// a line deleted, repeated or changed, by a hand or a disk), or a sealed file whose bytes no longer hash to the SHA-256
/// recorded at its seal (a bit flipped, cut short, emptied, overwritten). Delivered as it is, a journal could lose lines
/// without a word and deliver others twice; a damaged sealed file is quarantined by the buffer's recovery, and its lines
/// were in no batch and never read again. So, once the spool is held and before it lists what earlier runs left, each is
/// set aside in the spool's quarantine under a name of its own (<see cref="Prefix"/>), where nothing delivers it and
/// <see cref="JournalRound.BatchKept"/> passes over it: its batch counts as gone, and every line its rounds put in it is
/// read again from the input, once.
/// </summary>
internal static class SetAsideBatches
{
    /// <summary>How the name of a file set aside here starts, in the spool's quarantine folder.</summary>
    public const string Prefix = "read-again-";

    /// <summary>Whether the quarantine entry at <paramref name="path"/> is one this rule set aside (its lines are read again: it holds no batch to deliver).</summary>
    public static bool IsSetAside(string path) => Path.GetFileName(path).StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>
    /// Sets aside each batch of <paramref name="rounds"/> (under <paramref name="spoolRoot"/>) that changed since it was
    /// written, unless it is kept otherwise (recorded delivered; for a journal, also sealed: it is then a leftover the
    /// recovery deletes). Returns each, by its journal's recorded path; a file that can't be moved is left to the recovery,
    /// as before this rule.
    /// </summary>
    public static IReadOnlyDictionary<string, SetAsideBatch> Apply(string spoolRoot, IReadOnlyList<JournalRound> rounds, IReadOnlySet<string> delivered, DateTimeOffset now)
    {
        var setAside = new Dictionary<string, SetAsideBatch>(StringComparer.Ordinal);
        foreach ((string journal, List<JournalRound> kept) in JournalRound.Kept(rounds))
        {
            if (delivered.Contains(JournalRound.BatchIdOf(journal)))
            {
                continue;
            }

            if (JournalRound.Present(spoolRoot, journal) is { } path && File.Exists(path))
            {
                if (JournalRound.Changed(path, kept) is { } why && !JournalRound.BatchKept(spoolRoot, journal, delivered)
                    && MoveToQuarantine(spoolRoot, path, Prefix, now) is { } target)
                {
                    setAside[journal] = new SetAsideBatch(path, target, $"{why}, so it no longer says which of them it holds, and delivered as it is it could lose lines or deliver them twice");
                }
            }
            else if (SealedFile(spoolRoot, journal) is { } sealedFile && WhyNotItsBatch(sealedFile, kept) is { } why
                && MoveToQuarantine(spoolRoot, sealedFile, Prefix, now) is { } target)
            {
                MoveToQuarantine(spoolRoot, sealedFile + SpoolPaths.ChecksumExtension, Prefix, now);
                setAside[journal] = new SetAsideBatch(sealedFile, target, why);
            }
        }

        return setAside;
    }

    /// <summary>The sealed file of the batch of <paramref name="journal"/> (<c>sealed/{source}/{day}/{sealed at}.{batch id}.gz</c>), if there is one.</summary>
    private static string? SealedFile(string spoolRoot, string journal)
    {
        string folder = Path.Combine(spoolRoot, SpoolPaths.SealedFolder, Path.GetRelativePath(SpoolPaths.JournalFolder, Path.GetDirectoryName(journal) ?? string.Empty));
        try
        {
            return Directory.Exists(folder) ? Directory.EnumerateFiles(folder, $"*.{JournalRound.BatchIdOf(journal)}.gz").FirstOrDefault() : null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Why the sealed file at <paramref name="path"/> is not the batch <paramref name="kept"/> wrote, or <see langword="null"/>.
    /// With a SHA-256 recorded at its seal (the recovery's rule, <see cref="SpoolRecovery.IsSha256"/>): its bytes no longer
    /// hash to it. With none (its checksum file gone, as a restore that skipped them leaves it), the file is judged by
    /// itself, in one pass: not a gzip file that decompresses whole, ending in a newline, to at least the lines its rounds
    /// wrote, it is damaged (QA-M M5: the recovery quarantined it and its lines were never read again); holding more, it is
    /// another batch's file in its place, whose events would be delivered twice, under this one's key, while this one's
    /// were lost (QA-J J7). A link, a FIFO, another user's file, or one that can't be read is left to the recovery.
    /// </summary>
    private static string? WhyNotItsBatch(string path, List<JournalRound> kept)
    {
        long written = kept.Sum(round => (long)round.Lines.Count);
        try
        {
            if (SpoolEntry.Inspect(path) is not { IsTrustedFile: true })
            {
                return null; // the recovery says what it is
            }

            string checksumFile = path + SpoolPaths.ChecksumExtension;
            if (SpoolEntry.Inspect(checksumFile) is { IsTrustedFile: true, Length: <= BatchSpool.MaxChecksumFileBytes }
                && BatchSpool.ReadChecksumFile(checksumFile)[0].Trim() is { } recorded && SpoolRecovery.IsSha256(recorded))
            {
                using FileStream file = new(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
                return BatchManifest.ChecksumOf(file) != recorded
                    ? "its sealed file changed on disk since it was sealed (its bytes no longer hash to the SHA-256 recorded then: a bit flipped, cut short, emptied or written over), so it can't be delivered as it is"
                    : null;
            }

            (long lines, bool whole) = GzipLines(path);
            return !whole || lines < written
                ? $"its sealed file is damaged (not a whole gzip file holding the {written} lines its rounds wrote: cut short, emptied or written over), and its SHA-256 recorded at its seal is gone, so it can't be delivered as it is"
                : lines > written
                    ? $"its sealed file has no SHA-256 recorded (its checksum file is gone) and holds {Counted.Of(lines, "line")} where {written} {Counted.Either(written, "was", "were")} written into this batch: it is another batch's file in its place (a restore of the wrong file), so it can't be delivered as it is"
                    : null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The newlines the gzip file at <paramref name="path"/> decompresses to, and whether it decompresses without an error to some, its last byte a newline.</summary>
    private static (long Lines, bool Whole) GzipLines(string path)
    {
        try
        {
            using FileStream file = new(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            using var gzip = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionMode.Decompress);
            byte[] buffer = new byte[1 << 16];
            long newlines = 0;
            byte last = 0;
            for (int read; (read = gzip.Read(buffer)) > 0;)
            {
                newlines += buffer.AsSpan(0, read).Count((byte)'\n');
                last = buffer[read - 1];
            }

            return (newlines, newlines > 0 && last == (byte)'\n');
        }
        catch (InvalidDataException)
        {
            return (0, false);
        }
    }

    /// <summary>
    /// Moves <paramref name="path"/> into the quarantine folder under a name that starts with <paramref name="prefix"/>
    /// (<see cref="Prefix"/>, <see cref="SpoolCopies.Prefix"/>) and syncs both folders, as the spool's own quarantine
    /// does, so a power cut cannot bring it back to be delivered; returns where, or <see langword="null"/> when it can't.
    /// </summary>
    public static string? MoveToQuarantine(string spoolRoot, string path, string prefix, DateTimeOffset now)
    {
        string target = Path.Combine(spoolRoot, SpoolPaths.QuarantineFolder, SpoolPaths.QuarantineName(Path.GetRelativePath(spoolRoot, path), $"{prefix}{now:yyyyMMdd'T'HHmmss'Z'}-"));
        try
        {
            PrivateFiles.CreateFolder(Path.GetDirectoryName(target)!);
            File.Move(path, target);
            PrivateFiles.SyncFolder(Path.GetDirectoryName(target)!);
            PrivateFiles.SyncFolder(Path.GetDirectoryName(path)!);
            return target;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

/// <summary>A batch <see cref="SetAsideBatches"/> set aside: where its file was, where it went, and why.</summary>
/// <param name="Was">The journal or sealed file, where it was in the spool.</param>
/// <param name="Target">Where it went, in the spool's quarantine folder.</param>
/// <param name="Why">What changed, as a clause.</param>
internal sealed record SetAsideBatch(string Was, string Target, string Why);
