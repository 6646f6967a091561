using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using RawDataDestination.Internal;

namespace RawDataDestination.Batching;

/// <summary>
/// How a batch is named: its id (a UUID v7, or 1–64 characters a host chose) and its file name,
/// <c>{sealed-at unix ms}.{batch-id}.gz</c>, with their checks and the parsing back. The object key
/// (<c>S3.ObjectKeyLayout</c>) and the spool's sealed files are named with these.
/// </summary>
internal static class BatchNaming
{
    /// <summary>The longest object key S3 accepts, in UTF-8 bytes: the limit every name here is sized for.</summary>
    public const int ObjectKeyLimitBytes = 1024;

    /// <summary>
    /// The longest batch id, in characters: a host-chosen id (<see cref="BatchBuilder"/>) may use up to 64;
    /// the ids this library generates are UUIDs of 36. The key-length budget assumes the longest.
    /// </summary>
    public const int MaxBatchIdLength = 64;

    /// <summary>
    /// The number of digits of a Unix time in milliseconds from 2001-09-09 to 2286-11-20, the width assumed
    /// when sizing the longest key.
    /// </summary>
    public const int UnixMillisecondsDigits = 13;

    private const string FileExtension = ".gz";

    /// <summary>The latest sealed-at time whose Unix milliseconds still have <see cref="UnixMillisecondsDigits"/> digits.</summary>
    public static readonly DateTimeOffset MaxSealedAt = DateTimeOffset.FromUnixTimeMilliseconds(9_999_999_999_999);

    private static readonly object CounterGate = new();
    private static long _counterMilliseconds = -1;
    private static int _counter;

    /// <summary>
    /// Gets the length of the longest file name: a 13-digit Unix time in milliseconds, '.', a batch id of
    /// <see cref="MaxBatchIdLength"/> characters and ".gz", which is 81 characters (all ASCII, so also 81 bytes).
    /// </summary>
    public static int MaxFileNameLength => UnixMillisecondsDigits + 1 + MaxBatchIdLength + FileExtension.Length;

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
                $"BatchId {SettingText.Quote(batchId)} is too long: a batch id may have at most {MaxBatchIdLength} characters, so that every object key fits S3's limit of {ObjectKeyLimitBytes} bytes. Shorten it, for example by hashing a long topic name.");
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
