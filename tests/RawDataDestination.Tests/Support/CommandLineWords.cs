namespace RawDataDestination.Tests.Support;

/// <summary>
/// The words of another program, a command line whose flags are the settings' names in lower case (a space as a dash):
/// the tests of messages use them to show that a message is composed with the caller's words, not rewritten.
/// </summary>
internal static class CommandLineWords
{
    /// <summary>Gets the words: <c>Region</c> is <c>--region</c>, and the fix for it is <c>add --region VALUE</c>.</summary>
    public static SettingWords Flags { get; } = new(setting => "--" + Flag(setting), (setting, value) => $"add --{Flag(setting)} {value}");

    private static string Flag(string setting) => setting.ToLowerInvariant().Replace(' ', '-');
}
