namespace RawDataDestination.Cli;

/// <summary>
/// Every line <c>ship</c> writes to stderr (rejected lines, status, notices) goes through here, so that on a terminal
/// the live progress bar is wiped before a line and drawn again after it.
/// </summary>
internal sealed class StderrLines(TextWriter stderr)
{
    private readonly object _gate = new();
    private string? _bar;

    public void WriteLine(string line)
    {
        lock (_gate)
        {
            if (_bar is not null)
            {
                stderr.Write("\r\u001b[K");
            }

            stderr.WriteLine(line);
            if (_bar is not null)
            {
                stderr.Write(_bar);
            }

            stderr.Flush();
        }
    }

    /// <summary>Draws (or redraws) the bar on the current line.</summary>
    public void DrawBar(string bar)
    {
        lock (_gate)
        {
            _bar = bar;
            stderr.Write("\r\u001b[K" + bar);
            stderr.Flush();
        }
    }

    /// <summary>Removes the bar, leaving its last state as a finished line.</summary>
    public void EndBar()
    {
        lock (_gate)
        {
            if (_bar is not null)
            {
                stderr.WriteLine();
                stderr.Flush();
                _bar = null;
            }
        }
    }
}
