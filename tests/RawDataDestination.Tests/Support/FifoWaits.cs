namespace RawDataDestination.Tests.Support;

/// <summary>
/// A FIFO no writer has opened, to hold a process where it opens a file (its input, the AWS config file): making one, and
/// seeing, on Linux, that a thread of the process waits in the kernel to open it.
/// </summary>
internal static class FifoWaits
{
    /// <summary>What Linux shows as the wait of a thread blocked opening a FIFO no writer has opened (<c>/proc/PID/task/TID/wchan</c>).</summary>
    private const string FifoOpenWait = "wait_for_partner";

    /// <summary>The runtime's own thread that waits so, on the debugger's FIFO, in every .NET process (<c>/proc/PID/task/TID/comm</c>).</summary>
    private const string RuntimeDebuggerThread = ".NET DebugPipe";

    /// <summary>Makes a FIFO at <paramref name="path"/> (<c>mkfifo</c>).</summary>
    public static async Task MakeAsync(string path)
    {
        using Process mkfifo = Process.Start("mkfifo", [path]);
        await mkfifo.WaitForExitAsync();
        Assert.That(mkfifo.ExitCode, Is.Zero, "mkfifo");
    }

    /// <summary>
    /// Waits until a thread of <paramref name="process"/>, other than the runtime's debugger thread, waits in the kernel
    /// for a FIFO's writer; fails, saying <paramref name="endedBefore"/>, if the process ends first.
    /// </summary>
    public static async Task WaitUntilOpeningAsync(Process process, string endedBefore)
    {
        while (!Directory.EnumerateDirectories($"/proc/{process.Id}/task").Any(task => Read(task, "wchan") == FifoOpenWait && Read(task, "comm")?.TrimEnd('\n') != RuntimeDebuggerThread))
        {
            Assert.That(process.HasExited, Is.False, endedBefore);
            await Task.Delay(20);
        }
    }

    private static string? Read(string task, string file)
    {
        try
        {
            return File.ReadAllText(Path.Combine(task, file));
        }
        catch (IOException)
        {
            return null; // the thread ended
        }
    }
}
