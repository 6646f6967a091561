using RawDataDestination.Aws;
using RawDataDestination.Internal;

namespace RawDataDestination.S3;

/// <summary>The rule of the <c>ExpectedBucketOwner</c> setting: the 12-digit AWS account id of the bucket's owner, or unset.</summary>
internal static class BucketOwnerRules
{
    private const string Example = "'123456789012'";

    /// <summary>
    /// Validates the "ExpectedBucketOwner" setting: an AWS account id, exactly 12 digits. <see langword="null"/> means
    /// "not set" (no <c>x-amz-expected-bucket-owner</c> header) and is valid. An account id written with dashes, as the
    /// AWS console shows it, or an ARN that names an account, is refused with the 12 digits to enter.
    /// </summary>
    /// <param name="value">The value given.</param>
    /// <param name="words">How the message names settings; the default is their property names.</param>
    /// <returns><see langword="null"/> when valid; otherwise the error message.</returns>
    public static string? Error(string? value, SettingWords? words = null)
    {
        string setting = (words ?? SettingWords.Properties).Name("ExpectedBucketOwner");
        string what = $"enter the 12-digit id of the AWS account that owns the bucket, like {Example}";
        if (value is null)
        {
            return null;
        }

        string quoted = SettingText.Quote(value);
        if (value.Length == 0)
        {
            return $"{setting} is empty; leave it unset to send no expected owner, or {what}.";
        }

        if (SettingText.HasSurroundingWhitespace(value))
        {
            return SettingText.WhitespaceProblem(setting, value, trimmed => Error(trimmed) is null, NotAnAccountId(setting, quoted, what));
        }

        if (AwsArn.IsAccountId(value))
        {
            return null;
        }

        string digits = value.Replace("-", string.Empty, StringComparison.Ordinal);
        if (value.Contains('-', StringComparison.Ordinal) && !value.StartsWith("arn:", StringComparison.Ordinal) && AwsArn.IsAccountId(digits))
        {
            return $"{setting} {quoted} is written with dashes; enter the 12 digits alone: {SettingText.Quote(digits)}.";
        }

        if (value.StartsWith("arn:", StringComparison.Ordinal) && AwsArn.TrySplit(value, out AwsArn arn) && AwsArn.IsAccountId(arn.Account))
        {
            return $"{setting} {quoted} is an ARN; enter an account id alone: {SettingText.Quote(arn.Account)}, if the account it names owns the bucket.";
        }

        if (SettingText.IsAll(value, char.IsAsciiDigit))
        {
            // Most often an id that lost its leading zeros on the way, written as a number.
            return $"{setting} {quoted} has {Counted.Of(value.Length, "digit")}; an AWS account id has exactly 12, leading zeros included (write it as a string); {what}.";
        }

        return NotAnAccountId(setting, quoted, what);
    }

    private static string NotAnAccountId(string setting, string quoted, string what) =>
        $"{setting} {quoted} is not an AWS account id (exactly 12 digits); {what}.";
}
