namespace RawDataDestination.Cli;

/// <summary>
/// How far <c>ship</c>'s input is settled, told each line's outcome in line order: <see cref="Position"/> is the place
/// past the last line such that every line up to it was taken by the buffer or refused as an event; past it, after a
/// line a stop interrupted, <see cref="TakenPast"/> lists the lines the buffer took all the same. A run that resumes
/// there reads on from <see cref="Position"/> and passes over those lines, so no line is taken twice. A resumed run
/// starts with the lines its record lists, and keeps listing those it has not passed yet.
/// </summary>
internal sealed class SettledInput(InputPosition from, IEnumerable<long>? takenPast = null)
{
    private readonly SortedSet<long> _takenPast = [.. takenPast ?? []];
    private bool _gap;

    /// <summary>Gets the place past the last line of the settled run of lines.</summary>
    public InputPosition Position { get; private set; } = from;

    /// <summary>Gets the numbers of the lines past <see cref="Position"/> the buffer took, in order.</summary>
    public IReadOnlyCollection<long> TakenPast => _takenPast;

    /// <summary>
    /// The buffer took the line ending at <paramref name="end"/> (with a spool: it is on disk), now or, for a line the
    /// record lists, in an earlier run.
    /// </summary>
    public void Taken(InputPosition end)
    {
        if (_gap)
        {
            _takenPast.Add(end.Line);
        }
        else
        {
            Position = end;
            _takenPast.Remove(end.Line);
        }
    }

    /// <summary>The line ending at <paramref name="end"/> was refused as an event: reading it again refuses it again.</summary>
    public void Refused(InputPosition end)
    {
        if (!_gap)
        {
            Position = end;
        }
    }

    /// <summary>A line's append was stopped, or failed, before the buffer took it: it must be read again.</summary>
    public void NotTaken() => _gap = true;

    /// <summary>The input ended at <paramref name="end"/> with every line settled (a last line refused as too long included).</summary>
    public void ReachedEnd(InputPosition end)
    {
        if (!_gap)
        {
            Position = end;
            _takenPast.Clear();
        }
    }
}
