namespace RawDataDestination.Internal;

/// <summary>
/// How a message names a setting and the change to make to it. Messages are composed with one of these, never rewritten
/// afterwards: the library's own words are its property names (<see cref="Properties"/>), and a program with other words
/// for the same settings (<c>rawdata</c>'s command-line flags) composes the same message with its own.
/// </summary>
/// <param name="name">The name of a setting, given its property name: <c>Region</c>, or <c>--region</c>.</param>
/// <param name="assign">The change that sets a setting to a value, given the property name and the value as the library spells it (<c>None</c>, <c>true</c>).</param>
/// <param name="programDefault">
/// The default a program gives a setting where it is not the library's (<c>rawdata</c>'s <c>--compression-threads</c>
/// is the number of processors), given the property name; <see langword="null"/> for the library's own.
/// </param>
internal sealed class SettingWords(Func<string, string> name, Func<string, string, string> assign, Func<string, string?>? programDefault = null)
{
    /// <summary>Gets the library's words: property names, and "set Acl to None".</summary>
    public static SettingWords Properties { get; } = new(static setting => setting, static (setting, value) => $"set {setting} to {value}");

    /// <summary>
    /// The words of settings bound from the configuration section at <paramref name="path"/>: each named by its
    /// configuration path (<c>Buffer:MaxBatchBytes</c>), and "set Buffer:Acl to None".
    /// </summary>
    /// <param name="path">The section's path, such as <c>RawData:Production</c>.</param>
    public static SettingWords AtPath(string path) => new(setting => $"{path}:{setting}", (setting, value) => $"set {path}:{setting} to {value}");

    /// <summary>The name of <paramref name="setting"/> (a property name, such as <c>StsRegion</c>).</summary>
    public string Name(string setting) => name(setting);

    /// <summary>The change that sets <paramref name="setting"/> to <paramref name="value"/>: "set Acl to None", or "add --acl none".</summary>
    public string Assign(string setting, string value) => assign(setting, value);

    /// <summary>The default of <paramref name="setting"/> as these words' program sets it: its own, or <paramref name="libraryDefault"/>.</summary>
    public string Default(string setting, string libraryDefault) => programDefault?.Invoke(setting) ?? libraryDefault;
}
