namespace RawDataDestination.Tests.Cli.Processes;

/// <summary>How a run's standard output refuses its writes, for the tests of what rawdata does then.</summary>
public enum StandardOutputFault
{
    /// <summary><c>&gt; /dev/full</c>: every write fails with ENOSPC, "No space left on device".</summary>
    FullDisk,

    /// <summary>A pipe whose reader went away (<c>| head -1</c>, once head has gone): every write fails with EPIPE.</summary>
    ReaderGone,
}
