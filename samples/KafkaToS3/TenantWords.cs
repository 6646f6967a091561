using RawDataDestination.Internal;
using RawDataDestination.S3;
using RawDataDestination.Sts;

namespace RawDataDestination.KafkaToS3;

/// <summary>
/// The worker's words for the library's settings, as its user wrote them: a tenant's fields in the <c>--tenants</c> file
/// (<c>"bucket"</c>, <c>"roleArn"</c>, ...), and the command line's flags for the settings every tenant shares
/// (<c>--endpoint-url</c>). The library composes its explanations with these words (<see cref="SettingWords"/>), as it does
/// with <c>rawdata</c>'s flags: no message is rewritten, and each keeps one owner, the library's.
/// </summary>
internal static class TenantWords
{
    private static readonly Dictionary<string, string> Names = new(StringComparer.Ordinal)
    {
        ["Region"] = Field("region"),
        ["Bucket"] = Field("bucket"),
        ["RoleArn"] = Field("roleArn"),
        ["ExternalId"] = Field("externalId"),
        ["Acl"] = Field("acl"),
        ["Encryption"] = Field("sse"),
        ["KmsKeyId"] = Field("kmsKeyId"),
        ["ServiceUrl"] = "--endpoint-url",
        ["StsServiceUrl"] = "--sts-endpoint-url",
        ["Staging Bucket"] = "--stage-bucket",
        ["Staging Region"] = "--stage-region",
        ["Staging ServiceUrl"] = "--stage-endpoint-url",
    };

    /// <summary>Gets the words: a setting no field nor flag sets keeps its property name.</summary>
    public static SettingWords Words { get; } = new(Name, Assign);

    /// <summary>
    /// The library's explanation of <paramref name="error"/> (a <see cref="DestinationException"/> or
    /// <see cref="AssumeRoleException"/> in it) in these words, or its message when the library explained nothing.
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

    private static string Field(string field) => $"the tenant's \"{field}\" in the --tenants file";

    private static string Name(string setting) => Names.TryGetValue(setting, out string? name) ? name : setting;

    private static string Assign(string setting, string value) => setting switch
    {
        "Acl" when value == "ObjectAcl.None" => "write \"acl\":\"none\" in the tenant's entry of the --tenants file",
        _ when Names.ContainsKey(setting) && Names[setting].StartsWith("--", StringComparison.Ordinal) => $"give {Names[setting]} {value}",
        _ when Names.ContainsKey(setting) => $"set {Names[setting]} to {value}",
        _ => $"set {setting} to {value}",
    };
}
