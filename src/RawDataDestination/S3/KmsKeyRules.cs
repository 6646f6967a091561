using RawDataDestination.Aws;
using RawDataDestination.Internal;

namespace RawDataDestination.S3;

/// <summary>The rule of the <c>KmsKeyId</c> setting: a KMS key id, alias, key ARN or alias ARN, or unset.</summary>
internal static class KmsKeyRules
{
    private const string Examples =
        "a key id like '1234abcd-12ab-34cd-56ef-1234567890ab', an alias like 'alias/my-key', "
        + "or an ARN like 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'";

    /// <summary>
    /// Validates the "KmsKeyId" setting: a KMS key ARN (<c>arn:{partition}:kms:{region}:{12 digits}:key/{id}</c>),
    /// an alias ARN (<c>...:alias/{name}</c>), a bare key id or a bare alias (<c>alias/{name}</c>).
    /// <see langword="null"/> means "not set" and is valid.
    /// </summary>
    /// <param name="value">The value given.</param>
    /// <param name="words">How the message names settings; the default is their property names.</param>
    /// <returns><see langword="null"/> when valid; otherwise the error message.</returns>
    public static string? Error(string? value, SettingWords? words = null)
    {
        string setting = (words ?? SettingWords.Properties).Name("KmsKeyId");
        return value switch
        {
            null => null,
            "" => $"{setting} is empty; leave it unset to use the bucket's default encryption, or enter {Examples}.",
            _ when SettingText.HasSurroundingWhitespace(value) =>
                SettingText.WhitespaceProblem(setting, value, trimmed => Error(trimmed, words) is null, $"{setting} {SettingText.Quote(value)} is not a KMS key id, alias or ARN; enter {Examples}."),
            _ when !value.StartsWith("arn:", StringComparison.Ordinal) =>
                IsKeyId(value) || IsAlias(value) ? null : $"{setting} {SettingText.Quote(value)} is not a KMS key id, alias or ARN; enter {Examples}.",
            _ => ArnError(value, setting),
        };
    }

    /// <summary>The problem with a KMS key or alias ARN, or <see langword="null"/>.</summary>
    private static string? ArnError(string value, string setting)
    {
        string quoted = SettingText.Quote(value);
        if (!AwsArn.TrySplit(value, out AwsArn arn))
        {
            return $"{setting} {quoted} is not a well-formed ARN (it needs six ':'-separated parts); enter {Examples}.";
        }

        if (!AwsArn.IsKnownPartition(arn.Partition))
        {
            return $"{setting} {quoted} has partition {SettingText.Quote(arn.Partition)}; use {AwsArn.KnownPartitions}.";
        }

        if (arn.Service != "kms")
        {
            return $"{setting} {quoted} is an ARN for the {SettingText.Quote(arn.Service)} service, not a KMS key; enter {Examples}.";
        }

        if (!RegionRules.IsWellFormed(arn.Region))
        {
            return $"{setting} {quoted} has region {SettingText.Quote(arn.Region)}; a KMS key ARN names the key's region, like 'us-east-1'.";
        }

        if (!AwsArn.IsAccountId(arn.Account))
        {
            return $"{setting} {quoted} has account id {SettingText.Quote(arn.Account)}; an AWS account id is exactly 12 digits.";
        }

        return (arn.Resource.StartsWith("key/", StringComparison.Ordinal) ? IsKeyId(arn.Resource[4..]) : IsAlias(arn.Resource))
            ? null
            : $"{setting} {quoted} does not end in 'key/' and a key id or 'alias/' and an alias name; enter {Examples}.";
    }

    private static bool IsKeyId(string value)
    {
        // A key id is a UUID; a multi-Region key id is 'mrk-' followed by 32 hexadecimal digits.
        if (value.StartsWith("mrk-", StringComparison.Ordinal))
        {
            return value.Length == 36 && SettingText.IsAll(value[4..], char.IsAsciiHexDigit);
        }

        return value.Length == 36 && Guid.TryParseExact(value, "D", out _);
    }

    private static bool IsAlias(string value)
    {
        if (!value.StartsWith("alias/", StringComparison.Ordinal))
        {
            return false;
        }

        string name = value[6..];
        return name.Length is >= 1 and <= 250
            && SettingText.IsAll(name, static c => char.IsAsciiLetterOrDigit(c) || c is '/' or '_' or '-');
    }
}
