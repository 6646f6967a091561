using RawDataDestination.Spool;

namespace RawDataDestination.Cli;

/// <summary>
/// Whether a --spool-dir is rawdata's alone. The spool sets aside, into its <c>quarantine/</c> or renamed beside it, any
/// entry under its own names that it did not write (a <c>tmp/</c> or <c>journal/</c> folder of the user's): given a
/// folder of the user's own (a home directory), ship would move the user's folders. Such a folder is refused before the
/// spool opens it. What the spool renamed beside itself (<c>tmp.untrusted-89a88adb</c>) is its own, and never refused.
/// </summary>
internal static class SpoolFolder
{
    /// <summary>How many entries that no spool writes the refusal names.</summary>
    private const int Named = 10;

    /// <summary>The names a spool directory holds: the buffer's own, rawdata's beside them, and a file system's own folder.</summary>
    private static readonly HashSet<string> OwnNames = new(StringComparer.Ordinal)
    {
        SpoolPaths.SealedFolder, SpoolPaths.JournalFolder, SpoolPaths.TempFolder, SpoolPaths.QuarantineFolder,
        SpoolPaths.DeliveredFolder, BatchSpool.LockFileName, InputCheckpoint.FolderName, InputCheckpoint.ListName, SpoolDestination.FileName,
        SpoolDestination.FileName + ".tmp",
        "lost+found", // a disk of its own for the spool: its file system's, which the spool never touches
    };

    /// <summary>The own names that say a spool was here: all but a <c>tmp/</c> (a user's folder is often so named) and <c>lost+found</c>.</summary>
    private static readonly HashSet<string> SpoolMarks = new(OwnNames.Except([SpoolPaths.TempFolder, "lost+found"]), StringComparer.Ordinal);

    /// <summary>
    /// What is wrong with <paramref name="spool"/> as a spool directory: entries that are not a spool's, named, and what
    /// to do (beside a spool's own entries, move them out, since a new directory would leave that spool's events and
    /// resume place behind; in a folder with no spool, give a new one); or <see langword="null"/> when it is new, empty,
    /// or a spool.
    /// </summary>
    /// <param name="spool">The --spool-dir.</param>
    public static string? Problem(string spool)
    {
        string[] names;
        try
        {
            if (!Directory.Exists(spool))
            {
                return null;
            }

            names = [.. Directory.EnumerateFileSystemEntries(spool).Select(path => Path.GetFileName(path)!).Order(StringComparer.Ordinal)];
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null; // the spool's own opening reports a folder it can't read
        }

        string[] foreign = [.. names.Where(name => !IsOwn(name))];
        if (foreign.Length == 0)
        {
            return null;
        }

        string listed = $"'{string.Join("', '", foreign.Take(Named))}'{(foreign.Length > Named ? $", and {foreign.Length - Named} more" : string.Empty)}";
        string entries = foreign.Length == 1 ? "an entry" : $"{foreign.Length} entries";
        string[] marks = [.. names.Where(name => IsOwn(name) && (SpoolMarks.Contains(name) || SpoolPaths.SetAsideFrom(name) is not null))];
        if (marks.Length > 0)
        {
            // A spool is here: a new directory would strand its events, and read --input from its first line again.
            return $"{ShipCommand.SpoolDir.Name} '{spool}' holds {entries} that no spool writes ({listed}) beside a spool's own ('{string.Join("', '", marks.Take(3))}'{(marks.Length > 3 ? ", ..." : string.Empty)}): "
                + "a spool directory is rawdata's alone, and the spool sets aside what it did not write under its own names (tmp/, journal/, sealed/). "
                + $"Move {(foreign.Length == 1 ? "that entry" : "those entries")} out of '{spool}' and run the same command again: it delivers what the spool holds and, given the same {ShipCommand.Input.Name} file, reads on where the last run stopped "
                + $"(a new directory would leave the spool's events behind, and read {ShipCommand.Input.Name} from its first line again).";
        }

        return $"{ShipCommand.SpoolDir.Name} '{spool}' holds {entries} that no spool writes ({listed}): "
            + "a spool directory is rawdata's alone, and the spool sets aside what it did not write under its own names (tmp/, journal/, sealed/). "
            + $"Give a new or empty directory (such as '{Path.Combine(spool, "rawdata-spool")}'), or the {ShipCommand.SpoolDir.Name} of an earlier run.";
    }

    /// <summary>Whether <paramref name="name"/> is a spool's: one of its own names, or one the spool renamed aside (<c>{own name}.untrusted-{id}</c>).</summary>
    private static bool IsOwn(string name) => OwnNames.Contains(name) || (SpoolPaths.SetAsideFrom(name) is { } from && OwnNames.Contains(from));
}
