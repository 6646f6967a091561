namespace RawDataDestination.Cli;

/// <summary>
/// <c>ship --progress</c>'s <c>acknowledged N</c> lines on standard output, for scripts: lines 1..N are in the buffer
/// (with a spool, on disk). Each number is written once, and only a larger one after it, whoever writes it: the reading
/// loop every 1000 lines and after the last, and the stop, for the lines taken before it.
/// </summary>
internal sealed class Acknowledgements(TextWriter output)
{
    private readonly Lock _lock = new();
    private long _last = -1;

    /// <summary>Writes <c>acknowledged <paramref name="line"/></c>, unless that line or a later one was acknowledged already.</summary>
    public void Acknowledge(long line)
    {
        lock (_lock)
        {
            if (line <= _last)
            {
                return;
            }

            _last = line;
            output.WriteLine($"acknowledged {line}");
            output.Flush();
        }
    }
}
