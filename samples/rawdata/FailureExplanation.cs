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

    /// <summary>The operator's staging bucket.</summary>
    public static S3Target Staging(Staging.StagingOptions options) =>
        new(Staging: true, BucketLocation.Parse(options.Bucket), options.Region, options.ServiceUrl);
}
