namespace RawDataDestination.S3;

/// <summary>How one step of the setup check ended.</summary>
public enum SetupCheckOutcome
{
    /// <summary>The step found the setup as it should be.</summary>
    Passed,

    /// <summary>The destination will work, but the setup has a weakness worth fixing.</summary>
    Warning,

    /// <summary>The step found a problem that stops the destination from working; the message says what to fix.</summary>
    Failed,

    /// <summary>The step did not run because an earlier one failed.</summary>
    Skipped,
}
