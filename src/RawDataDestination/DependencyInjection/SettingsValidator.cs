using Microsoft.Extensions.Options;
using RawDataDestination.Internal;

namespace RawDataDestination.DependencyInjection;

/// <summary>
/// Checks options when the host starts (<c>ValidateOnStart</c>) by the very rules, and messages, that guard the
/// component's constructor: the options' own <c>Problems</c>, the one validation path. Every problem is reported at once,
/// each once, after the name of what it configures.
/// </summary>
/// <typeparam name="TOptions">The options.</typeparam>
/// <param name="problems">The options' rules, given the options and their name: <c>(options, name) =&gt; options.Problems(words)</c>, with the words that name a setting as configured (its configuration path).</param>
/// <param name="subject">What the options configure, given their name: "BatchBuffer", "S3RoleDestination 'production'".</param>
internal sealed class SettingsValidator<TOptions>(Func<TOptions, string, List<SettingProblem>> problems, Func<string, string> subject) : IValidateOptions<TOptions>
    where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string optionsName = string.IsNullOrEmpty(name) ? Options.DefaultName : name;
        List<SettingProblem> found = problems(options, optionsName);
        string what = subject(optionsName);
        return found.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(found.Select(problem => $"{what}: {problem.Message}"));
    }
}
