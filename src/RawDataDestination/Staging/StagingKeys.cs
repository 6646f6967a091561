using System.Globalization;
using System.Text;
using RawDataDestination.S3;

namespace RawDataDestination.Staging;

/// <summary>
/// The layout of the staging bucket: a batch bound for key <c>K</c> in customer bucket <c>B</c> is staged at
/// <c>{stage-prefix/}~B/K</c>, or, when its host names whose bucket <c>B</c> is (<see cref="StagedFor"/>), at
/// <c>{stage-prefix/}~B~T/K</c> with that identity's tag <c>T</c>; a parked batch has a marker beside it at
/// <c>{staged key}.parked.json</c>.
/// </summary>
/// <remarks>
/// <para>
/// The layout is unambiguous: no two (stage prefix, bucket, key) triples give one staged key, and
/// <see cref="TryParseStaged(string, out string, out string, out string, out string)"/> gives the triple back. The stage prefix stays a literal prefix (the operator's IAM policy
/// names it), so it cannot be length-prefixed; instead the first folder that starts with <c>~</c> marks where it ends:
/// no folder of a stage prefix may start with <c>~</c> (<see cref="StagePrefixError"/>), and no bucket name holds
/// <c>~</c> or <c>/</c>, so the bucket is the rest of that folder (up to a second <c>~</c>, which starts the tag) and
/// the customer key is everything after it.
/// </para>
/// <para>
/// The tag keeps apart the batches of customers whose buckets have one name (in other partitions or stores, reached with
/// other roles): each identity has a prefix of its own, so a copier for one never lists another's. Batches staged without
/// a tag (by hosts that name no identity, and by versions before tags) stay at <c>~B/K</c>.
/// </para>
/// <para>
/// Versions before this layout staged at <c>{stage-prefix/}B/K</c>, where stage prefix <c>A</c> with bucket <c>B</c>
/// gave the same string as no stage prefix with bucket <c>A</c> and customer prefix <c>B</c>. Keys of that layout are
/// listed (<see cref="LegacyDestinationPrefix"/>) only to report them; they are never delivered.
/// </para>
/// </remarks>
internal static class StagingKeys
{
    /// <summary>The suffix of a parked batch's marker object.</summary>
    public const string ParkedSuffix = ".parked.json";

    /// <summary>Starts the folder that names the customer's bucket; no stage prefix folder and no bucket name starts with it.</summary>
    public const char BucketMark = '~';

    /// <summary>
    /// Returns the staging key prefix of every batch bound for <paramref name="destination"/> with identity tag
    /// <paramref name="tag"/>: <c>{stage-prefix/}~{bucket}~{tag}/{prefix/}segment-logs/</c>, or without one (<see langword="null"/>)
    /// <c>{stage-prefix/}~{bucket}/{prefix/}segment-logs/</c>.
    /// </summary>
    public static string DestinationPrefix(BucketLocation stage, BucketLocation destination, string? tag = null) =>
        BucketFolder(stage, destination.BucketName, tag) + destination.KeyPrefix;

    /// <summary>
    /// Returns the staging key prefix of every batch bound for bucket <paramref name="bucket"/> with any identity tag:
    /// <c>{stage-prefix/}~{bucket}~</c> (no bucket name holds <c>~</c>, so no other bucket's keys start with it).
    /// </summary>
    public static string AnyTagPrefix(BucketLocation stage, string bucket) => StagePrefix(stage) + BucketMark + bucket + BucketMark;

    /// <summary>Returns an error when <paramref name="tag"/> is not 1 to 64 lowercase letters and digits; otherwise <see langword="null"/>.</summary>
    public static string? TagError(string tag) =>
        tag.Length is >= 1 and <= 64 && tag.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9'))
            ? null
            : $"The staged batches' identity tag '{tag}' is not 1 to 64 lowercase letters and digits.";

    /// <summary>Returns the staging key prefix of every batch staged for any destination: <c>{stage-prefix/}~</c>.</summary>
    public static string AnyDestinationPrefix(BucketLocation stage) => StagePrefix(stage) + BucketMark;

    /// <summary>
    /// Returns where versions before the unambiguous layout staged the batches of <paramref name="destination"/>:
    /// <c>{stage-prefix/}{bucket}/{prefix/}segment-logs/</c>. Objects there may belong to another setup sharing the
    /// staging bucket, so they are reported, never sent.
    /// </summary>
    public static string LegacyDestinationPrefix(BucketLocation stage, BucketLocation destination) =>
        StagePrefix(stage) + destination.BucketName + "/" + destination.KeyPrefix;

