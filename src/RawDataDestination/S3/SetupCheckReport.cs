namespace RawDataDestination.S3;

/// <summary>The result of <see cref="S3RoleDestination.VerifyAsync"/>: each step, in order.</summary>
public sealed class SetupCheckReport
{
    /// <summary>Creates a report.</summary>
    /// <param name="steps">The steps, in the order they ran.</param>
    public SetupCheckReport(IReadOnlyList<SetupCheckStep> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        Steps = steps;
    }

    /// <summary>Gets the steps, in the order they ran.</summary>
    public IReadOnlyList<SetupCheckStep> Steps { get; }

    /// <summary>Gets a value indicating whether the destination will work: no step failed (warnings allowed).</summary>
    public bool Succeeded => Steps.All(step => step.Outcome is not (SetupCheckOutcome.Failed or SetupCheckOutcome.Skipped));

    /// <summary>Gets the first failed step, or <see langword="null"/> when none failed.</summary>
    public SetupCheckStep? FirstFailure => Steps.FirstOrDefault(step => step.Outcome == SetupCheckOutcome.Failed);

    /// <summary>Formats the report, one step a line.</summary>
    /// <returns>The lines.</returns>
    public override string ToString() => string.Join(Environment.NewLine, Steps);
}
