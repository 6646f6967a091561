namespace RawDataDestination.Spool;

/// <summary>
/// Creates the spool's folders and files readable by the owner only (folders 0700, files 0600 on Unix), with that mode
/// given at creation, so there is no moment when another user could open them. Spooled events are often personal data.
/// </summary>
internal static class PrivateFiles
{
    private const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>
    /// Creates <paramref name="path"/> and any missing parents, each 0700, each one's parent flushed after it
    /// (<see cref="SyncFolder"/>), so a file renamed into it later does not vanish with it in a power cut. Existing folders
    /// are left as they are.
    /// </summary>
    public static void CreateFolder(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            // CreateDirectory(path, mode) gives the mode to the last folder only: create each missing one with it.
            var missing = new Stack<string>();
            for (string? folder = Path.GetFullPath(path); folder is not null && !Directory.Exists(folder); folder = Path.GetDirectoryName(folder))
            {
                missing.Push(folder);
            }

            while (missing.TryPop(out string? folder))
            {
                Directory.CreateDirectory(folder, FolderMode);
                if (Path.GetDirectoryName(folder) is { } parent)
                {
                    SyncFolder(parent);
                }
            }
        }
    }

    /// <summary>
    /// The spool's one directory <c>fsync</c>: flushes <paramref name="folder"/>'s entries, so a rename into it (or a
    /// file or folder created in it) survives a power cut; the file's own bytes need their own flush first. Best effort,
    /// never throws: the rename is done either way, and a file system that cannot flush a folder (EINVAL) is passed
    /// over. Nothing on Windows, whose file systems journal their names. Returns whether the folder was flushed.
    /// </summary>
    public static bool SyncFolder(string folder)
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        try
        {
            return NativeMethods.FSyncFolder(folder) == 0;
        }
        catch (Exception exception) when (exception is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Opens a file, creating it 0600 when it does not exist.</summary>
    public static FileStream Open(string path, System.IO.FileMode mode, FileAccess access, FileShare share, int bufferSize = 4096)
    {
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = share, BufferSize = bufferSize };
        if (!OperatingSystem.IsWindows() && mode != System.IO.FileMode.Open)
        {
            options.UnixCreateMode = FileMode;
        }

        return new FileStream(path, options);
    }
}
