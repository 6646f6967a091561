namespace RawDataDestination.Tests.Spool;

/// <summary>
/// Makes a file impossible to delete (or rename) for this process, and undoes it: as root, the immutable attribute
/// (<c>chattr +i</c>, which root cannot bypass); as another user, a read-only folder around it. Either way the file
/// stays readable.
/// </summary>
internal static class Undeletable
{
    /// <summary>Ignores the test unless this process may make <paramref name="what"/> immutable: Linux, as root (<c>chattr +i</c>).</summary>
    public static void RequireImmutable(string what)
    {
        if (!Environment.IsPrivilegedProcess || !OperatingSystem.IsLinux())
        {
            Assert.Ignore($"needs Linux and root, to make {what} immutable (chattr +i)");
        }
    }

    public static IDisposable Make(string file)
    {
        if (Environment.IsPrivilegedProcess)
        {
            if (Run("chattr", "+i", file) != 0)
            {
                Assert.Ignore("chattr +i is not available here (needs CAP_LINUX_IMMUTABLE and a file system that has the attribute); a root process can delete any file otherwise.");
            }

            return new Undo(() => Run("chattr", "-i", file));
        }

        if (OperatingSystem.IsWindows())
        {
            Assert.Ignore("the spool's undeletable-file cases are Unix cases");
            return new Undo(() => { });
        }

        string folder = Path.GetDirectoryName(file)!;
        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        return new Undo(() =>
        {
            if (!OperatingSystem.IsWindows())
            {
                Writable(folder);
            }
        });
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void Writable(string folder) => File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

    private static int Run(string program, params string[] arguments)
    {
        try
        {
            using Process process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardError = true, UseShellExecute = false })!;
            process.StandardError.ReadToEnd();
            return process.WaitForExit(30_000) ? process.ExitCode : -1;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return -1;
        }
    }

    private sealed class Undo(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }
}
