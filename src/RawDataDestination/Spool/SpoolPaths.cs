using System.Globalization;
using System.Text;
using RawDataDestination.Internal;

namespace RawDataDestination.Spool;

/// <summary>
/// Where each file of a spool lives, and what a path found in a spool means: its source folder and its day folder, read
/// back as a source id and a day. Source ids are written in a form that holds no upper-case letter (<c>A</c> becomes
/// <c>~a</c>), so two ids that differ only in case never share a folder, even on a case-insensitive file system; days
/// are folders named by their UTC midnight in Unix milliseconds (<see cref="UtcDayNames"/>), as in object keys. What a
/// file's name means (a batch's file name, a batch id) is the caller's to check: the spool stores what it is given.
/// </summary>
internal static class SpoolPaths
{
    /// <summary>
    /// The name in <c>quarantine/</c> of what was at <paramref name="relativePath"/> in the spool: <paramref name="before"/>
    /// (a time and a unique part, or a mark), then that place flattened (folders joined by <c>_</c>), its last 160 characters.
    /// </summary>
    public static string QuarantineName(string relativePath, string before)
    {
        string flat = relativePath.Replace(Path.DirectorySeparatorChar, '_');
        return before + (flat.Length > 160 ? flat[^160..] : flat);
    }

    public const string SealedFolder = "sealed";
    public const string JournalFolder = "journal";
    public const string TempFolder = "tmp";
    public const string QuarantineFolder = "quarantine";

    /// <summary>The folder of markers for journals whose batch was delivered while the journal itself could not be deleted.</summary>
    public const string DeliveredFolder = "delivered";

    /// <summary>The extension of a delivered-journal marker: <c>{batch id}.delivered</c>, holding the file name the batch was delivered as.</summary>
    public const string DeliveredExtension = ".delivered";

    /// <summary>Appended to a sealed file's path for the file that holds its SHA-256, recorded when the batch was sealed.</summary>
    public const string ChecksumExtension = ".sha256";
    public const string JournalExtension = ".ndjson";

    /// <summary>Between an entry's name and an id, in the name the spool renames an untrusted entry to (<see cref="SetAsidePath"/>).</summary>
    private const string SetAsideInfix = ".untrusted-";
    private const int SetAsideIdLength = 8;

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

    /// <summary>
    /// Reads a folder name written by <see cref="EncodeSourceId"/>; <see langword="null"/> when it is not one. Whether the
    /// id is a valid source id is the caller's to check.
    /// </summary>
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

