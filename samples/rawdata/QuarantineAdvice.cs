using RawDataDestination.Batching;
using RawDataDestination.Spool;

namespace RawDataDestination.Cli;

/// <summary>
/// What to do with a batch the spool quarantined (a journal with a damaged line, a sealed file that changed on disk):
/// the command that ships its sound lines again, as the user can type it, and what damage can pass for an event: a sealed
/// file is tested with <c>gunzip -t</c> first, since <c>gunzip -c</c> writes what it decompresses past damage before its
/// error, which a pipe hides (three <c>{}</c> events were delivered that way), and a journal's line damaged inside a value
/// still reads as an event. Its lines hold no source id (the spool keeps
/// it in the folder name, encoded: <c>journal/~s~r~c~x/{day}/...</c> for <c>SRCX</c>), so the command names it; each line
/// keeps its <c>receivedAt</c>, so its day needs no option. Added to the buffer's quarantine warning by <see cref="StderrLog"/>.
/// </summary>
internal static class QuarantineAdvice
{
    /// <summary>
    /// The advice for the spool file at <paramref name="spoolPath"/> moved to <paramref name="quarantinePath"/>, starting
    /// with a space; <see langword="null"/> for what is no batch of a source (a folder, a stray file outside <c>sealed/</c>).
    /// A file under <c>sealed/</c> whose bytes equal a sealed batch's the spool holds is named that batch's copy, not to be
    /// shipped; one whose name is not one the spool gives a sealed batch (<c>{sealed-at}.{batch-id}.gz</c>) is no batch
    /// the spool wrote (a stray file or a copy, such as <c>x.gz.bak</c>): "ship it once <c>gunzip -t</c> passes" delivered
    /// a copied batch twice. <c>HeldABatch</c> says whether it held a batch's events: a journal, or a sealed batch under
    /// its own name that is no copy of one the spool holds; a folder, a stray file and a copy hold none (a copy's events
    /// are delivered under its batch's own name).
    /// </summary>
    public static (string? Advice, bool HeldABatch) For(string spoolPath, string quarantinePath)
    {
        string? day = Path.GetDirectoryName(spoolPath);
        string? source = Path.GetDirectoryName(day);
        string? area = Path.GetFileName(Path.GetDirectoryName(source));
        bool journal = spoolPath.EndsWith(SpoolPaths.JournalExtension, StringComparison.Ordinal);
        bool inSealed = area == SpoolPaths.SealedFolder;
        bool batchName = BatchNaming.TryParseFileName(Path.GetFileName(spoolPath), out _, out _) is null;
        if (source is null || !(journal && area == SpoolPaths.JournalFolder || inSealed) || Directory.Exists(quarantinePath)
            || SpoolPaths.DecodeSourceId(Path.GetFileName(source)) is not { } sourceId)
        {
            return (null, false);
        }

        string file = Quoted(quarantinePath);
        if (inSealed && SameBytesAs(quarantinePath, Path.GetDirectoryName(Path.GetDirectoryName(source))!) is { } original)
        {
            // A copy of a batch the spool holds under its own name (and delivers): shipping it would send those events twice.
            return ($" It is a copy of the sealed batch {Quoted(original)} (the same bytes, by SHA-256), which the spool holds and delivers under its own name: "
                + $"do not ship it, or its events are delivered twice; delete {file}.", false);
        }

        if (inSealed && !batchName)
        {
            // The spool names every sealed batch {sealed-at}.{batch-id}.gz: a file named otherwise was not written by it.
            return ($" Its name is not one the spool gives a sealed batch ({{sealed-at unix ms}}.{{batch id}}.gz), so the spool did not write it: it is a stray file or a copy of a batch (such as a backup), "
                + "whose events the spool holds or delivered under the batch's own name. Do not ship it unless you know its events were not delivered (check them against the bucket or their source); otherwise delete it.", false);
        }

        if (!journal && !batchName)
        {
            return (null, false);
        }

        string ship = $"rawdata ship {ShipCommand.SourceId.Name} {Quoted(sourceId)} with this run's other options but {ShipCommand.Input.Name} (each line keeps its receivedAt, so its day)";
        return (journal
            ? $" Its lines are of source id '{sourceId}': to ship those that are sound, run cat {file} | {ship}, then delete the file. "
                + "A line the damage left no JSON object is rejected, by its number; one damaged inside a value still reads as an event and is delivered as it is: where the events have a source, check the lines against it first."
            : $" Its lines are of source id '{sourceId}'. Test the file first: gunzip -t {file}. If that passes, its lines are as they were sealed: run gunzip -c {file} | {ship}, then delete the file. "
                + "If it fails, the file is damaged, and gunzip -c writes what it decompresses past the damage before it reports the error, which a pipe into rawdata hides: that may read as events ({} or values changed) and be delivered. "
                + "Ship those events again from their source instead, or only the lines you have checked against it.", true);
    }

    /// <summary>
    /// The sealed batch under <c>{spoolRoot}/sealed/</c> whose bytes equal those of the file at <paramref name="path"/>
    /// (compared by SHA-256, only for files of the same length), or <see langword="null"/>: none, or it could not be read.
    /// </summary>
    private static string? SameBytesAs(string path, string spoolRoot)
    {
        try
        {
            var quarantined = new FileInfo(path);
            string sealedFolder = Path.Combine(spoolRoot, SpoolPaths.SealedFolder);
            // A FIFO or a device reads as 0 bytes and is never opened; a batch file is never empty.
            if (!quarantined.Exists || quarantined.LinkTarget is not null || quarantined.Length == 0 || !Directory.Exists(sealedFolder))
            {
                return null;
            }

            byte[]? hash = null;
            var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true };
            foreach (FileInfo candidate in new DirectoryInfo(sealedFolder).EnumerateFiles("*.gz", options))
            {
                if (candidate.Length != quarantined.Length || BatchNaming.TryParseFileName(candidate.Name, out _, out _) is not null)
                {
                    continue;
                }

                hash ??= Sha256(quarantined.FullName);
                if (Sha256(candidate.FullName).AsSpan().SequenceEqual(hash))
                {
                    return candidate.FullName;
                }
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // What can't be read is not compared: the advice is then the one for a file of its kind.
        }

        return null;
    }

    private static byte[] Sha256(string path)
    {
        using FileStream stream = new(path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Options = FileOptions.SequentialScan });
        return System.Security.Cryptography.SHA256.HashData(stream);
    }

    /// <summary><paramref name="word"/> in single quotes for a POSIX shell, a quote in it written <c>'\''</c>.</summary>
    private static string Quoted(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
