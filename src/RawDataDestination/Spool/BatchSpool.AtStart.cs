using System.Text;
using System.Text.Json;

namespace RawDataDestination.Spool;

/// <summary>
/// What earlier runs left in the spool, for recovery: the files found at start (listed without following anything),
/// their checksums, their deletion once recovered, and the quarantine of what cannot be used.
/// </summary>
internal sealed partial class BatchSpool
{
    /// <summary>How the line after the SHA-256 in a sealed file's checksum file starts: the lane its batch was sealed for, as a JSON string.</summary>
    private const string SealedForLanePrefix = "lane ";

    /// <summary>The longest lane recorded (in JSON); a longer one is not recorded, and its batch is routed again at a restart as before.</summary>
    private const int MaxRecordedLaneLength = 2048;

    /// <summary>The checksum file's line naming the lane a batch was sealed for (after the SHA-256), or nothing.</summary>
    private static string SealedForLine(string? lane) =>
        lane is null || JsonSerializer.Serialize(lane) is not { Length: <= MaxRecordedLaneLength } json ? string.Empty : "\n" + SealedForLanePrefix + json;

    /// <summary>
    /// Reads the SHA-256 recorded for a sealed file found at start when its batch was sealed, or <see langword="null"/> for
    /// a file saved without one (or whose checksum file the spool does not trust), and the lane the batch was sealed for,
    /// if recorded (spools of earlier versions record none). Reads at most a few KB.
    /// </summary>
    public string? ReadChecksum(string sealedPath, out string? sealedForLane)
    {
        sealedForLane = null;
        string path = sealedPath + SpoolPaths.ChecksumExtension;
        if (!_checksumsAtStart.Contains(path))
        {
            return null;
        }

        string[] lines = ReadChecksumFile(path);
        string checksum = lines[0].Trim();
        if (lines.Length == 2 && lines[1].Trim() is { Length: > 0 } second && !TryReadSealedFor(second, out sealedForLane))
        {
            return checksum + "\n" + second; // not a line this spool wrote: no checksum it can trust
        }

        return checksum;
    }

    /// <summary>Reads a sealed file's checksum file: its first line (the SHA-256) and, if any, the rest, from at most its first <see cref="MaxChecksumFileBytes"/>.</summary>
    internal static string[] ReadChecksumFile(string path)
    {
        using FileStream file = File.OpenRead(path);
        byte[] text = new byte[MaxChecksumFileBytes];
        int length = file.ReadAtLeast(text, text.Length, throwOnEndOfStream: false);
        return Encoding.UTF8.GetString(text, 0, length).Split('\n', 2);
    }

