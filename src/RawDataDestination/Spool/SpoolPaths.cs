using System.Globalization;
using System.Text;
using RawDataDestination.Batching;
using RawDataDestination.Internal;
using RawDataDestination.S3;

namespace RawDataDestination.Spool;

/// <summary>
/// Where each file of a spool lives, and what a path found in a spool means. Source ids are written in a form that
/// holds no upper-case letter (<c>A</c> becomes <c>~a</c>), so two ids that differ only in case never share a folder,
/// even on a case-insensitive file system; days are folders named by their UTC midnight in Unix milliseconds, as in
/// object keys.
/// </summary>
internal static class SpoolPaths
{
    public const string SealedFolder = "sealed";
    public const string JournalFolder = "journal";
    public const string TempFolder = "tmp";
    public const string QuarantineFolder = "quarantine";

    /// <summary>The folder of markers for journals whose batch was delivered while the journal itself could not be deleted.</summary>
    public const string DeliveredFolder = "delivered";

    /// <summary>The extension of a delivered-journal marker: <c>{batch id}.delivered</c>, holding the file name the batch was delivered as.</summary>
    public const string DeliveredExtension = ".delivered";
    public const string SealedExtension = ".gz";

    /// <summary>Appended to a sealed file's path for the file that holds its SHA-256, recorded when the batch was sealed.</summary>
    public const string ChecksumExtension = ".sha256";
    public const string JournalExtension = ".ndjson";

    /// <summary>The source id as a folder name: every upper-case ASCII letter becomes <c>~</c> and its lower case.</summary>
    public static string EncodeSourceId(string sourceId)
    {
        if (!sourceId.Any(char.IsAsciiLetterUpper))
        {
            return sourceId;
        }

        var encoded = new StringBuilder(sourceId.Length + 8);
        foreach (char c in sourceId)
        {
            encoded.Append(char.IsAsciiLetterUpper(c) ? "~" + char.ToLowerInvariant(c) : c.ToString());
        }

        return encoded.ToString();
    }

    /// <summary>Reads a folder name written by <see cref="EncodeSourceId"/>; <see langword="null"/> when it is not one.</summary>
    public static string? DecodeSourceId(string folder)
    {
        var decoded = new StringBuilder(folder.Length);
        for (int i = 0; i < folder.Length; i++)
        {
            char c = folder[i];
            if (c == '~')
            {
                if (i + 1 >= folder.Length || !char.IsAsciiLetterLower(folder[i + 1]))
                {
                    return null;
                }

                decoded.Append(char.ToUpperInvariant(folder[++i]));
            }
            else if (char.IsAsciiLetterUpper(c))
            {
                return null; // written by no version of this code: case-insensitive file systems could merge it
            }
            else
            {
                decoded.Append(c);
            }
        }

        string sourceId = decoded.ToString();
        return SourceIdRules.Error(sourceId) is null ? sourceId : null;
    }

    /// <summary>The folder of a partition under <paramref name="root"/> (the sealed or the journal folder).</summary>
    public static string PartitionFolder(string root, PartitionKey partition) =>
        Path.Combine(root, EncodeSourceId(partition.SourceId), ObjectKeyLayout.ReceivedDayFolder(partition.ReceivedDay));

    /// <summary>
    /// Reads <c>{source}/{day}/{name}</c> relative to <paramref name="root"/>; returns why it is not one, or
    /// <see langword="null"/> with the partition and file name.
    /// </summary>
    public static string? TryParse(string root, string path, out PartitionKey partition, out string fileName)
    {
        partition = default;
        fileName = "";
        string[] parts = Path.GetRelativePath(root, path).Split(Path.DirectorySeparatorChar);
        if (parts.Length != 3)
        {
            return $"it is not at {{source}}/{{day}}/{{file}} under '{root}'";
        }

        if (DecodeSourceId(parts[0]) is not { } sourceId)
        {
            return $"its folder '{parts[0]}' is not a source id written by this library";
        }

        if (ObjectKeyLayout.TryParseReceivedDayFolder(parts[1], out DateOnly receivedDay) is { } notADay)
        {
            return "its folder " + notADay;
        }

        partition = new PartitionKey(sourceId, receivedDay);
        fileName = parts[2];
        return null;
    }

    /// <summary>Reads a sealed file's name, the batch's file name in its key (<see cref="ObjectKeyLayout.TryParseFileName"/>); returns why it is not one, or <see langword="null"/>.</summary>
    public static string? TryParseSealedName(string fileName, out DateTimeOffset sealedAt, out string batchId) =>
        ObjectKeyLayout.TryParseFileName(fileName, out sealedAt, out batchId) is { } notAFileName ? "its name " + notAFileName : null;

    /// <summary>Whether <paramref name="fileName"/> is a name the spool gives a file in <c>tmp/</c>: 32 lower-case hex digits.</summary>
    public static bool IsTempName(string fileName) =>
        fileName.Length == 32 && fileName.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    /// <summary>Reads a journal's name, <c>{batch id}.ndjson</c>; returns why it is not one, or <see langword="null"/>.</summary>
    public static string? TryParseJournalName(string fileName, out string batchId)
    {
        batchId = fileName.EndsWith(JournalExtension, StringComparison.Ordinal) ? fileName[..^JournalExtension.Length] : "";
        return ObjectKeyLayout.BatchIdError(batchId) is null ? null : $"its name '{fileName}' is not {{batch id}}.ndjson";
    }
}
