namespace RawDataDestination.Tests.Support;

/// <summary>
/// A small disk of its own (a Linux tmpfs) mounted on a folder, to fill it on purpose: writes past its size fail with
/// "No space left on device", as on a full disk. Mounting needs root on Linux: <see cref="TryMountAsync"/> says when it can't.
/// </summary>
internal sealed class SmallDisk : IAsyncDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private SmallDisk(string folder) => Folder = folder;

    /// <summary>Gets the folder the disk is mounted on.</summary>
    public string Folder { get; }

    /// <summary>Mounts a disk of <paramref name="bytes"/> on <paramref name="folder"/> (made if missing); <see langword="null"/> where that can't be done here.</summary>
    public static async Task<SmallDisk?> TryMountAsync(string folder, long bytes)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        Directory.CreateDirectory(folder);
        return await RunAsync("mount", "-t", "tmpfs", "-o", $"size={bytes},mode=0700", "tmpfs", folder) ? new SmallDisk(folder) : null;
    }

    /// <summary>Makes the disk <paramref name="bytes"/> large, keeping what is on it.</summary>
    public async Task ResizeAsync(long bytes) => Assert.That(await RunAsync("mount", "-o", $"remount,size={bytes}", Folder), Is.True, "remount " + Folder);

    /// <summary>Makes the disk read-only, as a disk the kernel remounted after errors.</summary>
    public async Task MakeReadOnlyAsync() => Assert.That(await RunAsync("mount", "-o", "remount,ro", Folder), Is.True, "remount ro " + Folder);

    /// <summary>
    /// Someone else fills the disk <paramref name="filler"/> is on, to its last byte, with that file (4 KB at a time);
    /// where <paramref name="pagesLeft"/> is given, the file is then cut to whole pages, less that many pages of 4 KB.
    /// </summary>
    public static void Fill(string filler, int? pagesLeft = null)
    {
        using var file = new FileStream(filler, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        byte[] page = new byte[4096];
        try
        {
            while (true)
            {
                file.Write(page);
            }
        }
        catch (IOException)
        {
            // full
        }

        if (pagesLeft is int pages)
        {
            file.SetLength(file.Length / 4096 * 4096 - (pages * 4096));
        }
    }

    public async ValueTask DisposeAsync() => await RunAsync("umount", "-l", Folder);

    private static async Task<bool> RunAsync(string command, params string[] arguments)
    {
        try
        {
            return (await ChildProcess.RunAsync(command, arguments, Bound)).ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // no such command here
        }
    }
}
