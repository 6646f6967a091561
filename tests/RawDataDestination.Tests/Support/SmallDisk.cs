using System.Diagnostics;

namespace RawDataDestination.Tests.Support;

/// <summary>
/// A small disk of its own (a Linux tmpfs) mounted on a folder, to fill it on purpose: writes past its size fail with
/// "No space left on device", as on a full disk. Mounting needs root on Linux: <see cref="TryMount"/> says when it can't.
/// </summary>
internal sealed class SmallDisk : IDisposable
{
    private SmallDisk(string folder) => Folder = folder;

    /// <summary>Gets the folder the disk is mounted on.</summary>
    public string Folder { get; }

    /// <summary>Mounts a disk of <paramref name="bytes"/> on <paramref name="folder"/> (made if missing); <see langword="null"/> where that can't be done here.</summary>
    public static SmallDisk? TryMount(string folder, long bytes)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        Directory.CreateDirectory(folder);
        return Run("mount", "-t", "tmpfs", "-o", $"size={bytes},mode=0700", "tmpfs", folder) ? new SmallDisk(folder) : null;
    }

    /// <summary>Makes the disk <paramref name="bytes"/> large, keeping what is on it.</summary>
    public void Resize(long bytes) => Assert.That(Run("mount", "-o", $"remount,size={bytes}", Folder), Is.True, "remount " + Folder);

    public void Dispose() => Run("umount", "-l", Folder);

    private static bool Run(string command, params string[] arguments)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using Process process = Process.Start(start)!;
            process.StandardOutput.ReadToEnd();
            process.StandardError.ReadToEnd();
            return process.WaitForExit(10_000) && process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // no such command here
        }
    }
}