    /// <summary>Returns an error when a folder of the stage prefix starts with <see cref="BucketMark"/>; otherwise <see langword="null"/>.</summary>
    /// <param name="stage">The staging bucket and prefix.</param>
    public static string? StagePrefixError(BucketLocation stage)
    {
        if (stage.Prefix.Length == 0)
        {
            return null;
        }

        string? marked = stage.Prefix.Split('/').FirstOrDefault(folder => folder.StartsWith(BucketMark));
        return marked is null
            ? null
            : $"Staging Bucket '{stage}' has the folder '{marked}' in its prefix; staged keys use a folder starting with '{BucketMark}' to mark where the customer's bucket begins, so no folder of the staging prefix may start with '{BucketMark}'. Rename the folder.";
    }

    /// <summary>
    /// Returns an error when the longest staged key for <paramref name="destination"/> would exceed S3's 1024 bytes (the
    /// staged key is the customer key with the stage prefix and the customer's bucket in front); otherwise <see langword="null"/>.
    /// </summary>
    public static string? KeyLengthError(BucketLocation stage, BucketLocation destination, string? tag = null)
    {
        int longest = Encoding.UTF8.GetByteCount(DestinationPrefix(stage, destination, tag)) + ObjectKeyLayout.MaxKeyBytesAfterKeyPrefix;
        return longest <= ObjectKeyLayout.MaxKeyBytes
            ? null
            : string.Create(
                CultureInfo.InvariantCulture,
                $"Staged keys for bucket '{destination}' under staging bucket '{stage}' could be {longest} bytes long, over S3's limit of {ObjectKeyLayout.MaxKeyBytes}: the staged key is the customer key with '{DestinationPrefix(stage, destination, tag)[..^destination.KeyPrefix.Length]}' in front. Use a shorter staging prefix.");
    }

    /// <summary>
    /// Returns the key of the start-up probe of the stage (an empty object written and deleted at once):
    /// <c>{stage-prefix/}~/start-probe</c>, inside the stage prefix the operator's policy grants, under a bucket folder
    /// with no bucket name, so that no copier lists it and <see cref="TryParseStaged(string, out string, out string, out string, out string)"/> refuses it.
    /// </summary>
    /// <remarks>
    /// One key for every start, not one per start: a start killed between the write and the delete leaves the object, and
    /// the next start writes and deletes the same key, so at most one is ever left, until then. Two starts at once may
    /// delete each other's: S3 answers a delete of an object already gone with 204, the same as any other.
    /// </remarks>
    public static string Probe(BucketLocation stage) => StagePrefix(stage) + BucketMark + "/start-probe";

    /// <summary>Returns the staging key of a batch whose customer key is <paramref name="customerKey"/>, staged with identity tag <paramref name="tag"/> (or none).</summary>
    public static string Staged(BucketLocation stage, BucketLocation destination, string customerKey, string? tag = null) =>
        BucketFolder(stage, destination.BucketName, tag) + customerKey;

    /// <summary>
    /// Reads a staged key back into the stage prefix, the customer's bucket and the customer key it was made from
    /// (<see cref="Staged"/>'s inverse). Returns <see langword="false"/> for a key that has no bucket folder, or whose
    /// bucket folder does not hold a valid bucket name, or that has nothing after it, or that was staged with an
    /// identity tag (<see cref="TryParseStaged(string, out string, out string, out string, out string)"/> reads those).
    /// </summary>
    public static bool TryParseStaged(string stagedKey, out string stagePrefix, out string bucket, out string customerKey) =>
        TryParseStaged(stagedKey, out stagePrefix, out bucket, out customerKey, out string tag) && tag.Length == 0;

