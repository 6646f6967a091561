using System.Globalization;
using System.Text;

namespace RawDataDestination.Internal;

/// <summary>
/// The single home of the validation rules for the destination's settings. Each rule returns
/// <see langword="null"/> when the value is valid, or a complete, user-facing error message that
/// names the setting, quotes the value given, says what a valid value looks like and, when the fix
/// is obvious, what to enter instead.
/// </summary>
internal static class SettingRules
{
    /// <summary>The example role ARN shown in messages.</summary>
    internal const string ExampleRoleArn = "arn:aws:iam::123456789012:role/SegmentS3Upload";

    /// <summary>The longest source id accepted; also used to size the longest object key.</summary>
    internal const int MaxSourceIdLength = 128;

    /// <summary>The shortest session duration STS accepts.</summary>
    internal static readonly TimeSpan MinSessionDuration = TimeSpan.FromMinutes(15);

    /// <summary>The longest session duration STS accepts (the role's own maximum may be lower).</summary>
    internal static readonly TimeSpan MaxSessionDuration = TimeSpan.FromHours(12);

    private const int MaxQuotedLength = 200;
    private const string RegionExample = "region code like 'us-east-1', 'eu-central-1' or 'us-gov-west-1'";
    private const string ExternalIdAllowed = "letters, digits, underscores and + = , . @ : / -";
    private const string SessionNameAllowed = "letters, digits, underscores and + = , . @ -";
    private const string SourceIdAllowed = "letters A-Z and a-z, digits 0-9, '_', '.' and '-'";
    private const string KmsKeyExamples =
        "a key id like '1234abcd-12ab-34cd-56ef-1234567890ab', an alias like 'alias/my-key', "
        + "or an ARN like 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'";

    /// <summary>
    /// Validates a region setting ("Region" or "StsRegion"): a lowercase AWS region code such as <c>us-east-1</c> and,
    /// unless <paramref name="allowUnknown"/>, one of the AWS SDK's regions (<see cref="Amazon.RegionEndpoint.EnumerableAllRegions"/>).
    /// An unknown region is refused naming the closest known one, and the way to accept a region newer than the SDK.
    /// </summary>
    /// <param name="value">The value given.</param>
    /// <param name="allowUnknown">Whether a well-formed region the SDK does not know is accepted (AllowUnknownRegion).</param>
    /// <param name="setting">The setting's property name ("Region", "StsRegion").</param>
    /// <param name="words">How the message names settings; the default is their property names.</param>
    /// <returns><see langword="null"/> when valid; otherwise the error message.</returns>
    public static string? RegionError(string? value, bool allowUnknown = true, string setting = "Region", SettingWords? words = null)
    {
        words ??= SettingWords.Properties;
        string name = words.Name(setting);
        if (string.IsNullOrEmpty(value))
        {
            return $"{name} is not set; enter an AWS {RegionExample}.";
        }

        if (IsWellFormedRegion(value))
        {
            return allowUnknown || IsKnownRegion(value) ? null : UnknownRegionError(value, name, words);
        }

        string? fix = WhitespaceOrCaseFix(value, IsWellFormedRegion);
        if (fix is not null)
        {
            string problem = $"{name} {Quote(value)} is not a valid AWS region code: {DescribeWhitespaceOrCase(value)}";
            return allowUnknown || IsKnownRegion(fix)
                ? $"{problem}; enter {Quote(fix)}."
                : $"{problem}, and {Quote(fix)} is not a region the AWS SDK knows either; enter {Quote(ClosestKnownRegion(fix))}.";
        }

        return $"{name} {Quote(value)} is not a valid AWS region code; enter a lowercase {RegionExample}.";
    }

    /// <summary>True when the AWS SDK knows <paramref name="region"/>.</summary>
    internal static bool IsKnownRegion(string region) =>
        Amazon.RegionEndpoint.EnumerableAllRegions.Any(known => known.SystemName == region);

    /// <summary>The SDK region nearest to <paramref name="region"/> by edit distance (ties: the first in the SDK's order).</summary>
    internal static string ClosestKnownRegion(string region) =>
        Amazon.RegionEndpoint.EnumerableAllRegions
            .Select(known => known.SystemName)
            .MinBy(known => EditDistance(region, known))!;

