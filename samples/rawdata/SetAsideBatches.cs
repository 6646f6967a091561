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
                    && Move(spoolRoot, path, now) is { } target)
                {
                    setAside[journal] = new SetAsideBatch(path, target, $"{why}, so it no longer says which of them it holds, and delivered as it is it could lose lines or deliver them twice");
                }
            }
            else if (SealedFile(spoolRoot, journal) is { } sealedFile && WhyNotItsBatch(sealedFile, kept) is { } why
                && Move(spoolRoot, sealedFile, now) is { } target)
            {
                Move(spoolRoot, sealedFile + SpoolPaths.ChecksumExtension, now);
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
    /// Why the sealed file at <paramref name="path"/> is not the batch <paramref name="kept"/> wrote, or <see langword="null"/>:
    /// its bytes no longer hash to the SHA-256 recorded at its seal; or, with no SHA-256 recorded (its checksum file gone,
    /// as a restore that skipped them leaves it), it is whole gzip but holds another number of lines than the rounds put
    /// in the batch: another batch's file in its place, whose events would be delivered twice, and under this one's key,
    /// while this one's were lost (QA-J J7).
    /// </summary>
    private static string? WhyNotItsBatch(string path, List<JournalRound> kept)
    {
        if (ChangedSinceSeal(path))
        {
            return "its sealed file changed on disk since it was sealed (its bytes no longer hash to the SHA-256 recorded then: a bit flipped, cut short, emptied or written over), so it can't be delivered as it is";
        }

        long written = kept.Sum(round => (long)round.Lines.Count);
        return !HasChecksum(path) && LinesIn(path) is { } lines && lines != written
            ? $"its sealed file has no SHA-256 recorded (its checksum file is gone) and holds {Counted.Of(lines, "line")} where {written} {Counted.Either(written, "was", "were")} written into this batch: it is another batch's file in its place (a restore of the wrong file), so it can't be delivered as it is"
            : null;
    }

    /// <summary>Whether a checksum file of the recovery's form stands beside the sealed file at <paramref name="path"/> (whether it matches is <see cref="ChangedSinceSeal"/>'s question).</summary>
    private static bool HasChecksum(string path)
    {
        try
        {
            string checksumFile = path + SpoolPaths.ChecksumExtension;
            return SpoolEntry.Inspect(checksumFile) is { IsTrustedFile: true, Length: <= BatchSpool.MaxChecksumFileBytes }
                && SpoolRecovery.IsSha256(BatchSpool.ReadChecksumFile(checksumFile)[0].Trim());
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return true; // what can't be read is left to the recovery, as before
        }
    }

    /// <summary>The lines of the gzip file at <paramref name="path"/>, or <see langword="null"/> when it is not a regular file of whole gzip (the recovery says what it is).</summary>
    private static long? LinesIn(string path)
    {
        try
        {
            if (SpoolEntry.Inspect(path) is not { IsTrustedFile: true })
            {
                return null;
            }

            using FileStream file = new(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            using var gzip = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionMode.Decompress);
            byte[] buffer = new byte[81920];
            long lines = 0;
            for (int read; (read = gzip.Read(buffer)) > 0;)
            {
                lines += buffer.AsSpan(0, read).Count((byte)'\n');
            }

            return lines;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether the sealed file at <paramref name="path"/> no longer hashes to the SHA-256 in the first line of its checksum
    /// file (the recovery's rule, <see cref="SpoolRecovery.IsSha256"/>); with no checksum file, or none of that form, the
    /// recovery reads the file whole and is left to judge it. A file that can't be read is left to the recovery too.
    /// </summary>
    private static bool ChangedSinceSeal(string path)
    {
        try
        {
            string checksumFile = path + SpoolPaths.ChecksumExtension;
            if (SpoolEntry.Inspect(path) is not { IsTrustedFile: true } || SpoolEntry.Inspect(checksumFile) is not { IsTrustedFile: true, Length: <= BatchSpool.MaxChecksumFileBytes })
            {
                return false; // a link, a FIFO, another user's, or no checksum file: the recovery says what it is
            }

            string recorded = BatchSpool.ReadChecksumFile(checksumFile)[0].Trim();
            if (!SpoolRecovery.IsSha256(recorded))
            {
                return false;
            }

            using FileStream file = new(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            return BatchManifest.ChecksumOf(file) != recorded;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Moves <paramref name="path"/> into the quarantine folder under a name that starts with <see cref="Prefix"/>; returns where, or <see langword="null"/> when it can't.</summary>
    private static string? Move(string spoolRoot, string path, DateTimeOffset now)
    {
        string target = Path.Combine(spoolRoot, SpoolPaths.QuarantineFolder, SpoolPaths.QuarantineName(Path.GetRelativePath(spoolRoot, path), $"{Prefix}{now:yyyyMMdd'T'HHmmss'Z'}-"));
        try
        {
            PrivateFiles.CreateFolder(Path.GetDirectoryName(target)!);
            File.Move(path, target);
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
