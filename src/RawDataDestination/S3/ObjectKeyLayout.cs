using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using RawDataDestination.Batching;
using RawDataDestination.Internal;

namespace RawDataDestination.S3;

/// <summary>
/// The layout of the object keys the destination writes, matching Segment's AWS S3 destination:
/// <c>{prefix/}segment-logs/{source-id}/{received-day}/{sealed-at}.{batch-id}.gz</c>, where the received day
/// and the sealed-at time are Unix times in milliseconds.
/// </summary>
internal static class ObjectKeyLayout
{
    /// <summary>The longest object key S3 accepts, in UTF-8 bytes.</summary>
    public const int MaxKeyBytes = 1024;

    /// <summary>
    /// The number of digits of a Unix time in milliseconds from 2001-09-09 to 2286-11-20, the width assumed
    /// when sizing the longest key.
    /// </summary>
    internal const int UnixMillisecondsDigits = 13;

    /// <summary>
    /// The longest batch id, in characters: a host-chosen id (<see cref="Batching.BatchBuilder"/>) may use up to 64;
    /// the ids this library generates are UUIDs of 36. The key-length budget assumes the longest.
    /// </summary>
    public const int MaxBatchIdLength = 64;

    private const string FileExtension = ".gz";

    /// <summary>The latest sealed-at time whose Unix milliseconds still have <see cref="UnixMillisecondsDigits"/> digits.</summary>
    internal static readonly DateTimeOffset MaxSealedAt = DateTimeOffset.FromUnixTimeMilliseconds(9_999_999_999_999);

    /// <summary>
    /// Gets the length of the longest file name: a 13-digit Unix time in milliseconds, '.', a batch id of
    /// <see cref="MaxBatchIdLength"/> characters and ".gz", which is 81 characters (all ASCII, so also 81 bytes).
    /// </summary>
    public static int MaxFileNameLength => UnixMillisecondsDigits + 1 + MaxBatchIdLength + FileExtension.Length;

    /// <summary>
    /// Gets the number of UTF-8 bytes that follow <see cref="BucketLocation.KeyPrefix"/> in the longest key:
    /// a 128-character source id, '/', a 13-digit day, '/' and the longest file name.
    /// </summary>
    internal static int MaxKeyBytesAfterKeyPrefix =>
        SourceIdRules.MaxLength + 1 + UnixMillisecondsDigits + 1 + MaxFileNameLength;

    /// <summary>
    /// Returns the received-day folder name: the Unix time in milliseconds of 00:00:00 UTC on
    /// <paramref name="utcDay"/>, e.g. "1700784000000" for 2023-11-24 (13 digits for days from 2001-09-09 to 2286-11-20).
    /// </summary>
    /// <param name="utcDay">The UTC day on which the events were received.</param>
    /// <returns>The folder name.</returns>
    public static string ReceivedDayFolder(DateOnly utcDay)
    {
        long milliseconds = new DateTimeOffset(utcDay.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).ToUnixTimeMilliseconds();
        return milliseconds.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Reads a received-day folder name back (the reverse of <see cref="ReceivedDayFolder"/>); returns why it is not
    /// one, or <see langword="null"/> with the day.
    /// </summary>
    /// <param name="folder">A folder name, such as "1700784000000".</param>
    /// <param name="utcDay">The day, when the name is one.</param>
    /// <returns><see langword="null"/> when the name is a day folder; otherwise why not.</returns>
    public static string? TryParseReceivedDayFolder(string folder, out DateOnly utcDay)
    {
        utcDay = default;
        if (!long.TryParse(folder, NumberStyles.None, CultureInfo.InvariantCulture, out long milliseconds)
            || milliseconds % 86_400_000 != 0
            || milliseconds > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            return $"'{folder}' is not a UTC day at or after 1970-01-01 in Unix milliseconds";
        }

        utcDay = DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeMilliseconds(milliseconds).UtcDateTime);
        return null;
    }

    /// <summary>
    /// Reads a file name back (the reverse of <see cref="FileName"/>): <c>{sealed-at unix ms}.{batch id}.gz</c>;
    /// returns why it is not one, or <see langword="null"/> with its parts.
    /// </summary>
    /// <param name="fileName">A file name.</param>
    /// <param name="sealedAt">When the batch was sealed, when the name is one.</param>
    /// <param name="batchId">The batch id, when the name is one.</param>
    /// <returns><see langword="null"/> when the name is a batch's file name; otherwise why not.</returns>
    public static string? TryParseFileName(string fileName, out DateTimeOffset sealedAt, out string batchId)
    {
        sealedAt = default;
        batchId = "";
        int dot = fileName.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || !fileName.EndsWith(FileExtension, StringComparison.Ordinal) || dot + 1 >= fileName.Length - FileExtension.Length
            || !long.TryParse(fileName.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out long milliseconds)
            || milliseconds > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            return $"'{fileName}' is not {{sealed-at unix ms}}.{{batch id}}.gz";
        }

