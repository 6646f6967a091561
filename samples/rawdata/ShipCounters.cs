namespace RawDataDestination.Cli;

/// <summary>What <c>ship</c> has read so far; written by the reading loop, read by the progress display.</summary>
internal sealed class ShipCounters
{
    private long _linesRead;
    private long _bytesRead;
    private long _rejected;

    public long LinesRead => Volatile.Read(ref _linesRead);

    public long BytesRead => Volatile.Read(ref _bytesRead);

    public long Rejected => Volatile.Read(ref _rejected);

    public void AddLine(int bytesWithNewline)
    {
        Volatile.Write(ref _linesRead, _linesRead + 1);
        Volatile.Write(ref _bytesRead, _bytesRead + bytesWithNewline);
    }

    public void AddRejected() => Volatile.Write(ref _rejected, _rejected + 1);
}
