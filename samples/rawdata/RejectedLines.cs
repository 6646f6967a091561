using System.Text;
using RawDataDestination.Internal;
using RawDataDestination.Ndjson;

namespace RawDataDestination.Cli;

/// <summary>
/// How <c>ship</c> names its rejected lines on stderr, and the one rule for a run of them: each is named by its number,
/// its reason and what to do, but once <see cref="NamedInARow"/> lines in a row (blank lines aside) were rejected for the
/// same reason, the rest of that row is not named one by one: one line says how many more, from which line to which, once
/// the row ends (a line taken, another reason, or the end of the input). A file that is not NDJSON at all (a CSV export)
/// gave one stderr line per line, 100,001 of them; bad lines among good ones are still each named. Also tells whether
/// the input held no event at all (<see cref="NoEventRefusal"/>).
/// </summary>
/// <param name="lines">Where the lines go.</param>
/// <param name="inputName">The <c>--input</c> file as given, or <see langword="null"/> for standard input.</param>
internal sealed class RejectedLines(StderrLines lines, string? inputName)
{
    /// <summary>How many lines rejected in a row for the same reason are named one by one before the rest of the row is summarised.</summary>
    public const int NamedInARow = 10;

    /// <summary>How much of the input's first line <see cref="NoEventRefusal"/> shows.</summary>
    private const int FirstLineShown = 60;

    private EventRejectionReason? _rowReason;
    private long _rowLength;
    private long _firstUnnamed;
    private long _lastUnnamed;
    private string? _firstLine;
    private int? _firstLineTooLong; // the --max-event-bytes the first line was longer than, when it was

    /// <summary>Keeps the start of the input's first line that is not blank, to show what the input looks like.</summary>
    public void Saw(ReadOnlySpan<byte> line)
    {
        if (_firstLine is null)
        {
            ReadOnlySpan<byte> start = line[..Math.Min(line.Length, FirstLineShown * 4)];
            string text = Encoding.UTF8.GetString(start).TrimEnd('\r');
            _firstLine = text.Length > FirstLineShown ? text[..FirstLineShown] + "..." : text;
        }
    }

    /// <summary>
    /// Keeps the start of the input's first line that is not blank when that line is longer than
    /// <paramref name="maxEventBytes"/>: passed over unread past <paramref name="start"/>, its first bytes read.
    /// </summary>
    public void SawTooLong(ReadOnlySpan<byte> start, int maxEventBytes)
    {
        if (_firstLine is null)
        {
            Saw(start);
            _firstLineTooLong = maxEventBytes;
        }
    }

    /// <summary>A line taken: it ends a row of rejections.</summary>
    public void Taken() => EndRow();

    /// <summary>Line <paramref name="number"/> was rejected for <paramref name="reason"/>, described by <paramref name="description"/>.</summary>
    public void Rejected(long number, EventRejectionReason reason, string description)
    {
        if (_rowReason != reason)
        {
            EndRow();
            _rowReason = reason;
        }

        _rowLength++;
        if (_rowLength <= NamedInARow)
        {
            lines.WriteLine($"{Line(number)}: rejected ({reason}): {description}");
            return;
        }

        if (_firstUnnamed == 0)
        {
            _firstUnnamed = number;
        }

        _lastUnnamed = number;
    }

    /// <summary>The input ended (or the reading stopped): the row under way is summarised, if it was cut.</summary>
    public void End() => EndRow();

    /// <summary>
    /// The refusal of an input read from its first line of which no line was an event and some were rejected (exit 2),
    /// naming what its first line looks like and what rawdata reads; <see langword="null"/> otherwise.
    /// </summary>
    public string? NoEventRefusal(ShipCounters counters, bool readFromStart)
    {
        if (!readFromStart || counters.Accepted > 0 || counters.Rejected == 0 || counters.Rejected + counters.Interrupted < counters.LinesRead)
        {
            return null;
        }

        string named = InputWords.Named(inputName);
        string first = _firstLine ?? string.Empty;
        string looks = !first.TrimStart().StartsWith('{') && first.Contains(',', StringComparison.Ordinal)
            ? "It looks like CSV or other delimited text, not JSON"
            : first.TrimStart().StartsWith('{') ? "Its lines start like JSON objects, but none is one" : "It does not look like JSON";
        string which = counters.Rejected == 1 ? "its one line was" : $"every one of its {counters.Rejected} lines was";
        string shown = _firstLineTooLong is { } limit
            ? $"its first line is longer than the limit of {limit} bytes ({ShipCommand.MaxEventBytes.Name}) and starts '{first}'"
            : $"its first line is '{first}'";
        return $"{named} holds no event: {which} rejected (see above), none delivered. {looks}: {shown}. "
            + "rawdata reads NDJSON, one JSON object per line, such as {\"type\":\"track\",\"event\":\"Order Completed\",\"receivedAt\":\"2023-11-24T10:00:00Z\"}; "
            + "convert the file to that first (a CSV export, for example, with a tool such as mlr --icsv --ojsonl cat FILE), then ship the result.";
    }

    private void EndRow()
    {
        if (_firstUnnamed > 0)
        {
            long more = _rowLength - NamedInARow;
            lines.WriteLine($"{Line(_firstUnnamed)} to line {_lastUnnamed}: {Counted.Of(more, "more line")} rejected ({_rowReason}) for the same reason as the {NamedInARow} before, not named one by one (every line from {_firstUnnamed} to {_lastUnnamed} but blank ones).");
        }

        _rowReason = null;
        _rowLength = 0;
        _firstUnnamed = 0;
        _lastUnnamed = 0;
    }

    private string Line(long number) => inputName is null ? $"line {number}" : $"'{inputName}' line {number}";
}
