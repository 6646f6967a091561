namespace RawDataDestination.LocalPeers.Aws;

/// <summary>What a customer sets up for the service: a bucket, and a role the service may assume with an external id.</summary>
internal sealed class CustomerRoleSetup
{
    /// <summary>Gets the role's name.</summary>
    public required string RoleName { get; init; }

    /// <summary>Gets the external id the trust policy requires; <see langword="null"/> leaves the condition out.</summary>
    public required string? ExternalId { get; init; }

    /// <summary>Gets the bucket the role may write to (created if it does not exist).</summary>
    public required string Bucket { get; init; }

    /// <summary>Gets the key prefixes the role may write under, each before <c>segment-logs/</c> ("" for none).</summary>
    public IReadOnlyList<string> Prefixes { get; init; } = [string.Empty];

    /// <summary>Gets the ARN of the KMS key objects may be encrypted with (<c>kms:GenerateDataKey</c>), if any.</summary>
    public string? KmsKeyArn { get; init; }
}
