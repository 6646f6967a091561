using System.Diagnostics;
using System.Globalization;
using System.Text;
using RawDataDestination.Batching;
using RawDataDestination.Internal;

namespace RawDataDestination.S3;

/// <summary>
/// The layout of the object keys the destination writes, matching Segment's AWS S3 destination:
/// <c>{prefix/}segment-logs/{source-id}/{received-day}/{sealed-at}.{batch-id}.gz</c>, where the received day
/// and the sealed-at time are Unix times in milliseconds. The one home of the key's literals, of building keys, of
/// reading them back, and of their length budget; the file name is the batch's (<see cref="BatchNaming"/>).
/// </summary>
internal static class ObjectKeyLayout
{
    /// <summary>The longest object key S3 accepts, in UTF-8 bytes.</summary>
    public const int MaxKeyBytes = BatchNaming.ObjectKeyLimitBytes;

    /// <summary>The folder every key is under, after the path prefix.</summary>
    private const string SegmentLogsFolder = "segment-logs/";

    /// <summary>
    /// Gets the number of UTF-8 bytes that follow <see cref="BucketLocation.KeyPrefix"/> in the longest key:
    /// a 128-character source id, '/', a 13-digit day, '/' and the longest file name.
    /// </summary>
    internal static int MaxKeyBytesAfterKeyPrefix =>
        SourceIdRules.MaxLength + 1 + BatchNaming.UnixMillisecondsDigits + 1 + BatchNaming.MaxFileNameLength;

    /// <summary>
    /// Returns the prefix of every key under a path prefix: <c>segment-logs/</c>, or <c>{prefix}/segment-logs/</c>
    /// (<see cref="BucketLocation.KeyPrefix"/>).
    /// </summary>
    /// <param name="prefix">The path prefix, without a leading or trailing '/'; empty when there is none.</param>
    /// <returns>The key prefix.</returns>
    public static string KeyPrefix(string prefix) => prefix.Length == 0 ? SegmentLogsFolder : prefix + "/" + SegmentLogsFolder;

    /// <summary>
    /// Says what a path prefix that ends in <c>segment-logs</c> does, or <see langword="null"/> for any other: the layout
    /// adds that folder itself, so keys hold it twice (<c>pfx/segment-logs/segment-logs/...</c>), where readers of
    /// <c>pfx/segment-logs/</c> do not look. Allowed, since a customer may mean it, but most often a folder copied from
    /// the S3 console or from the policy's resource: a setup check warns of it, and a destination logs it once.
    /// </summary>
    /// <param name="location">The destination's bucket and path prefix.</param>
    /// <param name="words">How the message names the Bucket setting.</param>
    /// <returns>The warning, naming the value to enter instead; <see langword="null"/> when the prefix does not end so.</returns>
    internal static string? DoubledFolderWarning(BucketLocation location, SettingWords words)
    {
        string folder = SegmentLogsFolder[..^1];
        string prefix = location.Prefix;
        if (prefix != folder && !prefix.EndsWith("/" + folder, StringComparison.Ordinal))
        {
            return null;
        }

        string meant = prefix == folder ? location.BucketName : location.BucketName + "/" + prefix[..^(folder.Length + 1)];
        return $"{words.Name("Bucket")} '{location}' ends in '{folder}', the folder this destination adds itself: objects go under " +
            $"s3://{location.BucketName}/{location.KeyPrefix}, not s3://{location}/. If the customer's readers look in " +
            $"s3://{location}/, set {words.Name("Bucket")} to '{meant}'.";
    }

    /// <summary>
    /// Reads back the path prefix a key was built under (what <see cref="KeyPrefix"/> was given): the part before the
    /// <c>segment-logs/</c> folder three folders above the file name, empty when there is none; <see langword="null"/> when
    /// the key has no such folder. Read from the end, because a path prefix may itself hold a <c>segment-logs</c> folder:
    /// <c>nest/segment-logs/x/segment-logs/{source-id}/{received-day}/{file}</c> was built under <c>nest/segment-logs/x</c>.
    /// The source id, day and file name are not checked (<see cref="TryParse"/> does that).
    /// </summary>
    /// <param name="key">An object key.</param>
    /// <returns>The path prefix, or <see langword="null"/>.</returns>
    public static string? PathPrefixOf(string key)
    {
        int end = key.Length; // the '/' before the file name, then before the day, then before the source id
        for (int folders = 0; folders < 3; folders++)
        {
            end = end == 0 ? -1 : key.LastIndexOf('/', end - 1);
            if (end < 0)
            {
                return null;
            }
        }

        string keyPrefix = key[..(end + 1)];
        return keyPrefix == SegmentLogsFolder
            ? string.Empty
            : keyPrefix.EndsWith("/" + SegmentLogsFolder, StringComparison.Ordinal) ? keyPrefix[..^(SegmentLogsFolder.Length + 1)] : null;
    }

