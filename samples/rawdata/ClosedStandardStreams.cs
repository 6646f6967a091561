using System.Runtime.InteropServices;

namespace RawDataDestination.Cli;

/// <summary>
/// Whether this process was started with its standard input, output or error closed (<c>rawdata ship &lt;&amp;-</c>,
/// <c>rawdata generate &gt;&amp;-</c>, <c>2&gt;&amp;-</c>). The .NET runtime then takes descriptor 0, 1 or 2 for a pipe of its
/// own before <c>Main</c>: reading standard input waited forever on that pipe, and writing standard output or error failed
/// with "Access to the path is denied". A descriptor inherited across <c>exec</c> never has close-on-exec set (the kernel closes those),
/// and the runtime opens all of its own with it: a descriptor 0, 1 or 2 with close-on-exec is not what the caller gave.
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

    /// <summary>
    /// Returns whether standard error was closed when the process started (<c>2&gt;&amp;-</c>; Unix; on Windows,
    /// <see langword="false"/>). Writing to the runtime's pipe there failed, and the process aborted (exit 134) at its
    /// first message.
    /// </summary>
    public static bool ErrorWasClosedAtStart() => WasClosedAtStart(2);

    /// <summary>
    /// Runs on with standard error discarded when it was closed at start, as with <c>2&gt;/dev/null</c>: the user closed it
    /// on purpose, and the exit code still tells how the run ended.
    /// </summary>
    public static void DiscardErrorIfClosedAtStart()
    {
        if (ErrorWasClosedAtStart())
        {
            Console.SetError(TextWriter.Null);
        }
    }

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
