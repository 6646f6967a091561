namespace RawDataDestination.S3;

// The other forms a person pastes for the Bucket setting (an s3:// URI, an S3 ARN, an S3 URL or host name), each refused
// with the bucket and prefix to enter instead, when there is one that would be accepted.
public readonly partial record struct BucketLocation
{
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
}
