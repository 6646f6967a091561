using RawDataDestination.Aws;
using RawDataDestination.Internal;

namespace RawDataDestination.Sts;

/// <summary>
/// The rules of the settings AssumeRole takes: <c>RoleArn</c>, <c>ExternalId</c>, <c>RoleSessionName</c> and
/// <c>SessionDuration</c>. Each returns <see langword="null"/> when the value is valid, or a message that names the
/// setting, quotes the value given, says what a valid value looks like and, when the fix is obvious, what to enter.
/// </summary>
internal static class AssumeRoleRules
{
    /// <summary>The example role ARN shown in messages.</summary>
    public const string ExampleRoleArn = "arn:aws:iam::123456789012:role/SegmentS3Upload";

    /// <summary>The shortest session duration STS accepts.</summary>
    public static readonly TimeSpan MinSessionDuration = TimeSpan.FromMinutes(15);

    /// <summary>The longest session duration STS accepts (the role's own maximum may be lower).</summary>
    public static readonly TimeSpan MaxSessionDuration = TimeSpan.FromHours(12);

    private const string ExternalIdAllowed = "letters, digits, underscores and + = , . @ : / -";
    private const string IamNameAllowed = "letters, digits, underscores and + = , . @ -";
    private const string ExternalIdExpected = "an external id is 2 to 1224 " + ExternalIdAllowed + ", and must match the sts:ExternalId condition in the role's trust policy";
    private const string SessionNameExpected = "a role session name is 2 to 64 " + IamNameAllowed + ", like 'segment-s3-upload'";

    /// <summary>
    /// Validates the "RoleArn" setting: <c>arn:{aws|aws-cn|aws-us-gov}:iam::{12 digits}:role/{optional path/}{name}</c>.
    /// </summary>
    /// <param name="value">The value given.</param>
    /// <param name="words">How the message names settings; the default is their property names.</param>
    /// <returns><see langword="null"/> when valid; otherwise the error message.</returns>
    public static string? RoleArnError(string? value, SettingWords? words = null)
    {
        words ??= SettingWords.Properties;
        string setting = words.Name("RoleArn");
        const string Expected = "enter the ARN of the IAM role to assume, like '" + ExampleRoleArn + "'";
        if (string.IsNullOrEmpty(value))
        {
            return $"{setting} is not set; {Expected}.";
        }

        string quoted = SettingText.Quote(value);
        if (SettingText.HasSurroundingWhitespace(value))
        {
            return SettingText.WhitespaceProblem(setting, value, trimmed => RoleArnError(trimmed, words) is null, $"{setting} {quoted} has leading or trailing whitespace and is not a valid IAM role ARN; {Expected}.");
        }

        if (!value.StartsWith("arn:", StringComparison.Ordinal))
        {
            return IsValidIamName(value, 64)
                ? $"{setting} {quoted} looks like a role name, not a role ARN; enter the role's full ARN, "
                    + $"like {SettingText.Quote($"arn:aws:iam::123456789012:role/{value}")} with your account id."
                : $"{setting} {quoted} is not an ARN; {Expected}.";
        }

        if (!AwsArn.TrySplit(value, out AwsArn arn))
        {
            return $"{setting} {quoted} is not a well-formed ARN (it needs six ':'-separated parts); {Expected}.";
        }

        return ArnPartsError(arn, setting, quoted, Expected, words) ?? RolePathError(arn.Resource, setting, quoted, Expected);
    }

    /// <summary>
    /// Validates the "ExternalId" setting: 2 to 1224 characters of ASCII letters, digits, '_' and <c>+=,.@:/-</c>.
    /// </summary>
    /// <param name="value">The value given.</param>
    /// <param name="words">How the message names settings; the default is their property names.</param>
    /// <returns><see langword="null"/> when valid; otherwise the error message.</returns>
    public static string? ExternalIdError(string? value, SettingWords? words = null) =>
        SettingText.CharactersProblem((words ?? SettingWords.Properties).Name("ExternalId"), value, 2, 1224, IsExternalIdChar, ExternalIdExpected, suggestTrimmed: true);

