namespace RawDataDestination.Tests.Support;

/// <summary>The edits a hand may make to a spool journal's lines between runs, which the journal tests make in memory and in processes alike.</summary>
internal static class JournalLineEdits
{
    /// <summary>
    /// Applies <paramref name="change"/> to the line at <paramref name="index"/>: <c>deleted</c> removes it, <c>repeated</c>
    /// writes it twice, any other word replaces it with what <paramref name="changed"/> makes of it (a change in place).
    /// </summary>
    public static void Apply<TLine>(List<TLine> lines, int index, string change, Func<TLine, TLine> changed)
    {
        switch (change)
        {
            case "deleted":
                lines.RemoveAt(index);
                break;
            case "repeated":
                lines.Insert(index, lines[index]);
                break;
            default:
                lines[index] = changed(lines[index]);
                break;
        }
    }
}
