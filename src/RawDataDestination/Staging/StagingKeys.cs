using System.Text;
using System.Globalization;
using RawDataDestination.S3;

namespace RawDataDestination.Staging;

/// <summary>
/// The layout of the staging bucket: a batch bound for key <c>K</c> in customer bucket <c>B</c> is staged at
/// <c>{stage-prefix/}B/K</c>, and a parked batch has a marker beside it at <c>{staged key}.parked.json</c>.
/// Bucket names are globally unique, so several customers share one staging bucket without collisions.
/// </summary>
internal static class StagingKeys
{
    /// <summary>The suffix of a parked batch's marker object.</summary>
    public const string ParkedSuffix = ".parked.json";

    private const string BatchSuffix = ".gz";

    /// <summary>Returns the staging key prefix of every batch bound for <paramref name="destination"/>: <c>{stage-prefix/}{bucket}/{prefix/}segment-logs/</c>.</summary>
    public static string DestinationPrefix(BucketLocation stage, BucketLocation destination) =>
        StagePrefix(stage) + destination.BucketName + "/" + destination.KeyPrefix;

    /// <summary>
    /// Returns an error when the longest staged key for <paramref name="destination"/> would exceed S3's 1024 bytes (the
    /// staged key is the customer key with the stage prefix and the customer's bucket in front); otherwise <see langword="null"/>.
    /// </summary>
    public static string? KeyLengthError(BucketLocation stage, BucketLocation destination)
    {
        int longest = Encoding.UTF8.GetByteCount(DestinationPrefix(stage, destination)) + ObjectKeyLayout.MaxKeyBytesAfterKeyPrefix;
        return longest <= ObjectKeyLayout.MaxKeyBytes
            ? null
            : string.Create(
                CultureInfo.InvariantCulture,
                $"Staged keys for bucket '{destination}' under staging bucket '{stage}' could be {longest} bytes long, over S3's limit of {ObjectKeyLayout.MaxKeyBytes}: the staged key is the customer key with '{DestinationPrefix(stage, destination)[..^destination.KeyPrefix.Length]}' in front. Use a shorter staging prefix.");
    }

    /// <summary>Returns the staging key of a batch whose customer key is <paramref name="customerKey"/>.</summary>
    public static string Staged(BucketLocation stage, BucketLocation destination, string customerKey) =>
        StagePrefix(stage) + destination.BucketName + "/" + customerKey;

    /// <summary>Returns the marker key of a parked batch.</summary>
    public static string Marker(string stagedKey) => stagedKey + ParkedSuffix;

    /// <summary>Whether the key is a staged batch (not a marker).</summary>
    public static bool IsBatch(string key) => key.EndsWith(BatchSuffix, StringComparison.Ordinal);

    /// <summary>Whether the key is a parked batch's marker; gives the batch's key.</summary>
    public static bool IsMarker(string key, out string stagedKey)
    {
        stagedKey = key.EndsWith(ParkedSuffix, StringComparison.Ordinal) ? key[..^ParkedSuffix.Length] : string.Empty;
        return stagedKey.Length > 0;
    }

    /// <summary>
    /// Reads the identity of a staged batch back from its key: <c>{destination prefix}{source}/{day ms}/{sealed ms}.{batch id}.gz</c>.
    /// Returns <see langword="false"/> for keys this library did not write.
    /// </summary>
    public static bool TryParse(string stagedKey, string destinationPrefix, out StagedBatchIdentity identity)
    {
        identity = default;
        if (!stagedKey.StartsWith(destinationPrefix, StringComparison.Ordinal) || !IsBatch(stagedKey))
        {
            return false;
        }

        string[] parts = stagedKey[destinationPrefix.Length..].Split('/');
        if (parts.Length != 3 || Internal.SettingRules.SourceIdError(parts[0]) is not null || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long dayMs))
        {
            return false;
        }

        string file = parts[2][..^BatchSuffix.Length];
        int dot = file.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || dot == file.Length - 1 || !long.TryParse(file[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out long sealedMs))
        {
            return false;
        }

        try
        {
            DateTimeOffset day = DateTimeOffset.FromUnixTimeMilliseconds(dayMs);
            identity = new StagedBatchIdentity(parts[0], DateOnly.FromDateTime(day.UtcDateTime), file[(dot + 1)..], DateTimeOffset.FromUnixTimeMilliseconds(sealedMs));
            return day.TimeOfDay == TimeSpan.Zero;
        }
        catch (ArgumentOutOfRangeException)
        {
            return false;
        }
    }

    private static string StagePrefix(BucketLocation stage) => stage.Prefix.Length == 0 ? string.Empty : stage.Prefix + "/";
}
