using RawDataDestination.Spool;

namespace RawDataDestination.Cli;

/// <summary>
/// What to do with a batch the spool quarantined (a journal with a damaged line, a sealed file that changed on disk):
/// the command that ships its sound lines again, as the user can type it. Its lines hold no source id (the spool keeps
/// it in the folder name, encoded: <c>journal/~s~r~c~x/{day}/...</c> for <c>SRCX</c>), so the command names it; each line
/// keeps its <c>receivedAt</c>, so its day needs no option. Added to the buffer's quarantine warning by <see cref="StderrLog"/>.
/// </summary>
internal static class QuarantineAdvice
{
    /// <summary>
    /// The advice for the spool file at <paramref name="spoolPath"/> moved to <paramref name="quarantinePath"/>, starting
    /// with a space; <see langword="null"/> for what is no batch of a source (a stray file, a folder).
    /// </summary>
    public static string? For(string spoolPath, string quarantinePath)
    {
        string? day = Path.GetDirectoryName(spoolPath);
        string? source = Path.GetDirectoryName(day);
        string? area = Path.GetFileName(Path.GetDirectoryName(source));
        bool journal = spoolPath.EndsWith(SpoolPaths.JournalExtension, StringComparison.Ordinal);
        bool sealedBatch = spoolPath.EndsWith(".gz", StringComparison.Ordinal);
        if (source is null || !(journal && area == SpoolPaths.JournalFolder || sealedBatch && area == SpoolPaths.SealedFolder)
            || SpoolPaths.DecodeSourceId(Path.GetFileName(source)) is not { } sourceId)
        {
            return null;
        }

        string read = journal ? "cat" : "gunzip -c";
        return $" Its lines are of source id '{sourceId}': to ship those that are sound (a damaged one is rejected, by its number), run {read} {Quoted(quarantinePath)} | rawdata ship {ShipCommand.SourceId.Name} {Quoted(sourceId)} with this run's other options but {ShipCommand.Input.Name} (each line keeps its receivedAt, so its day), then delete the file.";
    }

    /// <summary><paramref name="word"/> in single quotes for a POSIX shell, a quote in it written <c>'\''</c>.</summary>
    private static string Quoted(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
