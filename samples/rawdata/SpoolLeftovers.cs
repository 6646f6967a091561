using RawDataDestination.Spool;

namespace RawDataDestination.Cli;

/// <summary>
/// What a stopped run leaves in its spool without counting it: journals of an earlier run that recovery could not seal
/// now (a full disk, a folder it cannot make). The buffer logs each and keeps it for the next start, but no count of the
/// summary holds their events, so <c>ship</c> must not say that all is delivered while they wait.
/// </summary>
internal static class SpoolLeftovers
{
    /// <summary>
    /// Counts the journals in <paramref name="spoolDirectory"/> (<c>journal/{source}/{day}/{batch-id}.ndjson</c>, or
    /// <c>{sealed-at}.{batch-id}.ndjson</c> for one whose batch was sealed where the spool could not keep it), but not
    /// those marked delivered (<c>delivered/{source}/{day}/{batch-id}.delivered</c>: their batch is in the bucket). Read
    /// once the buffer has stopped; a spool that cannot be listed counts nothing (the buffer has reported it).
    /// </summary>
    public static int Journals(string spoolDirectory)
    {
        string journals = Path.Combine(spoolDirectory, SpoolPaths.JournalFolder);
        try
        {
            return Directory.Exists(journals)
                ? Directory.EnumerateFiles(journals, "*" + SpoolPaths.JournalExtension, SearchOption.AllDirectories).Count(journal => !MarkedDelivered(spoolDirectory, journals, journal))
                : 0;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    /// <summary>Whether <paramref name="journal"/>, under either of its names (<see cref="SpoolPaths.JournalBatchId(string)"/>), is marked delivered: the marker is named by its batch id.</summary>
    private static bool MarkedDelivered(string spoolDirectory, string journals, string journal)
    {
        string folder = Path.GetRelativePath(journals, Path.GetDirectoryName(journal)!);
        string batchId = SpoolPaths.JournalBatchId(Path.GetFileName(journal)) ?? Path.GetFileNameWithoutExtension(journal);
        return File.Exists(Path.Combine(spoolDirectory, SpoolPaths.DeliveredFolder, folder, batchId + SpoolPaths.DeliveredExtension));
    }
}
