using RawDataDestination.S3;

namespace RawDataDestination.Cli;

/// <summary>
/// Says what a delivery failure was, in <c>rawdata</c>'s words. The explanation is the library's one mapping
/// (<see cref="ErrorExplanations"/>, and STS's, already inside a <see cref="DestinationException"/>): this class only
/// says which bucket the failing consumer wrote to, and names the spool's own problems.
/// </summary>
internal static class FailureExplanation
{
    /// <summary>Explains <paramref name="error"/>, thrown by a consumer writing to <paramref name="target"/>.</summary>
    /// <param name="error">The error; <see langword="null"/> when none was recorded.</param>
    /// <param name="target">The bucket the consumer writes to: the customer's, or the staging bucket with --stage-bucket.</param>
    /// <param name="spoolDirectory">The --spool-dir, or <see langword="null"/>.</param>
    public static string Explain(Exception? error, S3Target target, string? spoolDirectory)
    {
        if (error is null)
        {
            return "no delivery error was recorded: the uploads under way had not been answered, or the batches were still waiting, when the run stopped.";
        }

        for (Exception? current = error; current is not null; current = current.InnerException)
        {
            if (current is Spool.SpoolDamagedException or Spool.SpoolFullException)
            {
                return $"the spool ({ShipCommand.SpoolDir.Name} '{spoolDirectory}'): {current.Message}";
            }
        }

        return ErrorExplanations.ForS3(error, target)?.Describe(SettingFlags.Words) ?? error.Message;
    }

    /// <summary>
    /// Explains <paramref name="error"/> as <see cref="Explain"/> does, for the last line of a run that gave up: no attempt
    /// of this process comes after it, so what a refusal needs before the next run is said of the next run.
    /// </summary>
    /// <param name="error">The error; <see langword="null"/> when none was recorded.</param>
    /// <param name="target">The bucket the consumer writes to.</param>
    /// <param name="spoolDirectory">The --spool-dir, or <see langword="null"/>.</param>
    public static string ExplainFinal(Exception? error, S3Target target, string? spoolDirectory)
    {
        string explained = Explain(error, target, spoolDirectory);
        return error is not null && ErrorExplanations.ForS3(error, target) is { } refusal && Aws.AwsErrorCodes.IsSessionTokenRefused(refusal.ErrorCode)
            ? $"{explained} The next run assumes the role afresh, and is refused the same way until the clock or the STS endpoint is put right."
            : explained;
    }

    /// <summary>
    /// Explains a failure of this machine's own input, spool (a full disk, a folder it cannot make) or seal, which no S3 or STS
    /// request caused: never in the words of a failed connection.
    /// </summary>
    /// <param name="error">The error reading the input, appending to the spool, or sealing a batch threw.</param>
    /// <param name="spoolDirectory">The --spool-dir, or <see langword="null"/>.</param>
    public static string ExplainLocal(Exception error, string? spoolDirectory)
    {
        if (error is not (IOException or UnauthorizedAccessException or InvalidOperationException))
        {
            // A seal that failed (its compressor, as when the process ran out of files): the batch is lost from memory only.
            return $"sealing a batch failed ({error.GetType().Name}: {error.Message.TrimEnd('.')}); "
                + (spoolDirectory is null ? "its events are lost." : $"its events stay in its journal in {ShipCommand.SpoolDir.Name} '{spoolDirectory}'.");
        }

        string spoolPath = spoolDirectory is null ? string.Empty : Path.TrimEndingDirectorySeparator(Path.GetFullPath(spoolDirectory));
        return spoolDirectory is not null && error.Message.Contains(spoolPath, StringComparison.Ordinal)
            ? $"writing to the spool ({ShipCommand.SpoolDir.Name} '{spoolDirectory}') failed: {error.Message.TrimEnd('.')}. Check its disk (free space, what stands in its folders), then run ship again with {ShipCommand.SpoolDir.Name} '{spoolDirectory}': it delivers what the spool keeps."
            : $"reading the input failed: {error.Message}";
    }

    /// <summary>The operator's staging bucket.</summary>
    public static S3Target Staging(Staging.StagingOptions options) =>
        new(Staging: true, BucketLocation.Parse(options.Bucket), options.Region, options.ServiceUrl);
}
