using RawDataDestination.Internal;

namespace RawDataDestination.S3;

// The Bucket rule: what a bucket name may be (S3's naming rules), what each folder of its path prefix may be, and the
// whole setting's checks in the order a person's mistakes come (unset, blank, surrounding whitespace, another form
// pasted, the name, the prefix, the key length), each message naming the setting, what is wrong and what to enter.
public readonly partial record struct BucketLocation
{
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
            string trimmed = TrimmedFolders(value.Trim().TrimStart('/')), what = value[0] == '/' ? "starts with '/'" : "has leading or trailing whitespace";
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

            if (SettingText.HasSurroundingWhitespace(segment))
            {
                // As a source id's: S3 would take ' cust' as a folder of its own, beside 'cust', and nobody finds it.
                string fixedValue = TrimmedFolders(name + "/" + prefix);
                string fix = Validate(fixedValue, out BucketLocation fixedLocation, display) is null
                    ? $"; enter {Quote(fixedLocation.ToString())}"
                    : "; remove it";
                return start + $"its folder {Quote(segment)} has leading or trailing whitespace{fix}.";
            }
        }

        return null;
    }

    /// <summary>The value with whitespace trimmed from both ends of each '/'-separated part, and the parts left empty dropped.</summary>
    private static string TrimmedFolders(string value) =>
        string.Join('/', value.Split('/').Select(part => part.Trim()).Where(part => part.Length != 0));

    private static bool LooksLikeIpAddress(string name)
    {
        string[] parts = name.Split('.');
        return parts.Length == 4 && parts.All(p => p.Length is >= 1 and <= 3 && p.All(char.IsAsciiDigit));
    }
}
