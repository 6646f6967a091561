using System.Runtime.InteropServices;

namespace RawDataDestination.Tests.Support;

/// <summary>
/// Sends a signal to a child process, as <c>kill -SIGNAL PID</c> does. .NET has no managed call for it
/// (<see cref="Process.Kill()"/> only sends KILL), so this calls libc's <c>kill</c> rather than starting <c>/bin/kill</c>.
/// </summary>
internal static class Signals
{
    private const int NoSuchProcess = 3; // ESRCH, on Linux and macOS alike

    /// <summary>Sends <paramref name="signal"/> (INT, TERM, KILL, STOP or CONT) to <paramref name="process"/> and returns without waiting.</summary>
    /// <returns>Whether it was sent: <see langword="false"/> when the process had already ended.</returns>
    public static bool Send(Process process, string signal)
    {
        if (process.HasExited)
        {
            return false;
        }

        if (Kill(process.Id, Number(signal)) == 0)
        {
            return true;
        }

        int error = Marshal.GetLastPInvokeError();
        if (error == NoSuchProcess)
        {
            return false;
        }

        throw new InvalidOperationException($"kill -{signal} {process.Id} failed: errno {error}");
    }

    /// <summary>The signal's number: HUP 1, INT 2, KILL 9 and TERM 15 everywhere; STOP and CONT differ between Linux and macOS.</summary>
    public static int Number(string signal) => signal switch
    {
        "HUP" => 1,
        "INT" => 2,
        "KILL" => 9,
        "TERM" => 15,
        "STOP" => OperatingSystem.IsMacOS() ? 17 : 19,
        "CONT" => OperatingSystem.IsMacOS() ? 19 : 18,
        _ => throw new ArgumentOutOfRangeException(nameof(signal), signal, "HUP, INT, TERM, KILL, STOP or CONT"),
    };

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Kill(int pid, int signal);
}
