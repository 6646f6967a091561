using System.Diagnostics;

namespace RawDataDestination.Benchmarks;

/// <summary>
/// The process's peak working set as the kernel keeps it (VmHWM), so no peak between two samples is missed. On Linux
/// the peak can be reset (writing 5 to <c>/proc/self/clear_refs</c>), so one process can measure several runs.
/// </summary>
public static class PeakMemory
{
    /// <summary>Gets whether <see cref="Reset"/> works here; if not, the peak covers the whole process.</summary>
    public static bool CanReset { get; private set; } = true;

    /// <summary>Starts a new peak from the current working set.</summary>
    public static void Reset()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            CanReset = false;
        }
    }

    /// <summary>Gets the working set now, in bytes.</summary>
    public static long Current()
    {
        using Process self = Process.GetCurrentProcess();
        return self.WorkingSet64;
    }

    /// <summary>Gets the peak working set since the last <see cref="Reset"/> (or since the start), in bytes.</summary>
    public static long Peak()
    {
        using Process self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64;
    }
}