    /// <summary>Reads the line <see cref="SealedForLine"/> wrote: the lane a batch was sealed for; <see langword="false"/> for any other line.</summary>
    private static bool TryReadSealedFor(string line, out string? lane)
    {
        lane = null;
        if (!line.StartsWith(SealedForLanePrefix, StringComparison.Ordinal))
        {
            return false;
        }

        try
        {
            lane = JsonSerializer.Deserialize<string>(line[SealedForLanePrefix.Length..]);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Counts a sealed file found at start, which <see cref="DeleteSealed"/> will delete once delivered.</summary>
    public void CountRecovered() => Interlocked.Increment(ref _sealedCount);

    /// <summary>Deletes a journal found at start, whose lines are now in a sealed file (or were none).</summary>
    public void DeleteJournal(string path)
    {
        Change(() => File.Delete(path));
        if (_countedAtStart.Remove(path, out long length))
        {
            Freed(length);
        }
    }

    /// <summary>Deletes a sealed file found at start, with its checksum, that is a copy of one delivered instead: its bytes are that file's.</summary>
    public void DeleteSealedCopy(string path)
    {
        Change(() =>
        {
            File.Delete(path);
            File.Delete(path + SpoolPaths.ChecksumExtension);
        });
        _checksumsAtStart.Remove(path + SpoolPaths.ChecksumExtension);
        if (_countedAtStart.Remove(path, out long length))
        {
            Freed(length);
        }
    }

    /// <summary>Deletes a journal found at start; <see langword="false"/> when it cannot be deleted (it stays, counted, and is left as it is).</summary>
    public bool TryDeleteJournal(string path)
    {
        try
        {
            DeleteJournal(path);
            return !File.Exists(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// Moves what recovery cannot use to <c>quarantine/</c>, where it is kept for a person to look at, and returns its new
    /// path: a file or a folder, a link or a FIFO alike, by a rename that neither follows nor opens it. A file counted in
    /// the spool's size at start no longer is, and its trusted checksum goes with it.
    /// </summary>
    public string Quarantine(string path, DateTimeOffset now)
    {
        string target = QuarantineTarget(path, now);
        Change(() =>
        {
            MoveEntry(path, target);
            if (_checksumsAtStart.Remove(path + SpoolPaths.ChecksumExtension))
            {
                File.Move(path + SpoolPaths.ChecksumExtension, target + SpoolPaths.ChecksumExtension);
            }
        });
        SyncMoved(path, target);

        if (_countedAtStart.Remove(path, out long length))
        {
            Freed(length);
        }

        return target;
    }

    /// <summary>
    /// Moves a sealed file waiting for delivery (saved by this run, or found at start) to <c>quarantine/</c>, with the
    /// checksum beside it, and returns its new path: kept there for a person to look at, never delivered. It no longer
    /// counts in the spool, as if deleted (<see cref="DeleteSealed"/>).
    /// </summary>
    public string QuarantineSealed(string path, long bytes, DateTimeOffset now)
    {
        string target = QuarantineTarget(path, now);
        Change(() =>
        {
            File.Move(path, target);
            if (File.Exists(path + SpoolPaths.ChecksumExtension))
            {
                File.Move(path + SpoolPaths.ChecksumExtension, target + SpoolPaths.ChecksumExtension);
            }
        });
        SyncMoved(path, target);
        Interlocked.Decrement(ref _sealedCount);
        Freed(SealedRoom(bytes));
        return target;
    }

    /// <summary>
    /// After a move to <c>quarantine/</c>: flushes the folder it went to, then the one it left, so a power cut keeps the
    /// move, not the old name (a sealed file found again at the next start and sent, a journal sealed again) nor neither.
    /// </summary>
    private void SyncMoved(string from, string to)
    {
        SyncFolder(Path.GetDirectoryName(to)!);
        SyncFolder(Path.GetDirectoryName(from)!);
    }

    /// <summary>Where in <c>quarantine/</c> <paramref name="path"/> goes: its place in the spool flattened into a name, after the time and a unique part; creates the folder.</summary>
    private string QuarantineTarget(string path, DateTimeOffset now)
    {
        PrivateFiles.CreateFolder(QuarantineRoot);
        return Path.Combine(QuarantineRoot, SpoolPaths.QuarantineName(Path.GetRelativePath(RootPath, path), $"{now:yyyyMMdd'T'HHmmss'Z'}-{Guid.NewGuid().ToString("N")[..8]}-"));
    }

    /// <summary>
    /// Lists the trusted files under <paramref name="root"/>, <paramref name="folderLevels"/> trusted folders deep, in
    /// path order, without following anything; adds every entry it does not trust to <paramref name="untrusted"/>, and
    /// a folder deeper than the spool makes as well.
    /// </summary>
    private static List<SpoolEntry> Scan(string root, int folderLevels, List<UntrustedEntry> untrusted)
    {
        var files = new List<SpoolEntry>();
        Walk(root, folderLevels);
        return files;

        void Walk(string folder, int levelsLeft)
        {
            List<string> paths;
            try
            {
                paths = [.. Directory.EnumerateFileSystemEntries(folder).Order(StringComparer.Ordinal)];
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException && folder != root)
            {
                untrusted.Add(new UntrustedEntry(folder, "it cannot be listed: " + exception.Message.TrimEnd('.')));
                return;
            }

            foreach (string path in paths)
            {
                SpoolEntry? found;
                try
                {
                    found = SpoolEntry.Inspect(path);
                }
                catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
                {
                    untrusted.Add(new UntrustedEntry(path, "what it is cannot be read: " + exception.Message.TrimEnd('.')));
                    continue;
                }

                if (found is not { } entry)
                {
                    continue; // gone since it was listed
                }

                if (entry.Untrusted is { } why)
                {
                    untrusted.Add(new UntrustedEntry(path, why));
                }
                else if (!entry.IsDirectory)
                {
                    files.Add(entry);
                }
                else if (levelsLeft > 0)
                {
                    Walk(path, levelsLeft - 1);
                }
                else
                {
                    untrusted.Add(new UntrustedEntry(path, "it is a folder where the spool keeps only files"));
                }
            }
        }
    }

    /// <summary>Renames, beside itself, what stands where the spool needs a file or folder of its own and is not one it trusts.</summary>
    private static void SetAsideUnlessOwn(string path, bool folder, List<UntrustedEntry> untrusted)
    {
        if (SpoolEntry.Inspect(path) is not { } entry || (entry.Untrusted is null && entry.IsDirectory == folder))
        {
            return;
        }

        string aside = SpoolPaths.SetAsidePath(path);
        MoveEntry(path, aside);
        untrusted.Add(new UntrustedEntry(path, entry.Untrusted ?? (folder ? "it is a file where the spool keeps a folder" : "it is a folder where the spool keeps a file"), aside));
    }

    /// <summary>Renames a file, a folder, a link (to either, or broken) or a FIFO, without following or opening it.</summary>
    private static void MoveEntry(string from, string to)
    {
        if (Directory.Exists(from))
        {
            Directory.Move(from, to); // a folder, or a link to one: rename(2) moves the link itself
        }
        else
        {
            try
            {
                File.Move(from, to);
            }
            catch (Exception) when (File.Exists(from) && File.Exists(to))
            {
                // .NET moves a file it cannot link (an immutable one) by a copy, then fails to delete it: the copy is not
                // the move, and would stand in quarantine beside the file left in place (two of one batch).
                File.Delete(to);
                throw;
            }
        }
    }
}