    private static string UnknownRegionError(string value, string name, SettingWords words) =>
        $"{name} {Quote(value)} is not an AWS region this version of the AWS SDK knows; did you mean {Quote(ClosestKnownRegion(value))}? "
        + $"If {Quote(value)} is a region newer than the SDK, {words.Assign("AllowUnknownRegion", "true")} to accept it.";

    /// <summary>The Levenshtein distance: insertions, deletions and substitutions that turn one string into the other.</summary>
    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j], current[j - 1]) + 1);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }

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

        if (HasSurroundingWhitespace(value))
        {
            string trimmed = value.Trim();
            return RoleArnError(trimmed, words) is null
                ? $"{setting} {Quote(value)} has leading or trailing whitespace; enter {Quote(trimmed)}."
                : $"{setting} {Quote(value)} has leading or trailing whitespace and is not a valid IAM role ARN; {Expected}.";
        }

        if (!value.StartsWith("arn:", StringComparison.Ordinal))
        {
            if (IsValidIamName(value, 64))
            {
                return $"{setting} {Quote(value)} looks like a role name, not a role ARN; enter the role's full ARN, "
                    + $"like {Quote($"arn:aws:iam::123456789012:role/{value}")} with your account id.";
            }

            return $"{setting} {Quote(value)} is not an ARN; {Expected}.";
        }

        string[] parts = value.Split(':', 6);
        if (parts.Length < 6)
        {
            return $"{setting} {Quote(value)} is not a well-formed ARN (it needs six ':'-separated parts); {Expected}.";
        }

        string partition = parts[1], service = parts[2], region = parts[3], account = parts[4], resource = parts[5];
        if (!IsKnownPartition(partition))
        {
            return $"{setting} {Quote(value)} has partition {Quote(partition)}; use 'aws', 'aws-cn' or 'aws-us-gov', like '{ExampleRoleArn}'.";
        }

        if (service == "sts" && resource.StartsWith("assumed-role/", StringComparison.Ordinal))
        {
            string[] sessionParts = resource.Split('/');
            string suggestion = sessionParts.Length >= 2 && IsTwelveDigits(account)
                ? $"; enter the role's ARN {Quote($"arn:{partition}:iam::{account}:role/{sessionParts[1]}")}"
                : $"; {Expected}";
            return $"{setting} {Quote(value)} is the ARN of an assumed-role session, not of an IAM role{suggestion} (include the role's path if it has one).";
        }

        if (service != "iam")
        {
            string kind = service == "s3" ? "an S3 ARN" : $"an ARN for the {Quote(service)} service";
            return $"{setting} {Quote(value)} is {kind}, not an IAM role ARN; {Expected}.";
        }

        if (region.Length != 0)
        {
            string fixedArn = $"arn:{partition}:iam::{account}:{resource}";
            return RoleArnError(fixedArn, words) is null
                ? $"{setting} {Quote(value)} names region {Quote(region)}, but IAM ARNs have no region; enter {Quote(fixedArn)}."
                : $"{setting} {Quote(value)} names region {Quote(region)}, but IAM ARNs have no region; {Expected}.";
        }

        if (!IsTwelveDigits(account))
        {
            return $"{setting} {Quote(value)} has account id {Quote(account)}; an AWS account id is exactly 12 digits "
                + $"(including any leading zeros), like '{ExampleRoleArn}'.";
        }

        int slash = resource.IndexOf('/', StringComparison.Ordinal);
        string resourceType = slash < 0 ? resource : resource[..slash];
        if (resourceType != "role")
        {
            string kind = resourceType.Length == 0 ? "has no resource type" : $"is the ARN of an IAM {Quote(resourceType)}";
            return $"{setting} {Quote(value)} {kind}, not of an IAM role; the resource part of a role ARN starts with 'role/', like '{ExampleRoleArn}'.";
        }

        string pathAndName = slash < 0 ? string.Empty : resource[(slash + 1)..];
        string[] segments = pathAndName.Split('/');
        string name = segments[^1];
        if (name.Length == 0)
        {
            return $"{setting} {Quote(value)} has no role name after 'role/'; {Expected}.";
        }

        if (!IsValidIamName(name, 64))
        {
            return $"{setting} {Quote(value)} has role name {Quote(name)}; a role name is 1 to 64 {SessionNameAllowed}, like '{ExampleRoleArn}'.";
        }

        for (int i = 0; i < segments.Length - 1; i++)
        {
            if (segments[i].Length == 0 || !IsValidIamName(segments[i], 512))
            {
                return $"{setting} {Quote(value)} has an invalid role path; each path segment between '/' is one or more "
                    + $"{SessionNameAllowed}, like 'arn:aws:iam::123456789012:role/segment/SegmentS3Upload'.";
            }
        }

        if (pathAndName.Length - name.Length > 512)
        {
            return $"{setting} {Quote(value)} has a role path longer than 512 characters; {Expected}.";
        }

        return null;
    }

    /// <summary>
    /// Validates the "ExternalId" setting: 2 to 1224 characters of ASCII letters, digits, '_' and <c>+=,.@:/-</c>.
    /// </summary>
    /// <param name="value">The value given.</param>
    /// <param name="words">How the message names settings; the default is their property names.</param>
    /// <returns><see langword="null"/> when valid; otherwise the error message.</returns>
    public static string? ExternalIdError(string? value, SettingWords? words = null)
    {
        words ??= SettingWords.Properties;
        string setting = words.Name("ExternalId");
        const string Expected = "an external id is 2 to 1224 " + ExternalIdAllowed + ", and must match the sts:ExternalId condition in the role's trust policy";
        if (string.IsNullOrEmpty(value))
        {
            return $"{setting} is not set; {Expected}.";
        }

        int bad = IndexOfInvalid(value, IsExternalIdChar);
        if (bad >= 0)
        {
            string fix = HasSurroundingWhitespace(value) && ExternalIdError(value.Trim(), words) is null
                ? $"; enter {Quote(value.Trim())}"
                : string.Empty;
            return $"{setting} {Quote(value)} contains {DescribeChar(value, bad)} at position {Position(bad)}; {Expected}{fix}.";
        }

        if (value.Length is < 2 or > 1224)
        {
            return $"{setting} {Quote(value)} is {Characters(value.Length)} long; {Expected}.";
        }

        return null;
    }

    /// <summary>
    /// Validates the "SourceId" setting: 1 to 128 characters of <c>[A-Za-z0-9_.-]</c>, not <c>.</c> or <c>..</c>.
    /// The source id becomes a folder of every object key, so it can't contain path separators or escapes.
    /// </summary>
    /// <param name="value">The value given.</param>
    /// <param name="words">How the message names settings; the default is their property names.</param>
    /// <returns><see langword="null"/> when valid; otherwise the error message.</returns>
    public static string? SourceIdError(string? value, SettingWords? words = null)
    {
        words ??= SettingWords.Properties;
        string setting = words.Name("SourceId");
        const string Expected = "a source id is 1 to 128 characters of " + SourceIdAllowed
            + "; it names a folder in the object key, so it can't contain path separators, escapes or whitespace";
        if (string.IsNullOrEmpty(value))
        {
            return $"{setting} is not set; {Expected}.";
        }

        int bad = IndexOfInvalid(value, IsSourceIdChar);
        if (bad >= 0)
        {
            return $"{setting} {Quote(value)} contains {DescribeChar(value, bad)} at position {Position(bad)}; {Expected}.";
        }

        if (value is "." or "..")
        {
            return $"{setting} {Quote(value)} is a relative path segment; {Expected}, and is not '.' or '..'.";
        }

        if (value.Length > MaxSourceIdLength)
        {
            return $"{setting} {Quote(value)} is {Characters(value.Length)} long; {Expected}.";
        }

        return null;
    }

    /// <summary>Validates the "RoleSessionName" setting: 2 to 64 characters of ASCII letters, digits, '_' and <c>+=,.@-</c>.</summary>
    /// <param name="value">The value given.</param>
    /// <param name="words">How the message names settings; the default is their property names.</param>
    /// <returns><see langword="null"/> when valid; otherwise the error message.</returns>
    public static string? SessionNameError(string? value, SettingWords? words = null)
    {
        words ??= SettingWords.Properties;
        string setting = words.Name("RoleSessionName");
        const string Expected = "a role session name is 2 to 64 " + SessionNameAllowed + ", like 'segment-s3-upload'";
        if (string.IsNullOrEmpty(value))
        {
            return $"{setting} is not set; {Expected}.";
        }

        int bad = IndexOfInvalid(value, IsIamNameChar);
        if (bad >= 0)
        {
            return $"{setting} {Quote(value)} contains {DescribeChar(value, bad)} at position {Position(bad)}; {Expected}.";
        }

        if (value.Length is < 2 or > 64)
        {
            return $"{setting} {Quote(value)} is {Characters(value.Length)} long; {Expected}.";
        }

        return null;
    }

    /// <summary>Validates the "SessionDuration" setting: 15 minutes to 12 hours.</summary>
    /// <param name="value">The value given.</param>
    /// <param name="words">How the message names settings; the default is their property names.</param>
    /// <returns><see langword="null"/> when valid; otherwise the error message.</returns>
    public static string? SessionDurationError(TimeSpan value, SettingWords? words = null)
    {
        if (value >= MinSessionDuration && value <= MaxSessionDuration)
        {
            return null;
        }

        string given = value.ToString("c", CultureInfo.InvariantCulture);
        return $"{(words ?? SettingWords.Properties).Name("SessionDuration")} '{given}' is outside the range STS allows; use 15 minutes ('00:15:00') to 12 hours ('12:00:00'), "
            + "and no more than the role's maximum session duration (1 hour unless changed).";
    }

    /// <summary>
    /// Validates the "KmsKeyId" setting: a KMS key ARN (<c>arn:{partition}:kms:{region}:{12 digits}:key/{id}</c>),
    /// an alias ARN (<c>...:alias/{name}</c>), a bare key id or a bare alias (<c>alias/{name}</c>).
    /// <see langword="null"/> means "not set" and is valid.
    /// </summary>
    /// <param name="value">The value given.</param>
    /// <param name="words">How the message names settings; the default is their property names.</param>
    /// <returns><see langword="null"/> when valid; otherwise the error message.</returns>
    public static string? KmsKeyIdError(string? value, SettingWords? words = null)
    {
        words ??= SettingWords.Properties;
        string setting = words.Name("KmsKeyId");
        if (value is null)
        {
            return null;
        }

        if (value.Length == 0)
        {
            return $"{setting} is empty; leave it unset to use the bucket's default encryption, or enter {KmsKeyExamples}.";
        }

        if (HasSurroundingWhitespace(value))
        {
            string trimmed = value.Trim();
            return KmsKeyIdError(trimmed, words) is null && trimmed.Length != 0
                ? $"{setting} {Quote(value)} has leading or trailing whitespace; enter {Quote(trimmed)}."
                : $"{setting} {Quote(value)} is not a KMS key id, alias or ARN; enter {KmsKeyExamples}.";
        }

        if (!value.StartsWith("arn:", StringComparison.Ordinal))
        {
            if (IsKmsKeyId(value) || IsKmsAlias(value))
            {
                return null;
            }

            return $"{setting} {Quote(value)} is not a KMS key id, alias or ARN; enter {KmsKeyExamples}.";
        }

        string[] parts = value.Split(':', 6);
        if (parts.Length < 6)
        {
            return $"{setting} {Quote(value)} is not a well-formed ARN (it needs six ':'-separated parts); enter {KmsKeyExamples}.";
        }

        string partition = parts[1], service = parts[2], region = parts[3], account = parts[4], resource = parts[5];
        if (!IsKnownPartition(partition))
        {
            return $"{setting} {Quote(value)} has partition {Quote(partition)}; use 'aws', 'aws-cn' or 'aws-us-gov'.";
        }

        if (service != "kms")
        {
            return $"{setting} {Quote(value)} is an ARN for the {Quote(service)} service, not a KMS key; enter {KmsKeyExamples}.";
        }

        if (!IsWellFormedRegion(region))
        {
            return $"{setting} {Quote(value)} has region {Quote(region)}; a KMS key ARN names the key's region, like 'us-east-1'.";
        }

        if (!IsTwelveDigits(account))
        {
            return $"{setting} {Quote(value)} has account id {Quote(account)}; an AWS account id is exactly 12 digits.";
        }

        if (resource.StartsWith("key/", StringComparison.Ordinal) ? IsKmsKeyId(resource[4..]) : IsKmsAlias(resource))
        {
            return null;
        }

        return $"{setting} {Quote(value)} does not end in 'key/' and a key id or 'alias/' and an alias name; enter {KmsKeyExamples}.";
    }

    /// <summary>
    /// Validates a service URL setting: <see langword="null"/> (use the AWS default endpoint) or an absolute
    /// <c>http</c> or <c>https</c> URI.
    /// </summary>
    /// <param name="setting">The setting's property name ("ServiceUrl", "StsServiceUrl", "Staging ServiceUrl").</param>
    /// <param name="value">The value given.</param>
    /// <param name="words">How the message names settings; the default is their property names.</param>
    /// <returns><see langword="null"/> when valid; otherwise the error message.</returns>
    public static string? ServiceUrlError(string setting, string? value, SettingWords? words = null)
    {
        ArgumentNullException.ThrowIfNull(setting);
        words ??= SettingWords.Properties;
        string settingName = words.Name(setting);
        if (value is null)
        {
            return null;
        }

        const string Expected = "leave it unset to use the AWS endpoint, or enter an absolute http or https URL like 'http://localhost:4566'";
        if (value.Length == 0)
        {
            return $"{settingName} is empty; {Expected}.";
        }

        if (HasSurroundingWhitespace(value))
        {
            string trimmed = value.Trim();
            return trimmed.Length != 0 && ServiceUrlError(setting, trimmed, words) is null
                ? $"{settingName} {Quote(value)} has leading or trailing whitespace; enter {Quote(trimmed)}."
                : $"{settingName} {Quote(value)} is not an absolute http or https URL; {Expected}.";
        }

        if (!value.Contains("://", StringComparison.Ordinal))
        {
            return $"{settingName} {Quote(value)} is not an absolute URL (it has no 'http://' or 'https://'); {Expected}.";
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out Uri? uri) || uri.IsFile || uri.IsUnc)
        {
            return $"{settingName} {Quote(value)} is not an absolute URL; {Expected}.";
        }

        if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
        {
            return $"{settingName} {Quote(value)} uses scheme {Quote(uri.Scheme)}; {Expected}.";
        }

        if (uri.Host.Length == 0)
        {
            return $"{settingName} {Quote(value)} has no host; {Expected}.";
        }

        return null;
    }

    /// <summary>
    /// Quotes a value for a message: wrapped in single quotes, control characters escaped, and values longer
    /// than 200 characters shortened with their length appended.
    /// </summary>
    /// <param name="value">The value to quote.</param>
    /// <returns>The quoted value.</returns>
    internal static string Quote(string value)
    {
        var builder = new StringBuilder(Math.Min(value.Length, MaxQuotedLength) + 32);
        builder.Append('\'');
        int take = value.Length;
        if (value.Length > MaxQuotedLength)
        {
            take = MaxQuotedLength - 40;
            if (char.IsHighSurrogate(value[take - 1]))
            {
                take--;
            }
        }

        foreach (char c in value.AsSpan(0, take))
        {
            AppendEscaped(builder, c);
        }

        if (take < value.Length)
        {
            builder.Append("…' (").Append(Count(value.Length)).Append(" characters)");
        }
        else
        {
            builder.Append('\'');
        }

        return builder.ToString();
    }

    /// <summary>Describes the character at <paramref name="index"/> for a message, escaping control characters.</summary>
    internal static string DescribeChar(string value, int index)
    {
        char c = value[index];
        if (c == ' ')
        {
            return "a space";
        }

        if (char.IsWhiteSpace(c) && !char.IsControl(c))
        {
            return string.Create(CultureInfo.InvariantCulture, $"a whitespace character ('\\u{(int)c:X4}')");
        }

        if (Rune.DecodeFromUtf16(value.AsSpan(index), out Rune rune, out _) == System.Buffers.OperationStatus.Done)
        {
            var builder = new StringBuilder();
            builder.Append('\'');
            if (rune.IsBmp)
            {
                AppendEscaped(builder, c);
            }
            else
            {
                builder.Append(rune.ToString());
            }

            return builder.Append('\'').ToString();
        }

        return string.Create(CultureInfo.InvariantCulture, $"an unpaired surrogate ('\\u{(int)c:X4}')");
    }

    /// <summary>True for a well-formed, lowercase region code such as <c>us-east-1</c> or <c>us-gov-west-1</c>.</summary>
    internal static bool IsWellFormedRegion(string value)
    {
        // ^[a-z]{2}(-[a-z]+)+-\d{1,2}$
        string[] parts = value.Split('-');
        if (parts.Length < 3 || parts[0].Length != 2 || !IsAll(parts[0], IsAsciiLower))
        {
            return false;
        }

        for (int i = 1; i < parts.Length - 1; i++)
        {
            if (parts[i].Length == 0 || !IsAll(parts[i], IsAsciiLower))
            {
                return false;
            }
        }

        string number = parts[^1];
        return number.Length is 1 or 2 && IsAll(number, char.IsAsciiDigit);
    }

    /// <summary>True when <paramref name="value"/> has leading or trailing whitespace.</summary>
    internal static bool HasSurroundingWhitespace(string value) =>
        value.Length != 0 && (char.IsWhiteSpace(value[0]) || char.IsWhiteSpace(value[^1]));

    /// <summary>Formats a count with the invariant culture.</summary>
    internal static string Count(int count) => count.ToString(CultureInfo.InvariantCulture);

    /// <summary>Formats a count of characters: "1 character", "5 characters".</summary>
    internal static string Characters(int count) => count == 1 ? "1 character" : Count(count) + " characters";

    private static string Position(int index) => Count(index + 1);

    private static void AppendEscaped(StringBuilder builder, char c)
    {
        switch (c)
        {
            case '\t': builder.Append("\\t"); break;
            case '\n': builder.Append("\\n"); break;
            case '\r': builder.Append("\\r"); break;
            case '\0': builder.Append("\\0"); break;
            default:
                if (char.IsControl(c) || char.IsSurrogate(c) || c is '\u2028' or '\u2029' or '\u200B' or '\uFEFF')
                {
                    builder.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                }
                else
                {
                    builder.Append(c);
                }

                break;
        }
    }

    private static string? WhitespaceOrCaseFix(string value, Func<string, bool> isValid)
    {
        string candidate = AsciiLower(value.Trim());
        return candidate != value && candidate.Length != 0 && isValid(candidate) ? candidate : null;
    }

    private static string DescribeWhitespaceOrCase(string value)
    {
        bool whitespace = HasSurroundingWhitespace(value);
        bool upper = value.Any(char.IsAsciiLetterUpper);
        return (whitespace, upper) switch
        {
            (true, true) => "it has leading or trailing whitespace and uppercase letters",
            (true, false) => "it has leading or trailing whitespace",
            _ => "it has uppercase letters, and region codes are lowercase",
        };
    }

    private static string AsciiLower(string value) =>
        string.Create(value.Length, value, static (span, source) =>
        {
            for (int i = 0; i < source.Length; i++)
            {
                span[i] = char.IsAsciiLetterUpper(source[i]) ? (char)(source[i] | 0x20) : source[i];
            }
        });

    private static bool IsKnownPartition(string partition) => partition is "aws" or "aws-cn" or "aws-us-gov";

    private static bool IsTwelveDigits(string value) => value.Length == 12 && IsAll(value, char.IsAsciiDigit);

    private static bool IsAsciiLower(char c) => c is >= 'a' and <= 'z';

    private static bool IsIamNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '+' or '=' or ',' or '.' or '@' or '-';

    private static bool IsExternalIdChar(char c) => IsIamNameChar(c) || c is ':' or '/';

    private static bool IsSourceIdChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-';

    private static bool IsValidIamName(string value, int maxLength) =>
        value.Length >= 1 && value.Length <= maxLength && IsAll(value, IsIamNameChar);

    private static bool IsKmsKeyId(string value)
    {
        // A key id is a UUID; a multi-Region key id is 'mrk-' followed by 32 hexadecimal digits.
        if (value.StartsWith("mrk-", StringComparison.Ordinal))
        {
            return value.Length == 36 && IsAll(value[4..], char.IsAsciiHexDigit);
        }

        return value.Length == 36 && Guid.TryParseExact(value, "D", out _);
    }

    private static bool IsKmsAlias(string value)
    {
        if (!value.StartsWith("alias/", StringComparison.Ordinal))
        {
            return false;
        }

        string name = value[6..];
        return name.Length is >= 1 and <= 250
            && IsAll(name, static c => char.IsAsciiLetterOrDigit(c) || c is '/' or '_' or '-');
    }

    private static bool IsAll(string value, Func<char, bool> predicate)
    {
        foreach (char c in value)
        {
            if (!predicate(c))
            {
                return false;
            }
        }

        return true;
    }

    private static int IndexOfInvalid(string value, Func<char, bool> isValid)
    {
        for (int i = 0; i < value.Length; i++)
        {
            if (!isValid(value[i]))
            {
                return i;
            }
        }

        return -1;
    }
}