    /// <summary>Validates the "RoleSessionName" setting: 2 to 64 characters of ASCII letters, digits, '_' and <c>+=,.@-</c>.</summary>
    /// <param name="value">The value given.</param>
    /// <param name="words">How the message names settings; the default is their property names.</param>
    /// <returns><see langword="null"/> when valid; otherwise the error message.</returns>
    public static string? SessionNameError(string? value, SettingWords? words = null) =>
        SettingText.CharactersProblem((words ?? SettingWords.Properties).Name("RoleSessionName"), value, 2, 64, IsIamNameChar, SessionNameExpected);

    /// <summary>
    /// Checks the "SessionDuration" setting: 15 minutes to 12 hours, as STS allows, in the wording of every range
    /// (<see cref="SettingChecks.Require(bool, string, TimeSpan, string, TimeSpan)"/>).
    /// </summary>
    /// <param name="check">The problems of the options being checked.</param>
    /// <param name="value">The value given.</param>
    /// <param name="defaultValue">The options' default.</param>
    public static void CheckSessionDuration(SettingChecks check, TimeSpan value, TimeSpan defaultValue) =>
        check.Require(
            value >= MinSessionDuration && value <= MaxSessionDuration,
            "SessionDuration",
            value,
            $"from {SettingChecks.Duration(MinSessionDuration)} to {SettingChecks.Duration(MaxSessionDuration)}, as STS allows, and at most the role's maximum session duration, which is 1 hour unless changed in IAM",
            defaultValue);

    /// <summary>
    /// The rule that spans <c>RoleArn</c> and a region setting (<c>Region</c>, <c>StsRegion</c>): STS gives a role's
    /// credentials only in the role's partition, and they are taken only by that partition's endpoints, so a role of one
    /// partition with a region of another can never work. The message names both values, the partition each implies, and
    /// the two ways to agree.
    /// </summary>
    /// <param name="roleArn">The RoleArn given.</param>
    /// <param name="region">The region given.</param>
    /// <param name="regionSetting">The region setting's property name: "Region" or "StsRegion".</param>
    /// <param name="words">How the message names settings; the default is their property names.</param>
    /// <returns><see langword="null"/> when the partitions agree, or when either value is invalid (its own rule says so); otherwise the error message.</returns>
    public static string? PartitionError(string? roleArn, string? region, string regionSetting, SettingWords? words = null)
    {
        words ??= SettingWords.Properties;
        if (roleArn is null || region is null || !RegionRules.IsWellFormed(region) || RoleArnError(roleArn, words) is not null
            || !AwsArn.TrySplit(roleArn, out AwsArn arn))
        {
            return null;
        }

        string regionPartition = RegionRules.PartitionOf(region);
        if (arn.Partition == regionPartition)
        {
            return null;
        }

        string example = arn.Partition switch { "aws-cn" => "cn-north-1", "aws-us-gov" => "us-gov-west-1", _ => "us-east-1" };
        string otherRole = AwsArn.IsKnownPartition(regionPartition)
            ? $"the ARN of a role in partition {SettingText.Quote(regionPartition)} (such as {SettingText.Quote($"arn:{regionPartition}:iam::{arn.Account}:{arn.Resource}")})"
            : $"the ARN of a role in that partition";
        return $"{words.Name("RoleArn")} {SettingText.Quote(roleArn)} is a role of partition {SettingText.Quote(arn.Partition)}, but "
            + $"{words.Name(regionSetting)} {SettingText.Quote(region)} is a region of partition {SettingText.Quote(regionPartition)}: a role's credentials "
            + $"work only in its own partition ({AwsArn.KnownPartitions}), so this can never work. Give {otherRole}, "
            + $"or a region of partition {SettingText.Quote(arn.Partition)} (such as {SettingText.Quote(example)}), whichever is the bucket's.";
    }

