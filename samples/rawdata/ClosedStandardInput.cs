using System.Runtime.InteropServices;

namespace RawDataDestination.Cli;

/// <summary>
/// Whether this process was started with its standard input closed (<c>rawdata ship &lt;&amp;-</c>). The .NET runtime
/// then takes descriptor 0 for a pipe of its own before <c>Main</c>, so reading standard input waited forever on that
/// pipe. A descriptor inherited across <c>exec</c> never has close-on-exec set (the kernel closes those), and the
/// runtime opens all of its own with it: a descriptor 0 with close-on-exec is not what the caller gave.
/// </summary>
internal static class ClosedStandardInput
{
    /// <summary><c>FD_CLOEXEC</c>, the same bit on Linux and macOS.</summary>
    private const int CloseOnExec = 1;

    /// <summary>Returns whether standard input was closed when the process started (Unix; on Windows, <see langword="false"/>).</summary>
    public static bool WasClosedAtStart()
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        int flags = GetDescriptorFlags(0);
        return flags == -1 || (flags & CloseOnExec) != 0; // -1: descriptor 0 is not open at all
    }

    /// <summary><c>fcntl(fd, F_GETFD)</c>, through the runtime's own native shim (as the library's spool calls <c>lstat</c>).</summary>
    [DllImport("libSystem.Native", EntryPoint = "SystemNative_FcntlGetFD", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int GetDescriptorFlags(nint fd);
}
