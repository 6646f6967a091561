namespace RawDataDestination.Cli;

/// <summary>Where <c>ship</c> starts reading its <c>--input</c>: the start, or where an earlier run over the same spool stopped.</summary>
/// <param name="From">The place to read on from.</param>
/// <param name="Skip">The numbers of lines past <paramref name="From"/> already in the spool, to pass over.</param>
/// <param name="Note">What to tell the user about it, or <see langword="null"/> when reading from the start is the plain case.</param>
internal sealed record InputResume(InputPosition From, IReadOnlySet<long> Skip, string? Note)
{
    /// <summary>Gets a start from the first line, with <paramref name="note"/> saying why (or nothing).</summary>
    public static InputResume FromStart(string? note = null) => new(InputPosition.Start, new HashSet<long>(), note);
}
