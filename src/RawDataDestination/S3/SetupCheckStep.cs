using RawDataDestination.Internal;

namespace RawDataDestination.S3;

/// <summary>One step of <see cref="S3RoleDestination.VerifyAsync"/>: what was checked, how it ended, and what to do.</summary>
/// <param name="Name">What the step checks, e.g. "Assume the role with the external id".</param>
/// <param name="Outcome">How it ended.</param>
/// <param name="Message">What was found; on a warning or failure, the reason and the exact fix in terms of the customer's setup.</param>
/// <param name="ErrorCode">The AWS error code behind a failure or warning, when there was one.</param>
public sealed record SetupCheckStep(string Name, SetupCheckOutcome Outcome, string Message, string? ErrorCode = null)
{
    /// <summary>Creates a step whose message names settings through <see cref="SettingWords"/>.</summary>
    internal SetupCheckStep(string name, SetupCheckOutcome outcome, Func<SettingWords, string> wording, string? errorCode)
        : this(name, outcome, wording(SettingWords.Properties), errorCode)
    {
        Wording = wording;
    }

    /// <summary>Gets what composes <see cref="Message"/> with other words for the settings, when it names any.</summary>
    internal Func<SettingWords, string>? Wording { get; }

    /// <summary>Formats the step as one line: <c>[passed] name: message</c>.</summary>
    /// <returns>The line.</returns>
    public override string ToString() => $"[{Outcome.ToString().ToUpperInvariant()}] {Name}: {Message}";

    /// <summary>The message with settings named in <paramref name="words"/>.</summary>
    internal string Describe(SettingWords words) => Wording is null ? Message : Wording(words);
}
