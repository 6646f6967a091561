namespace RawDataDestination.Tests.Support;

/// <summary>Kills the process (and its children) when disposed, if it is still running: a failing test leaves no process behind.</summary>
internal sealed class KillIfRunning(Process process) : IDisposable
{
    /// <summary>Kills the process tree if it has not exited.</summary>
    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }
    }
}
