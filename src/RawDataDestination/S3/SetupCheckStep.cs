namespace RawDataDestination.S3;

/// <summary>One step of <see cref="S3RoleDestination.VerifyAsync"/>: what was checked, how it ended, and what to do.</summary>
/// <param name="Name">What the step checks, e.g. "Assume the role with the external id".</param>
/// <param name="Outcome">How it ended.</param>
/// <param name="Message">What was found; on a warning or failure, the reason and the exact fix in terms of the customer's setup.</param>
/// <param name="ErrorCode">The AWS error code behind a failure or warning, when there was one.</param>
public sealed record SetupCheckStep(string Name, SetupCheckOutcome Outcome, string Message, string? ErrorCode = null)
{
    /// <summary>Formats the step as one line: <c>[passed] name: message</c>.</summary>
    /// <returns>The line.</returns>
    public override string ToString() => $"[{Outcome.ToString().ToUpperInvariant()}] {Name}: {Message}";
}
