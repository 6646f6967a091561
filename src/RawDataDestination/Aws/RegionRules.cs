using RawDataDestination.Internal;

namespace RawDataDestination.Aws;

/// <summary>
/// The rule of every region setting (<c>Region</c>, <c>StsRegion</c>, <c>Staging Region</c>): a lowercase AWS region
/// code such as <c>us-east-1</c> and, unless unknown regions are allowed, one the AWS SDK knows. Its messages name the
/// closest known region and the way to accept one newer than the SDK.
/// </summary>
internal static class RegionRules
{
    /// <summary>The display name the AWS SDK gives a region it does not ship with.</summary>
    private const string UnknownDisplayName = "Unknown";

    private const string RegionExample = "region code like 'us-east-1', 'eu-central-1' or 'us-gov-west-1'";

    /// <summary>
    /// Validates a region setting: a lowercase AWS region code such as <c>us-east-1</c> and, unless
    /// <paramref name="allowUnknown"/>, one of the AWS SDK's regions (<see cref="Amazon.RegionEndpoint.EnumerableAllRegions"/>).
    /// An unknown region is refused naming the closest known one, and the way to accept a region newer than the SDK.
    /// </summary>
    /// <param name="value">The value given.</param>
    /// <param name="allowUnknown">Whether a well-formed region the SDK does not know is accepted (AllowUnknownRegion).</param>
    /// <param name="setting">The setting's property name ("Region", "StsRegion", "Staging Region").</param>
    /// <param name="words">How the message names settings; the default is their property names.</param>
    /// <param name="allowSetting">The property name of the setting that accepts an unknown region ("AllowUnknownRegion", "Staging AllowUnknownRegion").</param>
    /// <returns><see langword="null"/> when valid; otherwise the error message.</returns>
    public static string? Error(string? value, bool allowUnknown = true, string setting = "Region", SettingWords? words = null, string allowSetting = "AllowUnknownRegion")
    {
        words ??= SettingWords.Properties;
        string name = words.Name(setting);
        if (string.IsNullOrEmpty(value))
        {
            return $"{name} is not set; enter an AWS {RegionExample}.";
        }

        if (IsWellFormed(value))
        {
            return allowUnknown || IsKnown(value) ? null : UnknownRegionError(value, name, words, allowSetting);
        }

        string? fix = WhitespaceOrCaseFix(value);
        if (fix is not null)
        {
            string problem = $"{name} {SettingText.Quote(value)} is not a valid AWS region code: {DescribeWhitespaceOrCase(value)}";
            return allowUnknown || IsKnown(fix)
                ? $"{problem}; enter {SettingText.Quote(fix)}."
                : $"{problem}, and {SettingText.Quote(fix)} is not a region the AWS SDK knows either; enter {SettingText.Quote(ClosestKnown(fix))}.";
        }

        return $"{name} {SettingText.Quote(value)} is not a valid AWS region code; enter a lowercase {RegionExample}.";
    }

    /// <summary>
    /// The AWS partition of <paramref name="region"/>, by its name: <c>aws-cn</c> for <c>cn-...</c>, <c>aws-us-gov</c> for
    /// <c>us-gov-...</c>, the isolated partitions for theirs, and <c>aws</c> for the rest (a region newer than the SDK
    /// too, unless its name says otherwise). The one home of this mapping: a role's partition is checked against it, and
    /// <c>rawdata</c> keeps it as part of a destination's identity.
    /// </summary>
    /// <param name="region">A region code, such as <c>us-east-1</c>; case and surrounding whitespace are ignored.</param>
    public static string PartitionOf(string region) => region.Trim().ToLowerInvariant() switch
    {
        var r when r.StartsWith("cn-", StringComparison.Ordinal) => "aws-cn",
        var r when r.StartsWith("us-gov-", StringComparison.Ordinal) => "aws-us-gov",
        var r when r.StartsWith("us-isob-", StringComparison.Ordinal) => "aws-iso-b",
        var r when r.StartsWith("us-isof-", StringComparison.Ordinal) => "aws-iso-f",
        var r when r.StartsWith("us-iso-", StringComparison.Ordinal) => "aws-iso",
        var r when r.StartsWith("eu-isoe-", StringComparison.Ordinal) => "aws-iso-e",
        var r when r.StartsWith("eusc-", StringComparison.Ordinal) => "aws-eusc",
        _ => "aws",
    };

    /// <summary>True when the AWS SDK knows <paramref name="region"/>.</summary>
    public static bool IsKnown(string region) =>
        KnownRegions().Any(known => known.SystemName == region);

    /// <summary>The SDK region nearest to <paramref name="region"/> by edit distance (ties: the first in the SDK's order).</summary>
    public static string ClosestKnown(string region) =>
        ClosestWord.Of(region, KnownRegions().Select(known => known.SystemName))!;

    /// <summary>
    /// The regions the SDK ships with. It adds any region it is asked for (a destination with AllowUnknownRegion) to the
    /// list it enumerates, named "Unknown": left in, one such region would pass every later check in the process.
    /// </summary>
    private static IEnumerable<Amazon.RegionEndpoint> KnownRegions() =>
        Amazon.RegionEndpoint.EnumerableAllRegions.Where(known => known.DisplayName != UnknownDisplayName);

    /// <summary>True for a well-formed, lowercase region code such as <c>us-east-1</c> or <c>us-gov-west-1</c>.</summary>
    public static bool IsWellFormed(string value)
    {
        // ^[a-z]{2}(-[a-z]+)+-\d{1,2}$
        string[] parts = value.Split('-');
        if (parts.Length < 3 || parts[0].Length != 2 || !SettingText.IsAll(parts[0], IsAsciiLower))
        {
            return false;
        }

        for (int i = 1; i < parts.Length - 1; i++)
        {
            if (parts[i].Length == 0 || !SettingText.IsAll(parts[i], IsAsciiLower))
            {
                return false;
            }
        }

        string number = parts[^1];
        return number.Length is 1 or 2 && SettingText.IsAll(number, char.IsAsciiDigit);
    }

    private static string UnknownRegionError(string value, string name, SettingWords words, string allowSetting) =>
        $"{name} {SettingText.Quote(value)} is not an AWS region this version of the AWS SDK knows; did you mean {SettingText.Quote(ClosestKnown(value))}? "
        + $"If {SettingText.Quote(value)} is a region newer than the SDK, {words.Assign(allowSetting, "true")} to accept it.";


    private static string? WhitespaceOrCaseFix(string value)
    {
        string candidate = AsciiLower(value.Trim());
        return candidate != value && candidate.Length != 0 && IsWellFormed(candidate) ? candidate : null;
    }

    private static string DescribeWhitespaceOrCase(string value)
    {
        bool whitespace = SettingText.HasSurroundingWhitespace(value);
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

    private static bool IsAsciiLower(char c) => c is >= 'a' and <= 'z';
}
