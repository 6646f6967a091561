using System.Globalization;
using System.Runtime.InteropServices;

namespace RawDataDestination.Spool;

/// <summary>
/// What one path in the spool is, read without following it: a regular file or a folder owned by the process's user is
/// the only kind the spool trusts; a symbolic link (to a file or a folder), a FIFO, a socket or a device, or anything
/// another user owns, is never followed, opened or deleted. On Windows, links and junctions are refused by their reparse
/// point and devices by their attribute; owners are not compared there (ACLs, not owners, decide who writes).
/// </summary>
/// <param name="Path">The full path.</param>
/// <param name="Length">The length of a regular file; 0 for anything else.</param>
/// <param name="IsDirectory">Whether it is a folder (a real one, not a link to one).</param>
/// <param name="Untrusted">Why the spool does not trust it, or <see langword="null"/>.</param>
internal readonly record struct SpoolEntry(string Path, long Length, bool IsDirectory, string? Untrusted)
{
    private const int NoSuchEntry = 2; // ENOENT, the same on Linux and macOS
    private const int NotADirectory = 20; // ENOTDIR

    private static readonly Lazy<uint?> EffectiveUser = new(ReadEffectiveUser);

    /// <summary>Inspects <paramref name="path"/> without following it; <see langword="null"/> when nothing is there.</summary>
    public static SpoolEntry? Inspect(string path)
    {
        if (!OperatingSystem.IsWindows() && TryLStat(path, out NativeMethods.FileStatus status) is { } found)
        {
            if (!found)
            {
                return null;
            }

            int type = status.Mode & NativeMethods.TypeMask;
            string? foreign = EffectiveUser.Value is { } user && status.Uid != user
                ? string.Create(CultureInfo.InvariantCulture, $"it is owned by user {status.Uid}, not by this process's user ({user})")
                : null;
            return type switch
            {
                NativeMethods.TypeSymbolicLink => new SpoolEntry(path, 0, false, "it is a symbolic link, which the spool never follows"),
                NativeMethods.TypeDirectory => new SpoolEntry(path, 0, true, foreign),
                NativeMethods.TypeRegular => new SpoolEntry(path, status.Size, false, foreign),
                _ => new SpoolEntry(path, 0, false, $"it is a {SpecialKind(type)}, not a regular file; the spool never opens one"),
            };
        }

        // Windows, or a runtime without the shim: what managed code can tell.
        var info = new FileInfo(path);
        if (!info.Exists && !Directory.Exists(path) && info.LinkTarget is null)
        {
            return null;
        }

        FileAttributes attributes = info.Attributes;
        if ((attributes & FileAttributes.ReparsePoint) != 0)
        {
            return new SpoolEntry(path, 0, false, "it is a symbolic link or junction, which the spool never follows");
        }

        if ((attributes & FileAttributes.Device) != 0)
        {
            return new SpoolEntry(path, 0, false, "it is a device, not a regular file; the spool never opens one");
        }

        return (attributes & FileAttributes.Directory) != 0
            ? new SpoolEntry(path, 0, true, null)
            : new SpoolEntry(path, info.Length, false, null);
    }

    /// <summary>Whether the entry is a regular file the spool trusts.</summary>
    public bool IsTrustedFile => Untrusted is null && !IsDirectory;

    /// <summary>Whether the entry is a folder the spool trusts.</summary>
    public bool IsTrustedFolder => Untrusted is null && IsDirectory;

    /// <summary><see langword="true"/> or <see langword="false"/> for found or not, <see langword="null"/> when the shim is missing.</summary>
    private static bool? TryLStat(string path, out NativeMethods.FileStatus status)
    {
        try
        {
            if (NativeMethods.LStat(path, out status) == 0)
            {
                return true;
            }
        }
        catch (Exception exception) when (exception is DllNotFoundException or EntryPointNotFoundException)
        {
            status = default;
            return null;
        }

        int errno = Marshal.GetLastPInvokeError();
        return errno is NoSuchEntry or NotADirectory
            ? false
            : throw new IOException(string.Create(CultureInfo.InvariantCulture, $"Reading what '{path}' is (lstat) failed with errno {errno}."));
    }

    private static uint? ReadEffectiveUser()
    {
        if (OperatingSystem.IsWindows())
        {
            return null;
        }

        try
        {
            return NativeMethods.GetEUid();
        }
        catch (Exception exception) when (exception is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    private static string SpecialKind(int type) => type switch
    {
        0x1000 => "FIFO (named pipe)",
        0xC000 => "socket",
        0x2000 => "character device",
        0x6000 => "block device",
        _ => "special file",
    };
}
