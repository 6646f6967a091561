namespace RawDataDestination.Internal;

/// <summary>One refused setting: which setting (its property name) and the message, composed with the caller's <see cref="SettingWords"/>.</summary>
/// <param name="Setting">The setting's property name, such as <c>Region</c> or <c>Staging Region</c>.</param>
/// <param name="Message">What is wrong and what to enter instead.</param>
internal readonly record struct SettingProblem(string Setting, string Message);
