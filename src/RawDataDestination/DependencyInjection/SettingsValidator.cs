using System.Runtime.CompilerServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using RawDataDestination.Internal;

namespace RawDataDestination.DependencyInjection;

/// <summary>
/// Checks options when the host starts (<c>ValidateOnStart</c>) by the very rules, and messages, that guard the
/// component's constructor: the options' own <c>Problems</c>, the one validation path. Every problem is reported at once,
/// each once, after the name of what it configures, and names each setting as it was configured: by its configuration
/// path (<c>RawData:Production:Bucket</c>, <c>Buffer:MaxBatchBytes</c>) when the options are bound from a section.
/// </summary>
/// <typeparam name="TOptions">The options.</typeparam>
/// <param name="problems">The options' rules, given the options and the words that name a setting as configured: <c>(options, words) =&gt; options.Problems(words)</c>.</param>
/// <param name="subject">What the options configure, given their name: "BatchBuffer", "S3RoleDestination 'production'".</param>
/// <remarks>
/// It also binds options from configuration (<see cref="Bind"/>): a value the binder cannot convert (<c>10MB</c> for a
/// number) is then a problem like the others, reported at start with its path, the value and the form to write, instead
/// of an exception out of the host's start that names neither the value nor the fix.
/// </remarks>
internal sealed class SettingsValidator<TOptions>(Func<TOptions, SettingWords?, List<SettingProblem>> problems, Func<string, string> subject) : IValidateOptions<TOptions>
    where TOptions : class
{
    private readonly Dictionary<string, string> _sections = new(StringComparer.Ordinal);
    private readonly ConditionalWeakTable<TOptions, string> _unbound = [];

    /// <summary>Records that the options named <paramref name="name"/> are bound from the configuration section at <paramref name="path"/>.</summary>
    /// <param name="name">The options' name.</param>
    /// <param name="path">The section's path; empty for the configuration's root, whose settings are named by their property names.</param>
    public void BoundTo(string name, string path)
    {
        lock (_sections)
        {
            _sections[name] = path;
        }
    }

    /// <summary>
    /// Binds <paramref name="options"/> to <paramref name="configuration"/>; a value that cannot be converted is kept as
    /// these options' problem (their other settings are then not judged: the binder stopped at that value).
    /// </summary>
    public void Bind(IConfiguration configuration, TOptions options)
    {
        if (!ConfigurationBinding.TryBind(configuration, options, out string? problem))
        {
            _unbound.AddOrUpdate(options, problem!);
        }
    }

    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string optionsName = string.IsNullOrEmpty(name) ? Options.DefaultName : name;
        if (_unbound.TryGetValue(options, out string? unbound))
        {
            return ValidateOptionsResult.Fail($"{subject(optionsName)}: {unbound}");
        }

        string? path;
        lock (_sections)
        {
            path = _sections.GetValueOrDefault(optionsName);
        }

        List<SettingProblem> found = problems(options, string.IsNullOrEmpty(path) ? null : SettingWords.AtPath(path));
        string what = subject(optionsName);
        return found.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(found.Select(problem => $"{what}: {problem.Message}"));
    }
}