        sealedAt = DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
        batchId = fileName[(dot + 1)..^FileExtension.Length];
        return BatchIdError(batchId) is { } notABatchId ? $"'{fileName}' has no valid batch id: {notABatchId}" : null;
    }

    /// <summary>Returns the file name of a batch: <c>{sealedAt as Unix milliseconds}.{batchId}.gz</c>.</summary>
    /// <param name="sealedAt">When the batch was sealed.</param>
    /// <param name="batchId">The batch id, from <see cref="NewBatchId"/>.</param>
    /// <returns>The file name.</returns>
    /// <exception cref="ArgumentException"><paramref name="batchId"/> is empty or contains '/'.</exception>
    public static string FileName(DateTimeOffset sealedAt, string batchId)
    {
        ArgumentException.ThrowIfNullOrEmpty(batchId);
        if (batchId.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException("A batch id can't contain '/'.", nameof(batchId));
        }

        return string.Create(CultureInfo.InvariantCulture, $"{sealedAt.ToUnixTimeMilliseconds()}.{batchId}{FileExtension}");
    }

    /// <summary>Builds an object key: <c>{prefix/}segment-logs/{source-id}/{received-day}/{file}</c>.</summary>
    /// <param name="location">The bucket and prefix.</param>
    /// <param name="sourceId">The source id; see <see cref="SourceIdRules.Error"/>.</param>
    /// <param name="receivedDay">The UTC day on which the events were received.</param>
    /// <param name="fileName">The file name, from <see cref="FileName"/>.</param>
    /// <returns>The object key.</returns>
    /// <exception cref="ArgumentException">The source id or the file name is not valid.</exception>
    public static string Build(BucketLocation location, string sourceId, DateOnly receivedDay, string fileName)
    {
        string? sourceIdError = SourceIdRules.Error(sourceId);
        if (sourceIdError is not null)
        {
            throw new ArgumentException(sourceIdError, nameof(sourceId));
        }

        ArgumentException.ThrowIfNullOrEmpty(fileName);
        if (fileName.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException("A file name can't contain '/'.", nameof(fileName));
        }

        return string.Concat(location.KeyPrefix, sourceId, "/", ReceivedDayFolder(receivedDay), "/", fileName);
    }

    /// <summary>
    /// Returns why <paramref name="batchId"/> can't be a batch id, or <see langword="null"/>: 1 to
    /// <see cref="MaxBatchIdLength"/> characters of <c>[A-Za-z0-9_-]</c>, so every key fits S3's limit with any
    /// accepted prefix and source id.
    /// </summary>
    /// <param name="batchId">A host-chosen batch id.</param>
    /// <returns><see langword="null"/> when the id is valid; otherwise the error message.</returns>
    public static string? BatchIdError(string? batchId)
    {
        if (string.IsNullOrEmpty(batchId))
        {
            return "BatchId is empty: use 1–64 characters of [A-Za-z0-9_-], such as 'orders-3-0000001200' (topic, partition, first offset).";
        }

        if (batchId.Length > MaxBatchIdLength)
        {
            return string.Create(
                CultureInfo.InvariantCulture,
                $"BatchId {SettingText.Quote(batchId)} is too long: a batch id may have at most {MaxBatchIdLength} characters, so that every object key fits S3's limit of {MaxKeyBytes} bytes. Shorten it, for example by hashing a long topic name.");
        }

        if (!batchId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            return $"BatchId {SettingText.Quote(batchId)} is not valid: use 1–64 characters of [A-Za-z0-9_-], such as 'orders-3-0000001200' (topic, partition, first offset).";
        }

        return null;
    }

    /// <summary>
    /// Returns why <paramref name="sealedAt"/> can't start a file name, or <see langword="null"/>: it must be from the
    /// Unix epoch to <see cref="MaxSealedAt"/> (2286-11-20), so its milliseconds have at most 13 digits.
    /// </summary>
    /// <param name="sealedAt">A host-chosen sealed-at time.</param>
    /// <returns><see langword="null"/> when the time is valid; otherwise the error message.</returns>
    public static string? SealedAtError(DateTimeOffset sealedAt) =>
        sealedAt < DateTimeOffset.UnixEpoch || sealedAt > MaxSealedAt
            ? string.Create(CultureInfo.InvariantCulture, $"SealedAt {sealedAt:O} is outside the range a file name can hold; use a time from 1970-01-01 to 2286-11-20 (UTC), such as the first record's log timestamp.")
            : null;

    /// <summary>
    /// Returns an error for the "Bucket" setting when its prefix is so long that the longest key this library
    /// writes (<c>{prefix}/segment-logs/{128-character source id}/{13 digits}/{longest file name}</c>, with a batch id of
    /// <see cref="MaxBatchIdLength"/> characters) would exceed
    /// <see cref="MaxKeyBytes"/> UTF-8 bytes; otherwise <see langword="null"/>.
    /// </summary>
    /// <param name="location">The bucket and prefix.</param>
    /// <param name="setting">The setting's name in the message.</param>
    /// <returns><see langword="null"/> when every key fits; otherwise the error message.</returns>
    public static string? KeyLengthError(BucketLocation location, string setting = "Bucket")
    {
        int keyPrefixBytes = Encoding.UTF8.GetByteCount(location.KeyPrefix);
        int longestKeyBytes = keyPrefixBytes + MaxKeyBytesAfterKeyPrefix;
        if (longestKeyBytes <= MaxKeyBytes)
        {
            return null;
        }

        int maxPrefixBytes = MaxKeyBytes - MaxKeyBytesAfterKeyPrefix - Encoding.UTF8.GetByteCount("/segment-logs/");
        int prefixBytes = Encoding.UTF8.GetByteCount(location.Prefix);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{setting} {SettingText.Quote(location.ToString())} has a path prefix of {prefixBytes} UTF-8 bytes, so object keys "
            + $"could be {longestKeyBytes} bytes long, over S3's limit of {MaxKeyBytes}; use a path prefix of at most {maxPrefixBytes} UTF-8 bytes.");
    }

    /// <summary>
    /// Returns a new batch id: a version 7 UUID (a 48-bit Unix millisecond timestamp from
    /// <paramref name="timeProvider"/>, a 12-bit counter, then 62 random bits), formatted "D" in lowercase, so ids
    /// are unique across processes and restarts and sort by creation time.
    /// </summary>
    /// <remarks>
    /// Ids made by one process in the same millisecond still sort in creation order: the counter (RFC 9562,
    /// method 1) starts at a random value below 2048 in each new millisecond and counts up within it. So the
    /// objects of one source and day that one process writes sort by key in the order their batches were opened.
    /// </remarks>
    /// <param name="timeProvider">The clock for the timestamp.</param>
    /// <returns>The batch id, e.g. <c>018f3c4e-7a2b-7c3d-9e4f-0123456789ab</c>.</returns>
    public static string NewBatchId(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        DateTimeOffset now = timeProvider.GetUtcNow();
        long milliseconds = now.ToUnixTimeMilliseconds();
        Span<byte> random = stackalloc byte[10];
        RandomNumberGenerator.Fill(random);
        int counter;
        lock (CounterGate)
        {
            counter = milliseconds == _counterMilliseconds && _counter < 0xFFF
                ? _counter + 1
                : ((random[0] << 8) | random[1]) & 0x7FF;
            _counterMilliseconds = milliseconds;
            _counter = counter;
        }

        random[0] = (byte)(counter >> 8);
        random[1] = (byte)counter;
        return CreateVersion7(now, random).ToString("D");
    }

    private static readonly object CounterGate = new();
    private static long _counterMilliseconds = -1;
    private static int _counter;

    /// <summary>
    /// Lays out a version 7 UUID (RFC 9562) from a timestamp and 10 random bytes, of which 74 bits are used.
    /// Used on .NET 8, which lacks <c>Guid.CreateVersion7</c>; compiled on every target so it can be tested.
    /// </summary>
    /// <param name="timestamp">The timestamp; at or after the Unix epoch and within 48 bits of milliseconds.</param>
    /// <param name="random">Ten random bytes.</param>
    /// <returns>The UUID.</returns>
    internal static Guid CreateVersion7(DateTimeOffset timestamp, ReadOnlySpan<byte> random)
    {
        if (random.Length != 10)
        {
            throw new ArgumentException("Ten random bytes are needed.", nameof(random));
        }

        long milliseconds = timestamp.ToUnixTimeMilliseconds();
        if (milliseconds is < 0 or > 0xFFFF_FFFF_FFFF)
        {
            throw new ArgumentOutOfRangeException(nameof(timestamp), timestamp, "A version 7 UUID needs a timestamp from 1970 to 10889.");
        }

        Span<byte> bytes = stackalloc byte[16];
        Span<byte> time = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(time, milliseconds);
        time[2..].CopyTo(bytes);
        random.CopyTo(bytes[6..]);
        bytes[6] = (byte)(0x70 | (bytes[6] & 0x0F)); // version 7
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F)); // variant 10xx (RFC 9562)
        return new Guid(bytes, bigEndian: true);
    }
}
