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

        string file = Quoted(quarantinePath);
        string ship = $"rawdata ship {ShipCommand.SourceId.Name} {Quoted(sourceId)} with this run's other options but {ShipCommand.Input.Name} (each line keeps its receivedAt, so its day)";
        return journal
            ? $" Its lines are of source id '{sourceId}': to ship those that are sound, run cat {file} | {ship}, then delete the file. "
                + "A line the damage left no JSON object is rejected, by its number; one damaged inside a value still reads as an event and is delivered as it is: where the events have a source, check the lines against it first."
            : $" Its lines are of source id '{sourceId}'. Test the file first: gunzip -t {file}. If that passes, its lines are as they were sealed: run gunzip -c {file} | {ship}, then delete the file. "
                + "If it fails, the file is damaged, and gunzip -c writes what it decompresses past the damage before it reports the error, which a pipe into rawdata hides: that may read as events ({} or values changed) and be delivered. "
                + "Ship those events again from their source instead, or only the lines you have checked against it.";
    }

    /// <summary><paramref name="word"/> in single quotes for a POSIX shell, a quote in it written <c>'\''</c>.</summary>
    private static string Quoted(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
