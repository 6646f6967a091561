using System.Runtime.InteropServices;

namespace RawDataDestination.Benchmarks;

/// <summary>
/// The C library's heap: memory native code freed that the allocator keeps for reuse, which the working set still
/// counts. Giving it back (glibc's <c>malloc_trim</c>) shows how much of a working set is held and how much is slack.
/// </summary>
public static class NativeHeap
{
    /// <summary>Gives the C heap's free memory back to the system where the C library can (glibc); elsewhere does nothing.</summary>
    /// <returns>Whether memory was given back.</returns>
    public static bool Trim()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            return MallocTrim(0) != 0;
        }
        catch (Exception exception) when (exception is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // not glibc (musl has no malloc_trim)
        }
    }

    // DllImport, not LibraryImport: the latter needs unsafe code in the project for one blittable call.
#pragma warning disable SYSLIB1054
    [DllImport("libc", EntryPoint = "malloc_trim")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int MallocTrim(nuint pad);
#pragma warning restore SYSLIB1054
}
