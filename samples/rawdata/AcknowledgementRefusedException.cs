namespace RawDataDestination.Cli;

/// <summary>
/// <c>ship --progress</c>: standard output refused an acknowledgement (<c>&gt; /dev/full</c>), so the script that relies on
/// them can't learn which lines are taken: the reading loop stops, and what it read is still delivered and counted.
/// </summary>
internal sealed class AcknowledgementRefusedException(Exception refusal) : Exception(Describe(refusal), refusal)
{
    /// <summary>"Standard output can't be written (No space left on device): the acknowledgements (--progress) can't reach their reader".</summary>
    public static string Describe(Exception refusal) =>
        $"{FailedWrites.StandardOutput(refusal)}: the acknowledgements ({ShipCommand.Progress.Name}) can't reach their reader";
}
