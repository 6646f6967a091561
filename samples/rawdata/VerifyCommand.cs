using RawDataDestination.S3;

namespace RawDataDestination.Cli;

/// <summary><c>rawdata verify</c>: the destination's setup check, with the same settings as <c>ship</c>.</summary>
internal static class VerifyCommand
{
    public const string Usage = "rawdata verify " + DestinationArguments.Usage;

    public static async Task<int> RunAsync(CommandLine line, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        line.RejectUnknown(DestinationArguments.Names);
        S3RoleDestinationOptions options = DestinationArguments.ToOptions(line);
        S3RoleDestination destination = DestinationArguments.CreateDestination(options);

        using (destination)
        {
            await stdout.WriteLineAsync($"Checking role {options.RoleArn} and s3://{destination.Location.BucketName}/{destination.Location.KeyPrefix} ...");
            SetupCheckReport report = await destination.VerifyAsync(cancellationToken);
            int number = 0;
            foreach (SetupCheckStep step in report.Steps)
            {
                number++;
                string outcome = step.Outcome switch
                {
                    SetupCheckOutcome.Passed => "passed",
                    SetupCheckOutcome.Warning => "WARNING",
                    SetupCheckOutcome.Failed => "FAILED",
                    _ => "skipped",
                };
                await stdout.WriteLineAsync($"{number}. {step.Name}: {outcome}");
                await stdout.WriteLineAsync($"   {step.Message}");
            }

            if (report.FirstFailure is { } failure)
            {
                await stderr.WriteLineAsync($"verify failed at '{failure.Name}': {failure.Message}");
                return ExitCodes.DeliveryFailed;
            }

            await stdout.WriteLineAsync(report.Steps.Any(s => s.Outcome == SetupCheckOutcome.Warning)
                ? "The destination will work, but see the warning above."
                : "The destination will work.");
            return ExitCodes.Success;
        }
    }
}
