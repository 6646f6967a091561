namespace RawDataDestination.LocalPeers;

/// <summary>Fixed settings of the local STS peer: the one role it trusts and what it issues.</summary>
internal sealed record StsOptions(
    string Address,
    int Port,
    string RoleArn,
    string ExternalId,
    int ExpirySeconds,
    string IssuedAccessKeyId,
    string IssuedSecretAccessKey,
    IReadOnlySet<string>? AcceptedCallerKeyIds = null)
{
    public static StsOptions From(CommandLine line)
    {
        var options = new StsOptions(
            line.Optional("address", "127.0.0.1"),
            line.Int("port", -1),
            line.Required("role-arn"),
            line.Required("external-id"),
            line.Int("expiry-seconds", 3600),
            line.Optional("access-key-id", "S3RVER"),
            line.Optional("secret-access-key", "S3RVER"),
            line.Optional("accept-caller-key-ids") is { } accepted ? new HashSet<string>(accepted.Split(','), StringComparer.Ordinal) : null);
        if (options.Port is < 0 or > 65535)
        {
            throw new UsageException("--port N is required (0 picks a free port)");
        }

        if (options.ExpirySeconds <= 0)
        {
            throw new UsageException("--expiry-seconds must be positive");
        }

        return options;
    }
}
