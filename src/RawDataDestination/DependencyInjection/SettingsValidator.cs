using Microsoft.Extensions.Options;
using RawDataDestination.Internal;

namespace RawDataDestination.DependencyInjection;

/// <summary>
/// Checks options when the host starts (<c>ValidateOnStart</c>) by the very rules, and messages, that guard the
/// component's constructor: the options' own <c>Problems</c>, the one validation path. Every problem is reported at once,
/// each once, after the name of what it configures.
/// </summary>
/// <typeparam name="TOptions">The options.</typeparam>
/// <param name="problems">The options' rules: <c>options =&gt; options.Problems()</c>.</param>
/// <param name="subject">What the options configure, given their name: "BatchBuffer", "S3RoleDestination 'production'".</param>
internal sealed class SettingsValidator<TOptions>(Func<TOptions, List<SettingProblem>> problems, Func<string, string> subject) : IValidateOptions<TOptions>
    where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<SettingProblem> found = problems(options);
        string what = subject(string.IsNullOrEmpty(name) ? Options.DefaultName : name);
        return found.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(found.Select(problem => $"{what}: {problem.Message}"));
    }
}
