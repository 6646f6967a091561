using RawDataDestination.Spool;

namespace RawDataDestination.Cli;

/// <summary>
/// Whether a --spool-dir is rawdata's alone. The spool sets aside, into its <c>quarantine/</c>, any entry under its own
/// names that it did not write (a <c>tmp/</c> or <c>journal/</c> folder of the user's): given a folder of the user's own
/// (a home directory), ship would move the user's folders. Such a folder is refused before the spool opens it.
/// </summary>
internal static class SpoolFolder
{
    /// <summary>The names a spool directory holds: the buffer's own, rawdata's beside them, and a file system's own folder.</summary>
    private static readonly HashSet<string> OwnNames = new(StringComparer.Ordinal)
    {
        SpoolPaths.SealedFolder, SpoolPaths.JournalFolder, SpoolPaths.TempFolder, SpoolPaths.QuarantineFolder,
        SpoolPaths.DeliveredFolder, BatchSpool.LockFileName, InputCheckpoint.FolderName, SpoolDestination.FileName,
        SpoolDestination.FileName + ".tmp",
        "lost+found", // a disk of its own for the spool: its file system's, which the spool never touches
    };

    /// <summary>
    /// What is wrong with <paramref name="spool"/> as a spool directory: entries that are not a spool's, named; or
    /// <see langword="null"/> when it is new, empty, or a spool.
    /// </summary>
    /// <param name="spool">The --spool-dir.</param>
    public static string? Problem(string spool)
    {
        string[] foreign;
        try
        {
            if (!Directory.Exists(spool))
            {
                return null;
            }

            foreign = [.. Directory.EnumerateFileSystemEntries(spool).Select(Path.GetFileName).Where(name => !OwnNames.Contains(name!)).Order(StringComparer.Ordinal)!];
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null; // the spool's own opening reports a folder it can't read
        }

        return foreign.Length == 0
            ? null
            : $"{ShipCommand.SpoolDir.Name} '{spool}' holds {(foreign.Length == 1 ? "an entry" : $"{foreign.Length} entries")} that no spool writes ('{string.Join("', '", foreign.Take(3))}'{(foreign.Length > 3 ? ", ..." : string.Empty)}): "
                + $"a spool directory is rawdata's alone, and the spool sets aside what it did not write under its own names (tmp/, journal/, sealed/). "
                + $"Give a new or empty directory (such as '{Path.Combine(spool, "rawdata-spool")}'), or the {ShipCommand.SpoolDir.Name} of an earlier run.";
    }
}
