using System.Text.RegularExpressions;

namespace RawDataDestination.Cli;

/// <summary>
/// Rewrites the library's messages, which name settings as properties (<c>Region</c>, <c>RoleArn</c>), into the words a
/// <c>rawdata</c> user typed (<c>--region</c>, <c>--role-arn</c>), and drops .NET's <c>(Parameter '...')</c> tails.
/// </summary>
internal static partial class UserWords
{
    private static readonly Dictionary<string, string> Flags = new(StringComparer.Ordinal)
    {
        ["Region"] = "--region",
        ["StsRegion"] = "--sts-region",
        ["Bucket"] = "--bucket",
        ["RoleArn"] = "--role-arn",
        ["ExternalId"] = "--external-id",
        ["RoleSessionName"] = "--role-session-name",
        ["ServiceUrl"] = "--endpoint-url",
        ["StsServiceUrl"] = "--sts-endpoint-url",
        ["KmsKeyId"] = "--kms-key-id",
        ["AllowUnknownRegion"] = "--allow-unknown-region",
        ["RetryTimeLimit"] = "--retry-time-limit",
        ["SourceId"] = "--source-id",
        ["MaxBatchBytes"] = "--max-batch-bytes",
        ["MaxEventBytes"] = "--max-event-bytes",
        ["CompressionThreads"] = "--compression-threads",
        ["ShutdownTimeout"] = "--shutdown-timeout",
        ["SpoolDirectory"] = "--spool-dir",
    };

    /// <summary>The message of <paramref name="exception"/> in the user's words, without a <c>(Parameter ...)</c> tail.</summary>
    public static string Of(Exception exception)
    {
        string message = exception.Message;
        if (exception is ArgumentException { ParamName: { } name })
        {
            message = message.Replace($" (Parameter '{name}')", string.Empty, StringComparison.Ordinal);
        }

        return Apply(message);
    }

    /// <summary>Replaces setting names with the flags that set them.</summary>
    public static string Apply(string message)
    {
        message = message
            .Replace("set Acl = ObjectAcl.None in the options (rawdata: --acl none)", "add --acl none", StringComparison.Ordinal)
            .Replace("set AllowUnknownRegion to accept it", "add --allow-unknown-region to accept it", StringComparison.Ordinal);
        return SettingName().Replace(message, match => Flags[match.Value]);
    }

    [GeneratedRegex(@"(?<![\w.-])(StsRegion|Region|Bucket|RoleArn|ExternalId|RoleSessionName|StsServiceUrl|ServiceUrl|KmsKeyId|AllowUnknownRegion|RetryTimeLimit|SourceId|MaxBatchBytes|MaxEventBytes|CompressionThreads|ShutdownTimeout|SpoolDirectory)(?![\w-])")]
    private static partial Regex SettingName();
}
