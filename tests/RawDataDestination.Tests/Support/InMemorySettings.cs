namespace RawDataDestination.Tests.Support;

/// <summary>Configuration as an appsettings file or the environment would give it, written as "Key=Value" lines.</summary>
public static class InMemorySettings
{
    /// <summary>A reloadable configuration of <paramref name="lines"/>, each "Section:Key=Value" (split at the first '=').</summary>
    public static IConfigurationRoot Of(params string[] lines) =>
        new ConfigurationBuilder().AddInMemoryCollection(lines.Select(line => line.Split('=', 2)).Select(pair => new KeyValuePair<string, string?>(pair[0], pair[1]))).Build();
}
