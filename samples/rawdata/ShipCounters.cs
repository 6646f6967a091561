namespace RawDataDestination.Cli;

/// <summary>
/// What <c>ship</c> has read, and what became of each line handed to the buffer: accepted (the buffer holds it),
/// rejected, or interrupted (a stop came while its append waited). Written by the reading loop, read by the progress
/// display and the summary.
/// </summary>
/// <param name="resumedAfter">The number of the input's line a resumed run reads on after (0 from the start): <see cref="LastLine"/> counts on from it.</param>
internal sealed class ShipCounters(long resumedAfter = 0)
{
    private long _lastLine = resumedAfter;
    private long _linesRead;
    private long _bytesRead;
    private long _accepted;
    private long _rejected;
    private long _interrupted;
    private long _blank;

    /// <summary>Gets the lines read and handed to the buffer (or refused as too long): every line but the blank ones.</summary>
    public long LinesRead => Interlocked.Read(ref _linesRead);

    /// <summary>Gets the blank lines read (nothing, or only spaces and tabs): not events, passed over.</summary>
    public long BlankLines => Interlocked.Read(ref _blank);

    /// <summary>Gets every line read, blank lines included.</summary>
    public long AllLines => LinesRead + BlankLines;

    /// <summary>
    /// Gets the number of the last line read as the input numbers it (as rejected lines and <c>acknowledged N</c> are
    /// numbered): on a resumed run, the line it read on after plus this run's lines, passed-over ones included; not
    /// <see cref="AllLines"/>, which counts this run's lines only.
    /// </summary>
    public long LastLine => Interlocked.Read(ref _lastLine);

    /// <summary>Gets the bytes of the input read, newlines included.</summary>
    public long BytesRead => Interlocked.Read(ref _bytesRead);

    /// <summary>Gets the lines the buffer accepted.</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    /// <summary>Gets the lines the buffer refused as events (bad JSON, too long, ...).</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Gets the lines whose append was stopped before the buffer took them.</summary>
    public long Interrupted => Interlocked.Read(ref _interrupted);

    /// <summary>Gets the lines handed to the buffer whose append has not ended yet.</summary>
    public long InFlight => LinesRead - Accepted - Rejected - Interrupted;

    /// <summary>Counts a line read, and the input's bytes read since the last count (its own, with its line end, as in the input).</summary>
    public void AddLine(long bytesRead)
    {
        Interlocked.Increment(ref _linesRead);
        AddBytes(bytesRead);
    }

    /// <summary>Counts input bytes read that end no line: the end of the input, with no newline after a line refused as too long.</summary>
    public void AddBytes(long bytesRead) => Interlocked.Add(ref _bytesRead, bytesRead);

    /// <summary>Counts a blank line read, and the input's bytes read since the last count (its line end included).</summary>
    public void AddBlank(long bytesRead)
    {
        Interlocked.Increment(ref _blank);
        AddBytes(bytesRead);
    }

    /// <summary>The input's line <paramref name="number"/> (numbered as in the input) was read: blank, passed over or handed to the buffer.</summary>
    public void Reached(long number) => Interlocked.Exchange(ref _lastLine, Math.Max(number, LastLine)); // one reader writes it

    public void AddAccepted() => Interlocked.Increment(ref _accepted);

    public void AddRejected() => Interlocked.Increment(ref _rejected);

    public void AddInterrupted() => Interlocked.Increment(ref _interrupted);

    /// <summary>How long the appends under way may still take to end once <c>quit</c> fires: with a spool, a journal round being written ends in one fsync, and one not started yet is refused.</summary>
    public static readonly TimeSpan QuitSettle = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Waits (at most <paramref name="limit"/>, and at most <see cref="QuitSettle"/> once <paramref name="quit"/> fires)
    /// until no append is under way, so that the counts are final. A second signal shortens the wait but does not skip
    /// it: an append still under way is counted both in the buffer (its line in an open batch) and as not delivered.
    /// </summary>
    public async Task WaitForAppendsAsync(TimeSpan limit, TimeProvider time, CancellationToken quit)
    {
        long deadline = time.GetTimestamp() + Ticks(limit, time);
        bool quitting = false;
        while (InFlight > 0 && time.GetTimestamp() < deadline)
        {
            if (!quitting && quit.IsCancellationRequested)
            {
                quitting = true;
                deadline = Math.Min(deadline, time.GetTimestamp() + Ticks(QuitSettle, time));
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), time, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static long Ticks(TimeSpan span, TimeProvider time) => (long)(span.TotalSeconds * time.TimestampFrequency);
}
