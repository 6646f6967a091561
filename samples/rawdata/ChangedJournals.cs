using RawDataDestination.Spool;

namespace RawDataDestination.Cli;

/// <summary>
/// The rule for a journal that changed since <c>ship</c> wrote its rounds (<see cref="JournalRound.Changed"/>: a line
/// deleted, repeated or changed by a hand or a disk). Its bytes no longer say which input lines it holds: sealed and
/// delivered as it is, a deleted line would be lost without a word and the lines its rounds are then counted short of
/// read again and delivered twice. So, before the buffer's recovery seals the journals a kill left, it is set aside in
/// the spool's quarantine under a name of its own (<see cref="SetAsidePrefix"/>), where nothing delivers it, and its
/// batch counts as gone (<see cref="JournalRound.BatchKept"/> passes over it): every line its rounds put in it is read
/// again from the input, once.
/// </summary>
internal static class ChangedJournals
{
    /// <summary>How the name of a journal set aside here starts, in the spool's quarantine folder.</summary>
    public const string SetAsidePrefix = "read-again-";

    /// <summary>Whether the quarantine entry at <paramref name="path"/> is a journal this rule set aside (its lines are read again: it holds no batch to deliver).</summary>
    public static bool IsSetAside(string path) => Path.GetFileName(path).StartsWith(SetAsidePrefix, StringComparison.Ordinal);

    /// <summary>
    /// Sets aside each journal of <paramref name="rounds"/> (under <paramref name="spoolRoot"/>) that changed since its
    /// rounds were written, unless its batch is kept elsewhere (delivered, or sealed: the journal is then a leftover the
    /// recovery deletes). Returns where each went, by the journal's recorded path; a journal that can't be moved is left
    /// to the recovery, as before this rule.
    /// </summary>
    public static IReadOnlyDictionary<string, string> SetAside(string spoolRoot, IReadOnlyList<JournalRound> rounds, IReadOnlySet<string> delivered, DateTimeOffset now)
    {
        var setAside = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string journal, List<JournalRound> kept) in JournalRound.Kept(rounds))
        {
            if (JournalRound.Present(spoolRoot, journal) is not { } path || !File.Exists(path)
                || !JournalRound.Changed(path, kept) || JournalRound.BatchKept(spoolRoot, journal, delivered))
            {
                continue;
            }

            string flat = Path.GetRelativePath(spoolRoot, path).Replace(Path.DirectorySeparatorChar, '_');
            string target = Path.Combine(spoolRoot, SpoolPaths.QuarantineFolder, $"{SetAsidePrefix}{now:yyyyMMdd'T'HHmmss'Z'}-{(flat.Length > 160 ? flat[^160..] : flat)}");
            try
            {
                PrivateFiles.CreateFolder(Path.GetDirectoryName(target)!);
                File.Move(path, target);
                setAside[journal] = target;
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // Left where it is: the recovery seals it as before.
            }
        }

        return setAside;
    }
}
