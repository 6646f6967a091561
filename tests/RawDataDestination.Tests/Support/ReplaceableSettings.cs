namespace RawDataDestination.Tests.Support;

/// <summary>
/// Configuration whose whole content is replaced at once, as a reloaded appsettings file replaces it: keys that are no
/// longer in the file are gone (an in-memory collection can only set them to null), and one change token fires.
/// </summary>
public sealed class ReplaceableSettings : ConfigurationProvider, IConfigurationSource
{
    private ReplaceableSettings(IEnumerable<string> lines) => Set(lines);

    /// <summary>A configuration of <paramref name="lines"/>, each "Section:Key=Value", and its provider, to replace them.</summary>
    public static (IConfigurationRoot Configuration, ReplaceableSettings Settings) Of(IEnumerable<string> lines)
    {
        var settings = new ReplaceableSettings(lines);
        return (new ConfigurationBuilder().Add(settings).Build(), settings);
    }

    /// <summary>Replaces every key by <paramref name="lines"/> and signals one reload.</summary>
    public void Replace(IEnumerable<string> lines)
    {
        Set(lines);
        OnReload();
    }

    /// <inheritdoc />
    public IConfigurationProvider Build(IConfigurationBuilder builder) => this;

    private void Set(IEnumerable<string> lines) =>
        Data = lines.Select(line => line.Split('=', 2)).ToDictionary(pair => pair[0], pair => (string?)pair[1], StringComparer.OrdinalIgnoreCase);
}
