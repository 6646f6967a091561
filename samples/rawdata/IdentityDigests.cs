using System.Security.Cryptography;
using System.Text;

namespace RawDataDestination.Cli;

/// <summary>
/// The two fields of a destination's identity kept as something other than their value: the external id as a digest
/// (enough to tell two apart, not to keep it) and the region as its AWS partition. Compiled into KafkaToS3 too (linked),
/// so that a tenant's staged batches carry the very identity <c>rawdata deliver-staged</c> computes from its options.
/// </summary>
internal static class IdentityDigests
{
    /// <summary>The first 16 hex digits of the SHA-256 of <paramref name="externalId"/>: enough to tell two apart, not to keep it.</summary>
    public static string ExternalIdDigest(string externalId) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"rawdata external id\n{externalId}")))[..16];

    /// <summary>The AWS partition of <paramref name="region"/>: the library's one mapping (<see cref="Aws.RegionRules.PartitionOf"/>).</summary>
    public static string PartitionOf(string region) => Aws.RegionRules.PartitionOf(region);
}
