using System.CommandLine;
using System.Security.Cryptography;
using System.Text;

namespace RawDataDestination.Cli;

/// <summary>
/// Whose bucket a run delivers to, as far as a spool's records need it: the bucket and path prefix, and what decides
/// whose bucket of that name it is. A bucket name is unique only in one S3 namespace: each AWS partition (<c>aws</c>,
/// <c>aws-cn</c>, <c>aws-us-gov</c>: from <c>--region</c>) has its own, and so does each S3-compatible store. Whose
/// it is, the customer says: its role (<c>--role-arn</c>, which names its account), the external id the vendor gave it
/// (<c>--external-id</c>, recorded as a digest: it is not to be kept in a file) and <c>--expected-bucket-owner</c>.
/// The region within a partition is left out (one bucket of a name per partition: a wrong region fails, it does not
/// reach another bucket), and so is <c>--endpoint-url</c>: the same store is reached at other addresses (a proxy, a
/// VPC endpoint), and two stores' buckets of one name are told apart by the customer each belongs to,
/// whose role and external id the other store's would have to share.
/// </summary>
/// <param name="Bucket">The bucket as the destination parses it: <c>bucket</c> or <c>bucket/path/prefix</c>.</param>
/// <param name="Partition">The AWS partition of the region.</param>
/// <param name="RoleArn">The role assumed.</param>
/// <param name="ExternalId">A digest of the external id (<see cref="IdentityDigests.ExternalIdDigest"/>).</param>
/// <param name="ExpectedBucketOwner">The account that must own the bucket, or <see cref="NoOwner"/>.</param>
internal sealed record DestinationIdentity(string Bucket, string Partition, string RoleArn, string ExternalId, string ExpectedBucketOwner)
{
    /// <summary>The owner recorded without <c>--expected-bucket-owner</c>.</summary>
    public const string NoOwner = "none";

    /// <summary>The names of the fields past the bucket, as the record's lines start and as messages name them.</summary>
    private static readonly string[] Names = ["partition", "role-arn", "external-id-sha256", "expected-bucket-owner"];

    /// <summary>
    /// Gets the fields past the bucket, one line each (<c>name value</c>): what names an input's place records along with
    /// the bucket, so that another customer's bucket of the same name has records of its own.
    /// </summary>
    public string Key => string.Join("\n", Fields.Select((value, i) => $"{Names[i]} {value}"));

    /// <summary>Gets a short digest of <see cref="Key"/>, for a record that names this identity without spelling it.</summary>
    public string Digest => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{Bucket}\n{Key}")))[..32];

    /// <summary>
    /// Gets what staged batches carry of this identity: <see cref="Digest"/> names their staging prefix, so that another
    /// customer's bucket of the same name has its own, and the record (the bucket, then <see cref="Key"/>'s lines, as the
    /// spool's record) is each batch's metadata, from which a run for another names what differs (<see cref="Parse"/>).
    /// </summary>
    public Staging.StagedFor StagedFor => new(Digest, $"{Bucket}\n{Key}");

    private string[] Fields => [Partition, RoleArn, ExternalId, ExpectedBucketOwner];

    /// <summary>The identity a parse result names (its options checked already).</summary>
    public static DestinationIdentity Of(ParseResult result) => new(
        InputIdentity.Bucket(result.GetValue(DestinationOptions.Bucket)!),
        IdentityDigests.PartitionOf(result.GetValue(DestinationOptions.Region)!),
        result.GetValue(DestinationOptions.RoleArn)!.Trim(),
        IdentityDigests.ExternalIdDigest(result.GetValue(DestinationOptions.ExternalId)!),
        result.GetValue(DestinationOptions.ExpectedBucketOwner) is { Length: > 0 } owner ? owner.Trim() : NoOwner);

    /// <summary>
    /// The identity in a record's lines (the bucket, then <see cref="Key"/>'s lines), or one with only
    /// <see cref="Bucket"/> for a record an earlier version wrote (one line, the bucket).
    /// </summary>
    /// <param name="lines">The record's lines, without blank ones.</param>
    /// <returns>The identity, and whether the record named only the bucket.</returns>
    public static (DestinationIdentity Identity, bool BucketOnly) Parse(IReadOnlyList<string> lines)
    {
        var values = new string[Names.Length];
        bool any = false;
        foreach (string line in lines.Skip(1))
        {
            int space = line.IndexOf(' ', StringComparison.Ordinal);
            int field = space > 0 ? Array.IndexOf(Names, line[..space]) : -1;
            if (field >= 0)
            {
                values[field] = line[(space + 1)..];
                any = true;
            }
        }

        return (new DestinationIdentity(lines[0], values[0] ?? "?", values[1] ?? "?", values[2] ?? "?", values[3] ?? "?"), !any);
    }

    /// <summary>Whether <paramref name="line"/> is one of a record's field lines (<see cref="Key"/>): a field's name, a space, its value.</summary>
    public static bool IsRecordLine(string line)
    {
        int space = line.IndexOf(' ', StringComparison.Ordinal);
        return space > 0 && Array.IndexOf(Names, line[..space]) >= 0;
    }

    /// <summary>The fields in which <paramref name="recorded"/> differs from this one, as a message names them: <c>--role-arn 'A' (this run: 'B')</c> (the external id by name only).</summary>
    public IReadOnlyList<string> DifferencesFrom(DestinationIdentity recorded)
    {
        string[] options = [$"the partition of {DestinationOptions.Region.Name}", DestinationOptions.RoleArn.Name, $"another {DestinationOptions.ExternalId.Name}", DestinationOptions.ExpectedBucketOwner.Name];
        string[] mine = Fields, theirs = recorded.Fields;
        return [.. Enumerable.Range(0, Names.Length).Where(i => mine[i] != theirs[i]).Select(i => i == 2 ? options[i] : $"{options[i]} '{theirs[i]}' (this run: '{mine[i]}')")];
    }
}
