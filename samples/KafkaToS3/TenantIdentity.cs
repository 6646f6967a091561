using System.Security.Cryptography;
using System.Text;
using RawDataDestination.Cli;
using RawDataDestination.S3;
using RawDataDestination.Staging;

namespace RawDataDestination.KafkaToS3;

/// <summary>
/// Whose bucket a tenant's staged batches are for, beyond the bucket's name, as <c>rawdata ship --stage-bucket</c> says it
/// for its destination (its <c>DestinationIdentity</c>, the same fields, the same digest): the bucket and path prefix, the
/// AWS partition of the region, the role, a digest of the external id and the expected bucket owner. A bucket name is
/// unique only within one partition or S3-compatible store, so two customers' buckets of one name (served by two
/// deployments of this worker that share a staging bucket, or reached in two partitions) get staging prefixes of their
/// own (<c>~BUCKET~TAG/</c>), and a copier for one never lists the other's batches. Being rawdata's identity, a tenant's
/// staged batches are also delivered by <c>rawdata deliver-staged</c> given the tenant's values.
/// </summary>
/// <remarks>
/// The region within a partition and the endpoint are left out, as rawdata leaves them out: one store is reached at several
/// addresses (a proxy, a VPC endpoint), and two stores' buckets of one name belong to two customers, whose roles and
/// external ids differ.
/// </remarks>
internal static class TenantIdentity
{
    /// <summary>The owner recorded for a tenant without <c>expectedBucketOwner</c> (rawdata's word).</summary>
    private const string NoOwner = "none";

    /// <summary>The identity of the tenant whose settings are <paramref name="options"/> (already checked), as staged batches carry it.</summary>
    public static StagedFor Of(S3RoleDestinationOptions options)
    {
        string bucket = BucketLocation.Parse(options.Bucket).ToString();
        string owner = options.ExpectedBucketOwner is { Length: > 0 } given ? given.Trim() : NoOwner;
        string key = $"partition {IdentityDigests.PartitionOf(options.Region)}\nrole-arn {options.RoleArn.Trim()}\nexternal-id-sha256 {IdentityDigests.ExternalIdDigest(options.ExternalId)}\nexpected-bucket-owner {owner}";
        string record = $"{bucket}\n{key}";
        return new StagedFor(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(record)))[..32], record);
    }
}