    /// <summary>The problem with the partition, service, region or account of a role ARN, or <see langword="null"/>.</summary>
    private static string? ArnPartsError(AwsArn arn, string setting, string quoted, string expected, SettingWords words)
    {
        if (!AwsArn.IsKnownPartition(arn.Partition))
        {
            return $"{setting} {quoted} has partition {SettingText.Quote(arn.Partition)}; use {AwsArn.KnownPartitions}, like '{ExampleRoleArn}'.";
        }

        if (arn.Service == "sts" && arn.Resource.StartsWith("assumed-role/", StringComparison.Ordinal))
        {
            string[] sessionParts = arn.Resource.Split('/');
            string suggestion = sessionParts.Length >= 2 && AwsArn.IsAccountId(arn.Account)
                ? $"; enter the role's ARN {SettingText.Quote($"arn:{arn.Partition}:iam::{arn.Account}:role/{sessionParts[1]}")}"
                : $"; {expected}";
            return $"{setting} {quoted} is the ARN of an assumed-role session, not of an IAM role{suggestion} (include the role's path if it has one).";
        }

        if (arn.Service != "iam")
        {
            string kind = arn.Service == "s3" ? "an S3 ARN" : $"an ARN for the {SettingText.Quote(arn.Service)} service";
            return $"{setting} {quoted} is {kind}, not an IAM role ARN; {expected}.";
        }

        if (arn.Region.Length != 0)
        {
            string fixedArn = $"arn:{arn.Partition}:iam::{arn.Account}:{arn.Resource}";
            return RoleArnError(fixedArn, words) is null
                ? $"{setting} {quoted} names region {SettingText.Quote(arn.Region)}, but IAM ARNs have no region; enter {SettingText.Quote(fixedArn)}."
                : $"{setting} {quoted} names region {SettingText.Quote(arn.Region)}, but IAM ARNs have no region; {expected}.";
        }

        if (!AwsArn.IsAccountId(arn.Account))
        {
            return $"{setting} {quoted} has account id {SettingText.Quote(arn.Account)}; an AWS account id is exactly 12 digits "
                + $"(including any leading zeros), like '{ExampleRoleArn}'.";
        }

        return null;
    }

    /// <summary>The problem with the <c>role/{path/}{name}</c> resource of a role ARN, or <see langword="null"/>.</summary>
    private static string? RolePathError(string resource, string setting, string quoted, string expected)
    {
        int slash = resource.IndexOf('/', StringComparison.Ordinal);
        string resourceType = slash < 0 ? resource : resource[..slash];
        if (resourceType != "role")
        {
            string kind = resourceType.Length == 0 ? "has no resource type" : $"is the ARN of an IAM {SettingText.Quote(resourceType)}";
            return $"{setting} {quoted} {kind}, not of an IAM role; the resource part of a role ARN starts with 'role/', like '{ExampleRoleArn}'.";
        }

        string pathAndName = slash < 0 ? string.Empty : resource[(slash + 1)..];
        string[] segments = pathAndName.Split('/');
        string name = segments[^1];
        if (name.Length == 0)
        {
            return $"{setting} {quoted} has no role name after 'role/'; {expected}.";
        }

        if (!IsValidIamName(name, 64))
        {
            return $"{setting} {quoted} has role name {SettingText.Quote(name)}; a role name is 1 to 64 {IamNameAllowed}, like '{ExampleRoleArn}'.";
        }

        for (int i = 0; i < segments.Length - 1; i++)
        {
            if (segments[i].Length == 0 || !IsValidIamName(segments[i], 512))
            {
                return $"{setting} {quoted} has an invalid role path; each path segment between '/' is one or more "
                    + $"{IamNameAllowed}, like 'arn:aws:iam::123456789012:role/segment/SegmentS3Upload'.";
            }
        }

        return pathAndName.Length - name.Length > 512
            ? $"{setting} {quoted} has a role path longer than 512 characters; {expected}."
            : null;
    }

    private static bool IsIamNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '+' or '=' or ',' or '.' or '@' or '-';

    private static bool IsExternalIdChar(char c) => IsIamNameChar(c) || c is ':' or '/';

    private static bool IsValidIamName(string value, int maxLength) =>
        value.Length >= 1 && value.Length <= maxLength && SettingText.IsAll(value, IsIamNameChar);
}
