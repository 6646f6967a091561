using RawDataDestination.Internal;

namespace RawDataDestination.Cli;

/// <summary>
/// How to go on after a run that stopped before the end of its input (a signal, giving up, a refused acknowledgement)
/// where no record file reads it on by itself: a pipe, a FIFO, or a file shipped without <c>--spool-dir</c>. For the
/// last line, after the counts of what was not delivered.
/// </summary>
internal static class StopAdvice
{
    /// <summary>
    /// The line to go on from, exactly, when there is one: every line before it was taken (with a spool: kept there or
    /// delivered, staged with --stage-bucket, or kept there; without one: and delivered or staged, since nothing the buffer
    /// took was lost), and the lines from it on were read
    /// but not taken, or not read (bar those past a line a stop interrupted that the spool took all the same, named to be
    /// left out). Without a spool, once the buffer lost events it had taken, there is none: those are spread over the
    /// lines read (batches are per day), and sending the input again sends those delivered again too, which is said, with
    /// how many, and that --spool-dir is what resumes exactly once. Empty when the input was read to its end and every
    /// line of it was taken and is delivered or kept.
    /// </summary>
    /// <param name="inputPath">The <c>--input</c> value: <c>-</c> for standard input, or a file (or FIFO).</param>
    /// <param name="seekable">Whether the input is a file (it can be read again from a place), not a pipe.</param>
    /// <param name="spool">The <c>--spool-dir</c>, or <see langword="null"/>.</param>
    /// <param name="settled">How far the input is settled: every line up to its place was taken or refused.</param>
    /// <param name="lastLine">The number of the last line read.</param>
    /// <param name="readToEnd">Whether the input was read to its end.</param>
    /// <param name="unsettled">The lines whose append had not ended when the counts were taken: they may be taken all the same.</param>
    /// <param name="summary">The counts: what the buffer took and did not deliver, and what was delivered.</param>
    public static string GoOn(string inputPath, bool seekable, string? spool, SettledInput settled, long lastLine, bool readToEnd, long unsettled, ShipSummary summary)
    {
        long from = settled.Position.Line + 1;
        bool pipe = inputPath == "-" || !seekable; // named by the user, or sent by them: its source is theirs to name
        if (spool is null && summary.TakenNotDelivered > 0)
        {
            return Duplicates(inputPath, pipe, lastLine, summary);
        }

        long[] takenPast = [.. settled.TakenPast];
        if (readToEnd && from > lastLine)
        {
            return string.Empty;
        }

        string read = from > lastLine
            ? $" Every line read was taken ({Kept(spool is not null, summary)})"
            : $" {Lines(from, lastLine, takenPast)} read but not taken";
        string leavingOut = takenPast.Length == 0 ? string.Empty : $", leaving out {Counted.Either(takenPast.Length, "line", "lines")} {string.Join(", ", takenPast)} (taken already)";
        string select = takenPast.Length == 0
            ? $"tail -n +{from}"
            : $"awk 'NR >= {from}{string.Concat(takenPast.Select(line => $" && NR != {line}"))}'";
        string command = pipe
            ? $"... | {select} | rawdata ship ... {InputWords.Option} -"
            : $"{select} '{inputPath}' | rawdata ship ... {InputWords.Option} -";
        string mayBeTaken = unsettled > 0 ? $" ({Counted.Of(unsettled, "line")} of those had {Counted.Either(unsettled, "its", "their")} append still under way when ship stopped waiting, and may be taken all the same)" : string.Empty;
        return $"{read}{mayBeTaken}: to go on, send the input again from line {from}{leavingOut}, into the same command: {command}.";
    }

    /// <summary>
    /// Where the events of the lines taken are, for "Every line read was taken (...)": delivered, or, with --stage-bucket,
    /// staged (a signal skips the copier pass, so a stopped run's events are all staged), or kept in the spool.
    /// </summary>
    private static string Kept(bool spool, ShipSummary summary)
    {
        string where = (summary.Delivered > 0 || summary.Staged == 0, summary.Staged > 0) switch
        {
            (true, true) => "delivered or staged",
            (false, true) => "staged",
            _ => "delivered",
        };
        return spool ? $"{where}, or kept in the spool" : $"and {where}";
    }

    /// <summary>Lines <paramref name="from"/> to <paramref name="last"/> but <paramref name="takenPast"/>, for "... read but not taken".</summary>
    private static string Lines(long from, long last, long[] takenPast)
    {
        long notTaken = last - from + 1 - takenPast.Length;
        string which = from == last ? $"Line {from}" : $"Lines {from} to {last}";
        return takenPast.Length == 0
            ? $"{which} {Counted.Either(last - from + 1, "was", "were")}"
            : $"{which} but {string.Join(", ", takenPast)} ({Counted.Of(notTaken, "line")}) were";
    }

    /// <summary>
    /// What sending the input again costs without a spool, once events the buffer took were lost: the events delivered (or
    /// staged) and those that may be in the bucket would be there twice; with none of either, nothing is said of a cost.
    /// </summary>
    private static string Duplicates(string inputPath, bool pipe, long lastLine, ShipSummary summary)
    {
        long twice = summary.Delivered + summary.Staged;
        string again = pipe
            ? $"Sending the input again sends all {Counted.Of(lastLine, "line")} read again"
            : $"Running the same command again sends every line of {InputWords.Option} '{inputPath}' again, from line 1";
        // Those that may be in the bucket: sent in full with no answer, or under way when ship stopped waiting (the summary's count).
        long mayBe = summary.MayBeInTheBucket(spool: false);
        string cost = (twice, mayBe) switch
        {
            (0, 0) => string.Empty, // nothing is in the bucket: sending it all again is exactly right
            (0, _) => $": up to {Counted.Of(mayBe, "event")}, those that may be in the bucket, would then be in it twice",
            (_, 0) => $": the {Counted.Of(twice, "event")} {(summary.Staged > 0 ? "delivered or staged" : "delivered")} would then be in the bucket twice",
            _ => $": the {Counted.Of(twice, "event")} {(summary.Staged > 0 ? "delivered or staged" : "delivered")} would then be in the bucket twice (and up to {mayBe} more: those that may be in the bucket)",
        };
        return $" Without {ShipCommand.SpoolDir.Name} no line can be resumed from: the events not delivered are spread over lines 1 to {lastLine}. "
            + $"{again}{cost}. "
            + $"To be able to resume exactly once, ship with {ShipCommand.SpoolDir.Name} DIR.";
    }
}
