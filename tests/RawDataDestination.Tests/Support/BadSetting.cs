namespace RawDataDestination.Tests.Support;

/// <summary>
/// The cases of every options class's range rules: one setting broken on otherwise valid options, and the one problem
/// its rule must report (the setting, and the message with the value, the range and the default).
/// </summary>
internal static class BadSetting
{
    /// <summary>A case named by the setting and the value the message quotes.</summary>
    public static TestCaseData Case<TOptions>(string setting, Action<TOptions> breakIt, string message) =>
        new TestCaseData(setting, breakIt, message).SetArgDisplayNames(
            setting.Replace(' ', '.'),
            message[(message.IndexOf(" is ", StringComparison.Ordinal) + 4)..message.IndexOf(';', StringComparison.Ordinal)]);

    /// <summary>The problems <paramref name="problems"/> finds in <paramref name="options"/> once <paramref name="breakIt"/> has changed them.</summary>
    public static IEnumerable<SettingProblem> ProblemsAfter<TOptions>(TOptions options, Action<TOptions> breakIt, Func<TOptions, IEnumerable<SettingProblem>> problems)
    {
        breakIt(options);
        return problems(options);
    }
}
