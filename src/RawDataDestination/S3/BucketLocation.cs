using System.Diagnostics.CodeAnalysis;
using RawDataDestination.Internal;

namespace RawDataDestination.S3;

/// <summary>
/// Where the destination writes: an S3 bucket and an optional path prefix inside it, parsed from the
/// "Bucket" setting, which is <c>bucket</c> or <c>bucket/path/prefix</c> (as in Segment's AWS S3 destination).
/// </summary>
/// <remarks>
/// Objects are written under <see cref="KeyPrefix"/>, i.e. <c>segment-logs/</c> or <c>{prefix}/segment-logs/</c>.
/// </remarks>
public readonly record struct BucketLocation
{
    private const string Setting = "Bucket";
    private const string Expected = "enter the bucket name and an optional path prefix, like 'my-bucket' or 'my-bucket/path/prefix'";

    private readonly string? _bucketName;
    private readonly string? _prefix;

    private BucketLocation(string bucketName, string prefix)
    {
        _bucketName = bucketName;
        _prefix = prefix;
    }

    /// <summary>Gets the name of the S3 bucket, e.g. <c>my-bucket</c>.</summary>
    public string BucketName => _bucketName ?? string.Empty;

    /// <summary>
    /// Gets the path prefix inside the bucket, e.g. <c>path/prefix</c>; empty when there is none.
    /// It never starts or ends with '/'.
    /// </summary>
    public string Prefix => _prefix ?? string.Empty;

    /// <summary>
    /// Gets the prefix of every object key the destination writes: <c>segment-logs/</c>, or
    /// <c>{Prefix}/segment-logs/</c> when there is a prefix.
    /// </summary>
    public string KeyPrefix => ObjectKeyLayout.KeyPrefix(Prefix);

    /// <summary>Parses the "Bucket" setting: <c>bucket</c> or <c>bucket/path/prefix</c>.</summary>
    /// <param name="value">The setting's value.</param>
    /// <returns>The bucket location.</returns>
    /// <exception cref="FormatException">The value is not a valid bucket location; the message says why and what to enter.</exception>
    public static BucketLocation Parse(string? value) =>
        TryParse(value, out BucketLocation location, out string? error) ? location : throw new FormatException(error);

    /// <summary>Tries to parse the "Bucket" setting: <c>bucket</c> or <c>bucket/path/prefix</c>.</summary>
    /// <param name="value">The setting's value.</param>
    /// <param name="location">The bucket location when the value is valid; otherwise <see langword="default"/>.</param>
    /// <returns><see langword="true"/> when the value is valid.</returns>
    public static bool TryParse([NotNullWhen(true)] string? value, out BucketLocation location) =>
        TryParse(value, out location, out _);

    /// <summary>Tries to parse the "Bucket" setting, giving the reason when it is not valid.</summary>
    /// <param name="value">The setting's value.</param>
    /// <param name="location">The bucket location when the value is valid; otherwise <see langword="default"/>.</param>
    /// <param name="error">The error message when the value is not valid; otherwise <see langword="null"/>.</param>
    /// <param name="setting">The setting's property name, for the message: "Bucket", or "Staging Bucket".</param>
    /// <param name="words">How the message names settings; the default is their property names.</param>
    /// <returns><see langword="true"/> when the value is valid.</returns>
    internal static bool TryParse([NotNullWhen(true)] string? value, out BucketLocation location, [NotNullWhen(false)] out string? error, string setting = Setting, SettingWords? words = null)
    {
        location = default;
        error = Validate(value, out BucketLocation parsed, (words ?? SettingWords.Properties).Name(setting));
        if (error is not null)
        {
            return false;
        }

        location = parsed;
        return true;
    }

    /// <summary>Returns the setting's canonical form: <c>bucket</c> or <c>bucket/prefix</c>.</summary>
    /// <returns>The bucket name, followed by '/' and the prefix when there is one.</returns>
    public override string ToString() => Prefix.Length == 0 ? BucketName : BucketName + "/" + Prefix;

    /// <summary>Creates a location without validation; for tests of code that consumes locations.</summary>
    internal static BucketLocation CreateUnchecked(string bucketName, string prefix) => new(bucketName, prefix);

    /// <summary>Returns the error for a bucket name, or <see langword="null"/> when it is valid.</summary>
    /// <param name="value">The whole setting value, quoted in the message.</param>
    /// <param name="name">The bucket name part.</param>
    /// <param name="display">The setting's name in the message.</param>
    internal static string? BucketNameError(string value, string name, string display = Setting)
    {
        string start = $"{display} {SettingText.Quote(value)} is not a valid S3 bucket name: ";
        if (name.Length is < 3 or > 63)
        {
            return start + $"{Quote(name)} is {SettingText.Characters(name.Length)} long; bucket names are 3 to 63 characters.";
        }

        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '-'))
            {
                return start + $"it contains {SettingText.DescribeChar(name, i)}; bucket names use only lowercase letters, digits, dots and hyphens.";
            }
        }

        if (!char.IsAsciiLetterOrDigit(name[0]))
        {
            return start + $"it begins with '{name[0]}'; bucket names begin and end with a letter or digit.";
        }

        if (!char.IsAsciiLetterOrDigit(name[^1]))
        {
            return start + $"it ends with '{name[^1]}'; bucket names begin and end with a letter or digit.";
        }

        if (name.Contains("..", StringComparison.Ordinal))
        {
            return start + "it contains '..'; bucket names can't have two adjacent dots.";
        }

        if (LooksLikeIpAddress(name))
        {
            return start + "it is formatted as an IP address; bucket names can't look like an IP address (such as '192.168.5.4').";
        }

        foreach (string reserved in ReservedPrefixes)
        {
            if (name.StartsWith(reserved, StringComparison.Ordinal))
            {
                return start + $"it starts with '{reserved}', a prefix S3 reserves; bucket names can't start with 'xn--', 'sthree-' or 'amzn-s3-demo-'.";
            }
        }

        foreach (string reserved in ReservedSuffixes)
        {
            if (name.EndsWith(reserved, StringComparison.Ordinal))
            {
                return start + $"it ends with '{reserved}', a suffix S3 reserves; bucket names can't end with '-s3alias', '--ol-s3', '.mrap', '--x-s3' or '--table-s3'.";
            }
        }

        return null;
    }

    private static readonly string[] ReservedPrefixes = ["xn--", "sthree-", "amzn-s3-demo-"];

    private static readonly string[] ReservedSuffixes = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

    private static string Quote(string value) => SettingText.Quote(value);

    private static string? Validate(string? value, out BucketLocation location, string display)
    {
        location = default;
        if (string.IsNullOrEmpty(value))
        {
            return $"{display} is not set; {Expected}.";
        }

        if (string.IsNullOrWhiteSpace(value))
        {
            return $"{display} {Quote(value)} is blank; {Expected}.";
        }

        if (SettingText.HasSurroundingWhitespace(value) || value[0] == '/')
        {
            string trimmed = value.Trim().TrimStart('/'), what = value[0] == '/' ? "starts with '/'" : "has leading or trailing whitespace";
            return Validate(trimmed, out _, display) is null
                ? $"{display} {Quote(value)} {what}; enter {Quote(trimmed)}."
                : $"{display} {Quote(value)} {what}; {Expected}.";
        }

        string? uriError = UriError(value, display);
        if (uriError is not null)
        {
            return uriError;
        }

        int slash = value.IndexOf('/', StringComparison.Ordinal);
        string name = slash < 0 ? value : value[..slash];
        string? nameError = BucketNameError(value, name, display);
        if (nameError is not null)
        {
            return nameError;
        }

        string prefix = slash < 0 ? string.Empty : value[(slash + 1)..].Trim('/');
        string? prefixError = PrefixError(value, name, prefix, display);
        if (prefixError is not null)
        {
            return prefixError;
        }

        var parsed = new BucketLocation(name, prefix);
        string? lengthError = ObjectKeyLayout.KeyLengthError(parsed, display);
        if (lengthError is not null)
        {
            return lengthError;
        }

        location = parsed;
        return null;
    }

    private static string? PrefixError(string value, string name, string prefix, string display)
    {
        if (prefix.Length == 0)
        {
            return null;
        }

        string start = $"{display} {Quote(value)} has an invalid path prefix: ";
        for (int i = 0; i < prefix.Length; i++)
        {
            char c = prefix[i];
            if (char.IsControl(c))
            {
                return start + $"it contains the control character {SettingText.DescribeChar(prefix, i)}; remove it.";
            }

            if (char.IsHighSurrogate(c) && i + 1 < prefix.Length && char.IsLowSurrogate(prefix[i + 1]))
            {
                i++;
                continue;
            }

            if (char.IsSurrogate(c))
            {
                return start + $"it contains {SettingText.DescribeChar(prefix, i)}, which is not valid Unicode; remove it.";
            }
        }

        if (prefix.Contains('\\', StringComparison.Ordinal))
        {
            string fixedValue = name + "/" + prefix.Replace('\\', '/');
            string fix = Validate(fixedValue, out BucketLocation fixedLocation, display) is null
                ? $"; separate folders with '/', e.g. {Quote(fixedLocation.ToString())}"
                : "; separate folders with '/'";
            return start + $"it contains a backslash ('\\'){fix}.";
        }

        string[] segments = prefix.Split('/');
        if (segments.Contains(string.Empty))
        {
            string collapsed = name + "/" + string.Join('/', segments.Where(s => s.Length != 0));
            string fix = Validate(collapsed, out BucketLocation fixedLocation, display) is null
                ? $"; enter {Quote(fixedLocation.ToString())}"
                : string.Empty;
            return start + $"it contains an empty folder name ('//'); folders in the prefix are separated by a single '/'{fix}.";
        }

        foreach (string segment in segments)
        {
            if (segment is "." or "..")
            {
                return start + $"it contains the relative path segment {Quote(segment)}; folders in the prefix can't be '.' or '..'.";
            }
        }

        return null;
    }

    private static string? UriError(string value, string display)
    {
        string? suggestion;
        string? note = null;
        if (value.StartsWith("s3://", StringComparison.OrdinalIgnoreCase)
            || value.StartsWith("s3a://", StringComparison.OrdinalIgnoreCase)
            || value.StartsWith("s3n://", StringComparison.OrdinalIgnoreCase))
        {
            suggestion = value[(value.IndexOf("://", StringComparison.Ordinal) + 3)..];
        }
        else if (value.StartsWith("arn:", StringComparison.OrdinalIgnoreCase))
        {
            string[] parts = value.Split(':', 6);
            if (parts.Length == 6 && parts[2] == "s3" && parts[3].Length == 0 && parts[4].Length == 0)
            {
                suggestion = parts[5];
            }
            else if (parts.Length == 6 && parts[2] is "s3" or "s3-object-lambda" or "s3-outposts" or "s3express")
            {
                return $"{display} {Quote(value)} is the ARN of an access point or another S3 resource, not of a bucket; {Expected}.";
            }
            else
            {
                return $"{display} {Quote(value)} is an ARN, not an S3 bucket; {Expected}.";
            }

            return $"{display} {Quote(value)} is an S3 ARN; {EnterInstead(suggestion, display)}";
        }
        else if (value.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
            || value.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            suggestion = SuggestionFromHttpUrl(value, out note);
        }
        else if (LooksLikeAwsHost(value))
        {
            suggestion = SuggestionFromHttpUrl("https://" + value, out note);
        }
        else if (value.Contains("://", StringComparison.Ordinal))
        {
            return $"{display} {Quote(value)} is a URI; {Expected}.";
        }
        else
        {
            return null;
        }

        string kind = value.Contains("://", StringComparison.Ordinal) ? "a URI" : "a host name";
        return $"{display} {Quote(value)} is {kind}; {EnterInstead(suggestion, display)}{note}";
    }

    private static string EnterInstead(string? suggestion, string display)
    {
        if (suggestion is null)
        {
            return Expected + ".";
        }

        string trimmed = suggestion.TrimEnd('/');
        if (trimmed.Length == 0)
        {
            return Expected + ".";
        }

        // Suggest only what would be accepted; otherwise say what else is wrong with the part after the scheme.
        return Validate(trimmed, out BucketLocation location, display) is { } stillWrong
            ? $"its bucket and prefix, {Quote(trimmed)}, would be refused too: {stillWrong}"
            : $"enter the bucket name and optional path prefix instead: {Quote(location.ToString())}.";
    }

    private static string? SuggestionFromHttpUrl(string value, out string? note)
    {
        note = null;
        if (!Uri.TryCreate(value, UriKind.Absolute, out Uri? uri) || uri.Host.Length == 0)
        {
            return null;
        }

        string path = Uri.UnescapeDataString(uri.AbsolutePath).Trim('/');
        string host = uri.Host;
        string? awsLabels = StripAwsDomain(host);
        if (awsLabels is null)
        {
            // Another S3-compatible service: assume a path-style URL and point at the service URL setting.
            note = " Set the service URL setting to the endpoint instead.";
            return path.Length == 0 ? null : path;
        }

        string[] labels = awsLabels.Split('.');
        int s3Label = -1;
        for (int i = labels.Length - 1; i >= 0; i--)
        {
            if (labels[i] == "s3" || labels[i].StartsWith("s3-", StringComparison.Ordinal))
            {
                s3Label = i;
                break;
            }
        }

        if (s3Label < 0)
        {
            return null;
        }

        if (s3Label == 0)
        {
            // Path-style: https://s3.us-west-2.amazonaws.com/bucket/prefix
            return path.Length == 0 ? null : path;
        }

        // Virtual-hosted-style: https://bucket.s3.us-west-2.amazonaws.com/prefix
        string bucket = string.Join('.', labels, 0, s3Label);
        return path.Length == 0 ? bucket : bucket + "/" + path;
    }

    private static string? StripAwsDomain(string host)
    {
        foreach (string domain in (ReadOnlySpan<string>)[".amazonaws.com", ".amazonaws.com.cn"])
        {
            if (host.EndsWith(domain, StringComparison.OrdinalIgnoreCase))
            {
                return host[..^domain.Length];
            }
        }

        return null;
    }

    private static bool LooksLikeAwsHost(string value)
    {
        int slash = value.IndexOf('/', StringComparison.Ordinal);
        string host = slash < 0 ? value : value[..slash];
        return StripAwsDomain(host) is not null;
    }

    private static bool LooksLikeIpAddress(string name)
    {
        string[] parts = name.Split('.');
        return parts.Length == 4 && parts.All(p => p.Length is >= 1 and <= 3 && p.All(char.IsAsciiDigit));
    }
}
