using RawDataDestination.Internal;
using RawDataDestination.S3;
using RawDataDestination.Sts;

namespace RawDataDestination.KafkaToS3;

/// <summary>
/// The worker's words for the library's settings, as its user wrote them: a tenant's fields in the <c>--tenants</c> file
/// (<c>"bucket"</c>, <c>"roleArn"</c>, ...), and the command line's flags for the settings every tenant shares
/// (<c>--endpoint-url</c>) and for the staging bucket. The library composes its messages with these words
/// (<see cref="SettingWords"/>), as it does with <c>rawdata</c>'s flags: no message is rewritten, and each keeps one
/// owner, the library's.
/// </summary>
internal static class TenantWords
{
    private static readonly Dictionary<string, string> Fields = new(StringComparer.Ordinal)
    {
        ["Region"] = "region",
        ["Bucket"] = "bucket",
        ["RoleArn"] = "roleArn",
        ["ExternalId"] = "externalId",
        ["Acl"] = "acl",
        ["Encryption"] = "sse",
        ["KmsKeyId"] = "kmsKeyId",
        ["ExpectedBucketOwner"] = "expectedBucketOwner",
    };

    private static readonly Dictionary<string, string> Flags = new(StringComparer.Ordinal)
    {
        ["ServiceUrl"] = "--endpoint-url",
        ["StsServiceUrl"] = "--sts-endpoint-url",
        ["AllowUnknownRegion"] = "--allow-unknown-region",
        ["MaxEventBytes"] = "--max-event-bytes",
        ["Staging Bucket"] = "--stage-bucket",
        ["Staging Region"] = "--stage-region",
        ["Staging ServiceUrl"] = "--stage-endpoint-url",
        ["Staging AllowUnknownRegion"] = "--allow-unknown-region",
    };

    /// <summary>Gets the words of a customer's refusal met while the worker runs: a field as <c>the tenant's "bucket" in the --tenants file</c>.</summary>
    public static SettingWords Words { get; } = Of(field => $"the tenant's \"{field}\" in the --tenants file", " in the tenant's entry of the --tenants file");

    /// <summary>
    /// Gets the words of a problem of the file found at start, which the message already prefixes with the tenant
    /// (<c>tenant 'acme' (tenants[0]): </c>): a field alone, <c>"bucket"</c>, as the file's own problems name it.
    /// </summary>
    public static SettingWords InFile { get; } = Of(field => $"\"{field}\"", string.Empty);

    /// <summary>
    /// The library's explanation of <paramref name="error"/> (a <see cref="DestinationException"/> or
    /// <see cref="AssumeRoleException"/> in it) in <see cref="Words"/>, or its message when the library explained nothing.
    /// </summary>
    public static string Explain(Exception error)
    {
        for (Exception? current = error; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case DestinationException explained:
                    return explained.Describe(Words);
                case AssumeRoleException refused:
                    return refused.Describe(Words);
            }
        }

        return error.Message;
    }

    /// <summary>Words that name a field with <paramref name="field"/> and a flag as itself; a setting neither sets keeps its property name.</summary>
    private static SettingWords Of(Func<string, string> field, string where)
    {
        return new SettingWords(Name, Assign);

        string Name(string setting) =>
            Fields.TryGetValue(setting, out string? name) ? field(name)
            : Flags.TryGetValue(setting, out string? flag) ? flag
            : setting;

        string Assign(string setting, string value) => setting switch
        {
            "Acl" when value == "ObjectAcl.None" => $"write \"acl\":\"none\"{where}",
            "AllowUnknownRegion" or "Staging AllowUnknownRegion" when value == "true" => $"add {Name(setting)}",
            _ when Flags.TryGetValue(setting, out string? flag) => $"give {flag} {value}",
            _ => $"set {Name(setting)} to {value}",
        };
    }
}
