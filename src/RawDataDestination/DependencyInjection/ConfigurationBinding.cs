using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using RawDataDestination.Internal;

namespace RawDataDestination.DependencyInjection;

/// <summary>
/// Binds options to a configuration section, turning a value the binder cannot convert (<c>10MB</c> for a number) into a
/// problem that names its path, the value and the form to write, instead of an exception out of the host's start or,
/// worse, out of a configuration reload (a file watcher's thread). A key in the section that names no setting (a
/// misspelt <c>ExpectedBucketOwnr</c>, which the binder passes over, turning the owner check off) is a problem too.
/// </summary>
internal static partial class ConfigurationBinding
{
    /// <summary>Binds <paramref name="options"/>; on a value that cannot be converted, says which (the binder stopped there).</summary>
    /// <returns>Whether every value was converted.</returns>
    public static bool TryBind(IConfiguration configuration, object options, out string? problem)
    {
        try
        {
            configuration.Bind(options);
            problem = configuration is IConfigurationSection { Path.Length: > 0 } section ? UnknownKey(section, options.GetType()) : null;
            return problem is null;
        }
        catch (InvalidOperationException exception) when (NotConverted().Match(exception.Message) is { Success: true } match)
        {
            string path = match.Groups["path"].Value;
            string prefix = (configuration as IConfigurationSection)?.Path is { Length: > 0 } section ? section + ":" : string.Empty;
            string? value = path.StartsWith(prefix, StringComparison.Ordinal) ? configuration[path[prefix.Length..]] : null;
            problem = $"{path} is {SettingText.Quote(value ?? string.Empty)}, which is not {FormOf(match.Groups["type"].Value)}.";
            return false;
        }
    }

    /// <summary>
    /// The first key of <paramref name="section"/> (and of the sections its settings of a class type are bound from) that
    /// names no setting of <paramref name="type"/>, as a problem naming its path, the setting it is likely a misspelling
    /// of, or the settings there are; <see langword="null"/> when every key names one. Lists (a tenant's entries) are
    /// not looked into: each entry is bound, and checked, on its own. A configuration's root, which holds everything
    /// else the host reads, is never checked.
    /// </summary>
    private static string? UnknownKey(IConfigurationSection section, Type type)
    {
        var settings = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).ToDictionary(property => property.Name, StringComparer.OrdinalIgnoreCase);
        foreach (IConfigurationSection child in section.GetChildren())
        {
            if (!settings.TryGetValue(child.Key, out PropertyInfo? setting))
            {
                string[] names = [.. settings.Keys];
                return ClosestWord.Likely(child.Key, names) is { } meant
                    ? $"{child.Path} is not a setting, so it would be passed over without a word; did you mean {section.Path}:{meant}?"
                    : $"{child.Path} is not a setting, so it would be passed over without a word; the settings of {section.Path} are {string.Join(", ", names)}.";
            }

            Type bound = Nullable.GetUnderlyingType(setting.PropertyType) ?? setting.PropertyType;
            if (bound.IsClass && bound != typeof(string) && bound != typeof(Uri) && !typeof(System.Collections.IEnumerable).IsAssignableFrom(bound)
                && UnknownKey(child, bound) is { } nested)
            {
                return nested;
            }
        }

        return null;
    }

    /// <summary>What a value of <paramref name="type"/> (as the binder names it) looks like, and an example.</summary>
    private static string FormOf(string type) => type switch
    {
        "System.Int32" or "System.Int64" => "a whole number; write it as one, such as 104857600",
        "System.TimeSpan" => "a duration; write it as [d.]hh:mm:ss[.fff], such as 00:00:30",
        "System.Boolean" => "true or false; write one of them",
        "System.Uri" => "a URL; write one, such as https://s3.us-east-1.amazonaws.com",
        _ when Type.GetType(type) is { IsEnum: true } enumType => $"one of {string.Join(", ", Enum.GetNames(enumType))}; write one of them",
        _ => $"a value of type {type}",
    };

    /// <summary>
    /// The binder's message for a value it could not convert, as Microsoft.Extensions.Configuration.Binder 9.0 and later
    /// write it (this package depends on 10.0): <c>Failed to convert configuration value '10MB' at 'Buffer:MaxBatchBytes'
    /// to type 'System.Int64'.</c> The value may hold quotes and line breaks; no path does.
    /// </summary>
    [GeneratedRegex(@"^Failed to convert configuration value '.*' at '(?<path>[^']*)' to type '(?<type>[^']*)'", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex NotConverted();
}
