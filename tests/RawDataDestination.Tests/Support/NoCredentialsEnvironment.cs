namespace RawDataDestination.Tests.Support;

/// <summary>
/// The environment of a program started with no AWS credentials anywhere the SDK's default chain looks: no variables, no
/// credentials or config file (both named under <c>home</c>, where none is), no instance metadata.
/// </summary>
internal static class NoCredentialsEnvironment
{
    /// <summary>The variables, with <paramref name="home"/> as HOME; <paramref name="more"/> (AWS_PROFILE, a credentials file) go over them.</summary>
    public static Dictionary<string, string> Under(string home, params (string Name, string Value)[] more)
    {
        var environment = new Dictionary<string, string>
        {
            ["AWS_ACCESS_KEY_ID"] = string.Empty,
            ["AWS_SECRET_ACCESS_KEY"] = string.Empty,
            ["HOME"] = home,
            ["AWS_SHARED_CREDENTIALS_FILE"] = Path.Combine(home, "none"),
            ["AWS_CONFIG_FILE"] = Path.Combine(home, "none"),
            ["AWS_EC2_METADATA_DISABLED"] = "true",
        };
        foreach ((string name, string value) in more)
        {
            environment[name] = value;
        }

        return environment;
    }
}