    /// <summary>
    /// Returns the received-day folder name: the Unix time in milliseconds of 00:00:00 UTC on
    /// <paramref name="utcDay"/>, e.g. "1700784000000" for 2023-11-24 (<see cref="UtcDayNames"/>).
    /// </summary>
    /// <param name="utcDay">The UTC day on which the events were received.</param>
    /// <returns>The folder name.</returns>
    public static string ReceivedDayFolder(DateOnly utcDay) => UtcDayNames.Format(utcDay);

    /// <summary>Builds an object key: <c>{prefix/}segment-logs/{source-id}/{received-day}/{file}</c>.</summary>
    /// <param name="location">The bucket and prefix.</param>
    /// <param name="sourceId">The batch's source id, checked when the batch was made (<see cref="SourceIdRules"/>).</param>
    /// <param name="receivedDay">The UTC day on which the events were received.</param>
    /// <param name="fileName">The file name, from <see cref="BatchNaming.FileName"/>.</param>
    /// <returns>The object key.</returns>
    /// <exception cref="ArgumentException">The file name is not valid.</exception>
    public static string Build(BucketLocation location, string sourceId, DateOnly receivedDay, string fileName)
    {
        // The source id is checked once, where a batch is made (BatchBuffer.AppendAsync, BatchBuilder, spool recovery,
        // a staged key read back): a batch's source id is valid by construction.
        Debug.Assert(SourceIdRules.Error(sourceId) is null, "a batch's source id is checked when the batch is made");
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        if (fileName.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException("A file name can't contain '/'.", nameof(fileName));
        }

        return string.Concat(KeyPrefix(location.Prefix), sourceId, "/", ReceivedDayFolder(receivedDay), "/", fileName);
    }

    /// <summary>
    /// Reads a key back (the reverse of <see cref="Build"/>): <c>{keyPrefix}{source-id}/{received-day}/{sealed-at}.{batch-id}.gz</c>;
    /// returns why it is not one, or <see langword="null"/> with its parts.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="keyPrefix">What the key starts with: a <see cref="BucketLocation.KeyPrefix"/>, with anything before it.</param>
    /// <param name="sourceId">The source id, when the key is one.</param>
    /// <param name="receivedDay">The received day, when the key is one.</param>
    /// <param name="sealedAt">When the batch was sealed, to the millisecond, when the key is one.</param>
    /// <param name="batchId">The batch id, when the key is one.</param>
    /// <returns><see langword="null"/> when the key is one this layout builds; otherwise why not.</returns>
    public static string? TryParse(string key, string keyPrefix, out string sourceId, out DateOnly receivedDay, out DateTimeOffset sealedAt, out string batchId)
    {
        sourceId = batchId = string.Empty;
        receivedDay = default;
        sealedAt = default;
        if (!key.StartsWith(keyPrefix, StringComparison.Ordinal))
        {
            return $"'{key}' is not under '{keyPrefix}'";
        }

        string[] parts = key[keyPrefix.Length..].Split('/');
        if (parts.Length != 3)
        {
            return $"'{key}' is not {keyPrefix}{{source-id}}/{{received-day}}/{{file}}";
        }

        if (SourceIdRules.Error(parts[0]) is not null)
        {
            return $"'{key}' has no valid source id";
        }

        if ((UtcDayNames.TryParse(parts[1], out receivedDay) ?? BatchNaming.TryParseFileName(parts[2], out sealedAt, out batchId)) is { } why)
        {
            return why;
        }

        sourceId = parts[0];
        return null;
    }

    /// <summary>
    /// Returns an error for the "Bucket" setting when its prefix is so long that the longest key this library
    /// writes (<c>{prefix}/segment-logs/{128-character source id}/{13 digits}/{longest file name}</c>, with a batch id of
    /// <see cref="BatchNaming.MaxBatchIdLength"/> characters) would exceed
    /// <see cref="MaxKeyBytes"/> UTF-8 bytes; otherwise <see langword="null"/>.
    /// </summary>
    /// <param name="location">The bucket and prefix.</param>
    /// <param name="setting">The setting's name in the message.</param>
    /// <returns><see langword="null"/> when every key fits; otherwise the error message.</returns>
    public static string? KeyLengthError(BucketLocation location, string setting = "Bucket")
    {
        int keyPrefixBytes = Encoding.UTF8.GetByteCount(KeyPrefix(location.Prefix));
        int longestKeyBytes = keyPrefixBytes + MaxKeyBytesAfterKeyPrefix;
        if (longestKeyBytes <= MaxKeyBytes)
        {
            return null;
        }

        int maxPrefixBytes = MaxKeyBytes - MaxKeyBytesAfterKeyPrefix - Encoding.UTF8.GetByteCount("/" + SegmentLogsFolder);
        int prefixBytes = Encoding.UTF8.GetByteCount(location.Prefix);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{setting} {SettingText.Quote(location.ToString())} has a path prefix of {prefixBytes} UTF-8 bytes, so object keys "
            + $"could be {longestKeyBytes} bytes long, over S3's limit of {MaxKeyBytes}; use a path prefix of at most {maxPrefixBytes} UTF-8 bytes.");
    }
}
