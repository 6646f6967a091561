using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using RawDataDestination.Batching;
using RawDataDestination.Internal;
using RawDataDestination.Spool;

namespace RawDataDestination.Cli;

/// <summary>
/// The rule for a copy of a batch the spool holds: a journal or a sealed file copied by hand (a restore into the wrong
/// day folder, a <c>cp</c> under a new batch id, a backup beside it) whose bytes are those of another file of the spool.
/// The spool delivers each file under <c>journal/</c> and <c>sealed/</c> as a batch of its own, so a copy under a name
/// the spool gives a batch was delivered a second time, exit 0, without a word (and one in another day's folder landed in
/// that day's folder of the bucket). So, once the spool is held and before it lists what earlier runs left, the files of
/// the same bytes (by SHA-256; only files of the same length are read) are kept once: the one a round record names (the
/// journal <c>ship</c> wrote, or the sealed file of its batch), else the one under a name the spool gives a batch, in the
/// day folder of its events' day, the oldest; every other is set aside (but one a round record names too: the input held
/// those lines twice) in the spool's quarantine under a name of its own
/// (<see cref="Prefix"/>), never delivered, with a warning naming the batch it copies. No batch is lost: one of the same
/// bytes is always kept, and what can't be read is left as it is.
/// </summary>
internal static class SpoolCopies
{
    /// <summary>How the name of a copy set aside here starts, in the spool's quarantine folder.</summary>
    public const string Prefix = "copy-";

    /// <summary>Whether the quarantine entry at <paramref name="path"/> is a copy this rule set aside (it holds no batch: the one it copies is kept).</summary>
    public static bool IsCopy(string path) => Path.GetFileName(path).StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>
    /// Sets aside every file under <c>journal/</c> and under <c>sealed/</c> of <paramref name="spool"/> whose bytes equal
    /// another's there, but one of each; <paramref name="recorded"/> holds the journals (relative to the spool, as round
    /// records name them) that round records name. Returns each copy set aside, with the file kept.
    /// </summary>
    public static IReadOnlyList<SpoolCopy> SetAside(string spool, IReadOnlySet<string> recorded, DateTimeOffset now)
    {
        string spoolRoot = Path.GetFullPath(spool);
        var copies = new List<SpoolCopy>();
        foreach ((string area, bool gz) in new[] { (SpoolPaths.JournalFolder, false), (SpoolPaths.SealedFolder, true) })
        {
            foreach (IGrouping<long, FileInfo> sameLength in Files(Path.Combine(spoolRoot, area), gz).GroupBy(file => file.Length).Where(group => group.Count() > 1))
            {
                foreach (IGrouping<string, FileInfo> same in sameLength.Select(file => (File: file, Hash: Hash(file.FullName))).Where(file => file.Hash is not null)
                    .GroupBy(file => file.Hash!, file => file.File, StringComparer.Ordinal).Where(group => group.Count() > 1))
                {
                    List<FileInfo> ranked = [.. same.OrderByDescending(file => Recorded(spoolRoot, file.FullName, recorded, gz)).ThenByDescending(file => BatchName(file.Name, gz))
                        .ThenByDescending(file => InItsDay(Path.Combine(spoolRoot, area), file.FullName, gz)).ThenBy(file => file.LastWriteTimeUtc).ThenBy(file => file.FullName, StringComparer.Ordinal)];
                    foreach (FileInfo copy in ranked.Skip(1).Where(file => !Recorded(spoolRoot, file.FullName, recorded, gz)))
                    {
                        if (SetAsideBatches.MoveToQuarantine(spoolRoot, copy.FullName, Prefix, now) is { } target)
                        {
                            if (gz && File.Exists(copy.FullName + SpoolPaths.ChecksumExtension))
                            {
                                SetAsideBatches.MoveToQuarantine(spoolRoot, copy.FullName + SpoolPaths.ChecksumExtension, Prefix, now);
                            }

                            copies.Add(new SpoolCopy(copy.FullName, ranked[0].FullName, target));
                        }
                    }
                }
            }
        }

        return copies;
    }

