using System.Runtime.InteropServices;

namespace RawDataDestination.Spool;

/// <summary>
/// <c>lstat</c>, <c>geteuid</c> and a folder's <c>fsync</c> through the .NET runtime's own native shim (<c>libSystem.Native</c>, present in every
/// .NET runtime on Unix): .NET has no managed API for a file's type (FIFO, socket, device) or owner. The shim's
/// <c>FileStatus</c> starts with the same five fields in every .NET version (flags, mode, uid, gid, size), with the mode's
/// type bits normalized to the values below on every Unix; the struct given to it is far larger than the shim's, so a
/// later runtime that adds fields at its end writes into room reserved for them.
/// </summary>
internal static class NativeMethods
{
    /// <summary>The type bits of <see cref="FileStatus.Mode"/>, as the shim normalizes them.</summary>
    public const int TypeMask = 0xF000;

    public const int TypeRegular = 0x8000;

    public const int TypeDirectory = 0x4000;

    public const int TypeSymbolicLink = 0xA000;

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_LStat", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int LStat(byte[] nullTerminatedUtf8Path, out FileStatus status);

    /// <summary>Reads what <paramref name="path"/> is, without following a link; returns 0, or -1 with errno set.</summary>
    public static int LStat(string path, out FileStatus status)
    {
        byte[] utf8 = new byte[System.Text.Encoding.UTF8.GetByteCount(path) + 1];
        System.Text.Encoding.UTF8.GetBytes(path, utf8);
        return LStat(utf8, out status);
    }

    /// <summary>The shim's <c>O_RDONLY | O_CLOEXEC</c> (its own flag values, the same on every Unix).</summary>
    private const int OpenReadOnlyCloseOnExec = 0x0010;

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_Open", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern IntPtr Open(byte[] nullTerminatedUtf8Path, int flags, int mode);

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_FSync", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int FSync(IntPtr fd);

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_Close", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Close(IntPtr fd);

    /// <summary>
    /// Flushes a folder's entries to disk (<c>open</c> it read-only, <c>fsync</c>, <c>close</c>): the names renamed or
    /// created in it survive a power cut. .NET opens no folder as a file. Returns 0, or the errno of the step that failed.
    /// </summary>
    public static int FSyncFolder(string path)
    {
        byte[] utf8 = new byte[System.Text.Encoding.UTF8.GetByteCount(path) + 1];
        System.Text.Encoding.UTF8.GetBytes(path, utf8);
        IntPtr fd = Open(utf8, OpenReadOnlyCloseOnExec, 0);
        if (fd == -1)
        {
            return Marshal.GetLastPInvokeError();
        }

        try
        {
            return FSync(fd) == 0 ? 0 : Marshal.GetLastPInvokeError();
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_GetEUid")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern uint GetEUid();

    /// <summary>The leading fields of the shim's <c>FileStatus</c>, in 512 bytes of room.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 512)]
    public struct FileStatus
    {
        public int Flags;
        public int Mode;
        public uint Uid;
        public uint Gid;
        public long Size;
    }
}
