using System.Runtime.InteropServices;

namespace RawDataDestination.Cli;

/// <summary>
/// Whether this process was started with its standard input or output closed (<c>rawdata ship &lt;&amp;-</c>,
/// <c>rawdata generate &gt;&amp;-</c>). The .NET runtime then takes descriptor 0 or 1 for a pipe of its own before
/// <c>Main</c>: reading standard input waited forever on that pipe, and writing standard output failed with "Access to
/// the path is denied". A descriptor inherited across <c>exec</c> never has close-on-exec set (the kernel closes those),
/// and the runtime opens all of its own with it: a descriptor 0 or 1 with close-on-exec is not what the caller gave.
/// KafkaToS3 compiles this same file (linked in its project), for its log and last line on standard output.
/// </summary>
internal static class ClosedStandardStreams
{
    /// <summary><c>FD_CLOEXEC</c>, the same bit on Linux and macOS.</summary>
    private const int CloseOnExec = 1;

    /// <summary>Returns whether standard input was closed when the process started (Unix; on Windows, <see langword="false"/>).</summary>
    public static bool InputWasClosedAtStart() => WasClosedAtStart(0);

    /// <summary>Returns whether standard output was closed when the process started (Unix; on Windows, <see langword="false"/>).</summary>
    public static bool OutputWasClosedAtStart() => WasClosedAtStart(1);

    private static bool WasClosedAtStart(int descriptor)
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        int flags = GetDescriptorFlags(descriptor);
        return flags == -1 || (flags & CloseOnExec) != 0; // -1: the descriptor is not open at all
    }

    /// <summary><c>fcntl(fd, F_GETFD)</c>, through the runtime's own native shim (as the library's spool calls <c>lstat</c>).</summary>
    [DllImport("libSystem.Native", EntryPoint = "SystemNative_FcntlGetFD", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int GetDescriptorFlags(nint fd);
}