    /// <summary>The warning for <paramref name="copy"/>, as one line.</summary>
    public static string Warning(SpoolCopy copy) =>
        $"warning: '{copy.Was}' is a copy of the batch '{copy.Of}' (the same bytes, by SHA-256; a copy by hand or a restore), which the spool holds and delivers under its own name: "
        + $"the copy was not delivered (its events would come twice{(SameDayFolder(copy) ? string.Empty : ", in a day folder not their own")}) and was set aside as '{copy.Target}': do not ship it; delete it.";

    private static bool SameDayFolder(SpoolCopy copy) => Path.GetDirectoryName(copy.Was) == Path.GetDirectoryName(copy.Of);

    /// <summary>The regular files under <paramref name="folder"/>, not empty (a sealed area's <c>.gz</c> files only); none when it can't be listed.</summary>
    private static List<FileInfo> Files(string folder, bool gz)
    {
        try
        {
            if (!Directory.Exists(folder))
            {
                return [];
            }

            var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true };
            return [.. new DirectoryInfo(folder).EnumerateFiles(gz ? "*.gz" : "*", options)
                .Where(file => file.Length > 0 && file.LinkTarget is null && SpoolEntry.Inspect(file.FullName) is { IsTrustedFile: true })];
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static string? Hash(string path)
    {
        try
        {
            using FileStream stream = new(path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Options = FileOptions.SequentialScan });
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null; // what can't be read is not compared, and stays
        }
    }

    /// <summary>Whether a round record names the journal at <paramref name="path"/>, or, for a sealed file, its batch's journal.</summary>
    private static bool Recorded(string spoolRoot, string path, IReadOnlySet<string> recorded, bool gz)
    {
        string relative = Path.GetRelativePath(spoolRoot, path);
        if (!gz)
        {
            return recorded.Contains(relative)
                || (SpoolPaths.JournalBatchId(Path.GetFileName(path)) is { } batchId && recorded.Contains(Path.Combine(Path.GetDirectoryName(relative)!, SpoolPaths.JournalName(batchId))));
        }

        if (BatchNaming.TryParseFileName(Path.GetFileName(path), out _, out string sealedId) is not null)
        {
            return false;
        }

        string partition = Path.GetRelativePath(SpoolPaths.SealedFolder, Path.GetDirectoryName(relative)!);
        return recorded.Contains(Path.Combine(SpoolPaths.JournalFolder, partition, SpoolPaths.JournalName(sealedId)));
    }

    private static bool BatchName(string name, bool gz) => gz ? BatchNaming.TryParseFileName(name, out _, out _) is null : SpoolPaths.JournalBatchId(name) is not null;

    /// <summary>Whether the first event of the file at <paramref name="path"/> was received on the day of its folder; <see langword="false"/> when that can't be told.</summary>
    private static bool InItsDay(string area, string path, bool gz)
    {
        if (SpoolPaths.TryParse(area, path, out _, out DateOnly day, out _) is not null)
        {
            return false;
        }

        try
        {
            using FileStream file = new(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            using Stream stream = gz ? new GZipStream(file, CompressionMode.Decompress) : file;
            using var reader = new StreamReader(stream);
            char[] buffer = new char[1 << 20];
            int read = reader.ReadBlock(buffer, 0, buffer.Length);
            int end = Array.IndexOf(buffer, '\n', 0, read);
            using JsonDocument first = JsonDocument.Parse(buffer.AsMemory(0, end < 0 ? read : end));
            return first.RootElement.TryGetProperty("receivedAt", out JsonElement receivedAt) && receivedAt.TryGetDateTimeOffset(out DateTimeOffset at)
                && DateOnly.FromDateTime(at.UtcDateTime) == day;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or InvalidDataException or JsonException or InvalidOperationException)
        {
            return false;
        }
    }
}

/// <summary>A copy <see cref="SpoolCopies"/> set aside: where it was, the file of the same bytes kept, and where the copy went.</summary>
/// <param name="Was">The copy, where it was in the spool.</param>
/// <param name="Of">The file of the same bytes the spool keeps and delivers.</param>
/// <param name="Target">Where the copy went, in the spool's quarantine folder.</param>
internal sealed record SpoolCopy(string Was, string Of, string Target);
