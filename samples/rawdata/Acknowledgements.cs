namespace RawDataDestination.Cli;

/// <summary>
/// <c>ship --progress</c>'s <c>acknowledged N</c> lines on standard output, for scripts: lines 1..N are in the buffer
/// (with a spool, on disk). Each number is written once, and only a larger one after it, whoever writes it: the reading
/// loop every 1000 lines and after the last, and the stop, for the lines taken before it. Once standard output refuses
/// one (<see cref="FailedWrites"/>), none is written any more, and <see cref="Refused"/> says why: the reading loop stops
/// there (<see cref="AcknowledgementRefusedException"/>).
/// </summary>
internal sealed class Acknowledgements(TextWriter output)
{
    private readonly Lock _lock = new();
    private long _last = -1;
    private Exception? _refused;

    /// <summary>Gets the error of the acknowledgement standard output refused, or <see langword="null"/> while each was written.</summary>
    public Exception? Refused
    {
        get
        {
            lock (_lock)
            {
                return _refused;
            }
        }
    }

    /// <summary>
    /// Writes <c>acknowledged <paramref name="line"/></c>, unless that line or a later one was acknowledged already, or
    /// standard output refused one before; a write refused now is kept in <see cref="Refused"/>, not thrown.
    /// </summary>
    public void Acknowledge(long line)
    {
        lock (_lock)
        {
            if (line <= _last || _refused is not null)
            {
                return;
            }

            _last = line;
            try
            {
                output.WriteLine($"acknowledged {line}");
                output.Flush();
            }
            catch (Exception exception) when (FailedWrites.Is(exception))
            {
                _refused = exception;
            }
        }
    }
}