    /// <summary>
    /// Reads a staged key back into the stage prefix, the customer's bucket, the customer key and the identity tag it was
    /// made from (empty for a key staged without one). Returns <see langword="false"/> for a key that has no bucket folder,
    /// or whose bucket folder does not hold a valid bucket name (and a valid tag after a second <c>~</c>), or that has
    /// nothing after it.
    /// </summary>
    public static bool TryParseStaged(string stagedKey, out string stagePrefix, out string bucket, out string customerKey, out string tag)
    {
        stagePrefix = bucket = customerKey = tag = string.Empty;
        int start = 0;
        while (start < stagedKey.Length)
        {
            int end = stagedKey.IndexOf('/', start);
            if (end < 0)
            {
                return false; // the last folder is the key's name: there is no bucket folder before it
            }

            if (stagedKey[start] == BucketMark)
            {
                string name = stagedKey[(start + 1)..end];
                int tagMark = name.IndexOf(BucketMark, StringComparison.Ordinal);
                string tagged = tagMark < 0 ? string.Empty : name[(tagMark + 1)..];
                name = tagMark < 0 ? name : name[..tagMark];
                if (BucketLocation.BucketNameError(name, name) is not null || end + 1 == stagedKey.Length || (tagMark >= 0 && TagError(tagged) is not null))
                {
                    return false;
                }

                stagePrefix = start == 0 ? string.Empty : stagedKey[..(start - 1)];
                bucket = name;
                tag = tagged;
                customerKey = stagedKey[(end + 1)..];
                return true;
            }

            start = end + 1;
        }

        return false;
    }

    /// <summary>Returns the marker key of a parked batch.</summary>
    public static string Marker(string stagedKey) => stagedKey + ParkedSuffix;

    /// <summary>Whether the key is a parked batch's marker; gives the batch's key.</summary>
    public static bool IsMarker(string key, out string stagedKey)
    {
        stagedKey = key.EndsWith(ParkedSuffix, StringComparison.Ordinal) ? key[..^ParkedSuffix.Length] : string.Empty;
        return stagedKey.Length > 0;
    }

    /// <summary>
    /// Reads the identity of a staged batch back from its key: <c>{destination prefix}{source}/{day ms}/{sealed ms}.{batch id}.gz</c>,
    /// the customer key after its stage prefix and bucket, read with <see cref="ObjectKeyLayout.TryParse"/>.
    /// Returns <see langword="false"/> for keys this library did not write.
    /// </summary>
    public static bool TryParse(string stagedKey, string destinationPrefix, out StagedBatchIdentity identity)
    {
        identity = default;
        if (ObjectKeyLayout.TryParse(stagedKey, destinationPrefix, out string sourceId, out DateOnly receivedDay, out DateTimeOffset sealedAt, out string batchId) is not null)
        {
            return false;
        }

        identity = new StagedBatchIdentity(sourceId, receivedDay, batchId, sealedAt);
        return true;
    }

    /// <summary>
    /// Whether a key listed under <paramref name="destination"/>'s staging prefix (<see cref="DestinationPrefix"/>) is laid
    /// out as another destination's staged batch, or its marker: one of the same bucket whose path prefix starts with this
    /// destination's key prefix, such as <c>b/nest/segment-logs/x</c> beside <c>b/nest</c>, so that its staged keys are
    /// under this destination's staging prefix too. Its customer key's path prefix (<see cref="ObjectKeyLayout.PathPrefixOf"/>)
    /// is then longer than this destination's. That destination's copier delivers it, or reports what is wrong with it.
    /// </summary>
    /// <param name="stagedKey">A key listed under <see cref="DestinationPrefix"/> for <paramref name="destination"/>.</param>
    /// <param name="destination">The destination whose staging prefix was listed.</param>
    /// <returns><see langword="true"/> when the key is laid out as another destination's.</returns>
    public static bool IsAnotherDestinations(string stagedKey, BucketLocation destination)
    {
        string batchKey = IsMarker(stagedKey, out string marked) ? marked : stagedKey;
        return TryParseStaged(batchKey, out _, out _, out string customerKey, out _)
            && ObjectKeyLayout.PathPrefixOf(customerKey) is { } pathPrefix
            && !string.Equals(pathPrefix, destination.Prefix, StringComparison.Ordinal);
    }

    /// <summary>The folder of <paramref name="bucket"/>'s batches with <paramref name="tag"/> (or none), with its slash.</summary>
    private static string BucketFolder(BucketLocation stage, string bucket, string? tag) =>
        StagePrefix(stage) + BucketMark + bucket + (tag is null ? string.Empty : BucketMark + tag) + "/";

    private static string StagePrefix(BucketLocation stage) => stage.Prefix.Length == 0 ? string.Empty : stage.Prefix + "/";
}
