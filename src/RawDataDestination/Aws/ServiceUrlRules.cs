using RawDataDestination.Internal;

namespace RawDataDestination.Aws;

/// <summary>
/// The rule of every endpoint setting (<c>ServiceUrl</c>, <c>StsServiceUrl</c>, <c>Staging ServiceUrl</c>): unset, or an
/// absolute http or https URL of a host and port with no path, query or fragment (S3 and STS requests carry their own
/// path: a path in the endpoint is sent before it, and the service refuses the request as if the bucket or its policy
/// were wrong).
/// </summary>
internal static class ServiceUrlRules
{
    private const string Expected = "leave it unset to use the AWS endpoint, or enter an absolute http or https URL like 'http://localhost:4566'";

    /// <summary>
    /// Validates a service URL setting: <see langword="null"/> (use the AWS default endpoint) or an absolute
    /// <c>http</c> or <c>https</c> URI with a host, and no path (but <c>/</c>), query or fragment.
    /// </summary>
    /// <param name="setting">The setting's property name ("ServiceUrl", "StsServiceUrl", "Staging ServiceUrl").</param>
    /// <param name="value">The value given.</param>
    /// <param name="words">How the message names settings; the default is their property names.</param>
    /// <returns><see langword="null"/> when valid; otherwise the error message.</returns>
    public static string? Error(string setting, string? value, SettingWords? words = null)
    {
        ArgumentNullException.ThrowIfNull(setting);
        words ??= SettingWords.Properties;
        string name = words.Name(setting);
        if (value is null)
        {
            return null;
        }

        if (value.Length == 0)
        {
            return $"{name} is empty; {Expected}.";
        }

        string quoted = SettingText.Quote(value);
        if (SettingText.HasSurroundingWhitespace(value))
        {
            return SettingText.WhitespaceProblem(name, value, trimmed => Error(setting, trimmed, words) is null, $"{name} {quoted} is not an absolute http or https URL; {Expected}.");
        }

        if (!value.Contains("://", StringComparison.Ordinal))
        {
            return $"{name} {quoted} is not an absolute URL (it has no 'http://' or 'https://'); {Expected}.";
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out Uri? uri) || uri.IsFile || uri.IsUnc)
        {
            return $"{name} {quoted} is not an absolute URL; {Expected}.";
        }

        if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
        {
            return $"{name} {quoted} uses scheme {SettingText.Quote(uri.Scheme)}; {Expected}.";
        }

        if (uri.Host.Length == 0)
        {
            return $"{name} {quoted} has no host; {Expected}.";
        }

        if (uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            string part = uri.AbsolutePath != "/" ? $"a path ({SettingText.Quote(uri.AbsolutePath)})" : uri.Query.Length > 0 ? "a query" : "a fragment";
            return $"{name} {quoted} has {part}: an endpoint is a scheme, a host and a port only, since each request names its own path (the bucket and key); enter {SettingText.Quote(uri.GetLeftPart(UriPartial.Authority))}.";
        }

        return null;
    }
}
