using System.Runtime.InteropServices;

namespace RawDataDestination.Spool;

/// <summary>
/// The size of the blocks a file system gives files (<c>statvfs</c>'s <c>f_frsize</c>, else <c>f_bsize</c>): a file
/// takes its length rounded up to whole blocks on the disk, 4 KB on ext4 and tmpfs for a 40-byte journal. The spool
/// counts its files so (QA O1: 836 journals holding 136 KB took 2.8 MB of an 8 MB disk, which the spool counted as
/// 136 KB, so its limit was never met and the disk filled). Read once per spool; where it cannot be read (Windows,
/// a C library without <c>statvfs</c>) it is taken to be <see cref="Fallback"/>.
/// </summary>
internal static class FileSystemBlocks
{
    /// <summary>The block size taken when the file system's cannot be read: ext4's, tmpfs's (a page) and NTFS's default.</summary>
    public const long Fallback = 4096;

    /// <summary>The least and most block size taken as read: anything else is a misreading (the struct's layout not as expected).</summary>
    private const long Least = 512, Most = 1024 * 1024;

    [DllImport("libc", EntryPoint = "statvfs", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int StatVfs(byte[] nullTerminatedUtf8Path, out StatVfsHead buffer);

    /// <summary>Gets the block size of the file system <paramref name="path"/> is on, or <see cref="Fallback"/>.</summary>
    public static long Of(string path) => Read(path) ?? Fallback;

    /// <summary>Reads the block size of the file system <paramref name="path"/> is on; <see langword="null"/> where it cannot be read.</summary>
    internal static long? Read(string path)
    {
        if (OperatingSystem.IsWindows() || IntPtr.Size != 8)
        {
            return null;
        }

        try
        {
            byte[] utf8 = new byte[System.Text.Encoding.UTF8.GetByteCount(path) + 1];
            System.Text.Encoding.UTF8.GetBytes(path, utf8);
            if (StatVfs(utf8, out StatVfsHead head) != 0)
            {
                return null;
            }

            long size = head.FragmentSize is > 0 and <= Most ? (long)head.FragmentSize : (long)head.BlockSize;
            return size is >= Least and <= Most ? size : null;
        }
        catch (Exception exception) when (exception is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// The two leading fields of <c>struct statvfs</c> on 64-bit Linux (glibc, musl) and macOS: <c>unsigned long f_bsize,
    /// f_frsize</c>; the rest in room to spare (glibc's struct is 112 bytes).
    /// </summary>
    [StructLayout(LayoutKind.Sequential, Size = 512)]
    private struct StatVfsHead
    {
        public ulong BlockSize;
        public ulong FragmentSize;
    }
}