        return decoded.Length == 0 ? null : decoded.ToString();
    }

    /// <summary>The folder of one source's files of one day under <paramref name="root"/> (the sealed, journal or delivered folder).</summary>
    public static string DayFolder(string root, string sourceId, DateOnly receivedDay) =>
        Path.Combine(root, EncodeSourceId(sourceId), UtcDayNames.Format(receivedDay));

    /// <summary>
    /// Reads <c>{source}/{day}/{name}</c> relative to <paramref name="root"/>; returns why it is not one, or
    /// <see langword="null"/> with the source id, the day and the file name.
    /// </summary>
    public static string? TryParse(string root, string path, out string sourceId, out DateOnly receivedDay, out string fileName)
    {
        sourceId = fileName = "";
        receivedDay = default;
        string[] parts = Path.GetRelativePath(root, path).Split(Path.DirectorySeparatorChar);
        if (parts.Length != 3)
        {
            return $"it is not at {{source}}/{{day}}/{{file}} under '{root}'";
        }

        if (DecodeSourceId(parts[0]) is not { } decoded)
        {
            return NotASourceFolder(parts[0]);
        }

        if (UtcDayNames.TryParse(parts[1], out receivedDay) is { } notADay)
        {
            return "its folder " + notADay;
        }

        sourceId = decoded;
        fileName = parts[2];
        return null;
    }

    /// <summary>Why a path's source folder is not one: <paramref name="folder"/> holds no source id written by this library.</summary>
    public static string NotASourceFolder(string folder) => $"its folder '{folder}' is not a source id written by this library";

    /// <summary>Whether <paramref name="fileName"/> is a name the spool gives a file in <c>tmp/</c>: 32 lower-case hex digits.</summary>
    public static bool IsTempName(string fileName) =>
        fileName.Length == 32 && fileName.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    /// <summary>
    /// The path the spool renames an entry at <paramref name="path"/> to, beside it, when it stands where the spool needs
    /// its lock file or a top folder and is not one the spool trusts: <c>{name}.untrusted-{id}</c>, the id 8 lower-case hex digits.
    /// </summary>
    public static string SetAsidePath(string path) => $"{path}{SetAsideInfix}{Guid.NewGuid().ToString("N")[..SetAsideIdLength]}";

    /// <summary>
    /// Reads a name <see cref="SetAsidePath"/> gives back: the name of the entry that was renamed (<c>tmp</c> for
    /// <c>tmp.untrusted-89a88adb</c>), for the caller to check is one of the spool's, or <see langword="null"/>.
    /// </summary>
    public static string? SetAsideFrom(string fileName)
    {
        int infix = fileName.LastIndexOf(SetAsideInfix, StringComparison.Ordinal);
        string id = infix < 0 ? string.Empty : fileName[(infix + SetAsideInfix.Length)..];
        return infix > 0 && id.Length == SetAsideIdLength && id.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f') ? fileName[..infix] : null;
    }

    /// <summary>The name of a journal: <c>{batch id}.ndjson</c>.</summary>
    public static string JournalName(string batchId) => batchId + JournalExtension;

    /// <summary>
    /// The name a journal is renamed to, in its folder, once its batch is sealed and the spool could not keep the sealed
    /// file (a full disk; the batch is then delivered from memory): <c>{sealed-at unix ms}.{batch id}.ndjson</c>, the
    /// seal time its file name was made with, so a restart seals the journal again under that same file name; with the
    /// lane the batch was sealed for, <c>{sealed-at unix ms}.{lane tag}.{batch id}.ndjson</c> (<see cref="LaneTag"/>), so
    /// a restart holds it for that lane as it holds a sealed file. A rename needs no room on the disk.
    /// </summary>
    public static string SealedJournalName(DateTimeOffset sealedAt, string batchId, string? sealedForLane = null) =>
        sealedForLane is null
            ? string.Create(CultureInfo.InvariantCulture, $"{sealedAt.ToUnixTimeMilliseconds()}.{batchId}{JournalExtension}")
            : string.Create(CultureInfo.InvariantCulture, $"{sealedAt.ToUnixTimeMilliseconds()}.{LaneTag(sealedForLane)}.{batchId}{JournalExtension}");

    /// <summary>The length of a <see cref="LaneTag"/>: 16 lower-case hex digits.</summary>
    private const int LaneTagLength = 16;

    /// <summary>
    /// A lane as a journal's name records it (a lane key may be any text, of any length; a file name may not): the first
    /// 8 bytes of the SHA-256 of its UTF-8, in lower-case hex. A batch's lane recorded so reads back as <see cref="LaneByTag"/>,
    /// which the delivery stage matches against a lane's key by this tag (<see cref="IsLane"/>).
    /// </summary>
    public static string LaneTag(string lane) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(lane)).AsSpan(0, LaneTagLength / 2));

    /// <summary>How a lane known only by its <see cref="LaneTag"/> is named: <c>sha256:{tag}</c>.</summary>
    public const string LaneByTagPrefix = "sha256:";

    /// <summary>The name of a lane known only by its tag (<see cref="LaneByTagPrefix"/>).</summary>
    public static string LaneByTag(string tag) => LaneByTagPrefix + tag;

    /// <summary>Whether <paramref name="sealedFor"/>, a lane recorded with a batch, is the lane of key <paramref name="key"/>: the same key, or that key's tag.</summary>
    public static bool IsLane(string sealedFor, string key) =>
        sealedFor == key || (sealedFor.StartsWith(LaneByTagPrefix, StringComparison.Ordinal) && sealedFor.AsSpan(LaneByTagPrefix.Length).SequenceEqual(LaneTag(key)));

    /// <summary>Reads a journal's name back (<see cref="JournalBatchId(string, out DateTimeOffset?, out string?)"/>): the batch id alone.</summary>
    public static string? JournalBatchId(string fileName) => JournalBatchId(fileName, out _, out _);

    /// <summary>Reads a journal's name back, without the lane tag (<see cref="JournalBatchId(string, out DateTimeOffset?, out string?)"/>).</summary>
    public static string? JournalBatchId(string fileName, out DateTimeOffset? sealedAt) => JournalBatchId(fileName, out sealedAt, out _);

    /// <summary>
    /// Reads a journal's name back: <c>{batch id}.ndjson</c> (<see cref="JournalName"/>), or
    /// <c>{sealed-at unix ms}.{batch id}.ndjson</c> or <c>{sealed-at unix ms}.{lane tag}.{batch id}.ndjson</c>
    /// (<see cref="SealedJournalName"/>, with <paramref name="sealedAt"/> set, and <paramref name="laneTag"/> for the
    /// latter). Returns the batch id (for the caller to check, as the seal time), or <see langword="null"/>.
    /// </summary>
    public static string? JournalBatchId(string fileName, out DateTimeOffset? sealedAt, out string? laneTag)
    {
        sealedAt = null;
        laneTag = null;
        if (!fileName.EndsWith(JournalExtension, StringComparison.Ordinal) || fileName.Length == JournalExtension.Length)
        {
            return null;
        }

        string stem = fileName[..^JournalExtension.Length];
        int dot = stem.IndexOf('.', StringComparison.Ordinal);
        if (dot < 0)
        {
            return stem;
        }

        if (dot == 0 || dot == stem.Length - 1
            || !long.TryParse(stem.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out long milliseconds)
            || milliseconds > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            return null;
        }

        string rest = stem[(dot + 1)..];
        int second = rest.IndexOf('.', StringComparison.Ordinal);
        if (second >= 0)
        {
            string tag = rest[..second];
            if (tag.Length != LaneTagLength || !tag.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f') || second == rest.Length - 1)
            {
                return null;
            }

            laneTag = tag;
            rest = rest[(second + 1)..];
        }

        sealedAt = DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
        return rest;
    }

    /// <summary>Why a file under <c>journal/</c> is not a batch's journal.</summary>
    public static string NotAJournalName(string fileName) => $"its name '{fileName}' is not {{batch id}}.ndjson, {{sealed-at unix ms}}.{{batch id}}.ndjson or {{sealed-at unix ms}}.{{lane tag}}.{{batch id}}.ndjson";
}
