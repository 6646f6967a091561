using System.CommandLine;
using RawDataDestination.S3;

namespace RawDataDestination.Cli;

/// <summary><c>rawdata verify</c>: the destination's setup check, with the same settings as <c>ship</c>.</summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var command = new Command(
            "verify",
            "Check the destination's setup the way ship uses it: the role must refuse AssumeRole without the external id and with another, accept it with it, and the role must be allowed to put an object.");
        foreach (Option option in DestinationOptions.All)
        {
            command.Options.Add(option);
        }

        command.SetAction((result, cancellationToken) => RunAsync(result, result.InvocationConfiguration.Output, result.InvocationConfiguration.Error, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult result, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        S3RoleDestinationOptions options = DestinationOptions.ToOptions(result);
        S3RoleDestination? destination = DestinationOptions.TryCreate(options, problems);
        if (destination is null)
        {
            foreach (string problem in problems)
            {
                await stderr.WriteLineAsync(problem);
            }

            await stderr.WriteLineAsync("Run 'rawdata verify --help' for the options.");
            return ExitCodes.BadSetting;
        }

        using (destination)
        {
            // The check goes on whatever becomes of its report: a standard output that refuses writes (> /dev/full, | head -1)
            // is said once, on stderr, and the exit code is the check's.
            var report = new DroppingWriter(stdout);
            (int exitCode, string outcome) = await CheckAsync(destination, options, report, stderr, cancellationToken);
            if (report.Failure is { } failure)
            {
                await stderr.WriteLineAsync($"{FailedWrites.StandardOutput(failure)}, so the report of verify is missing or cut short: {outcome}. The exit code says how the check went.");
            }

            return exitCode;
        }
    }

    /// <summary>Runs the check, writing each step to <paramref name="stdout"/>: the exit code, and the outcome in a few words.</summary>
    private static async Task<(int ExitCode, string Outcome)> CheckAsync(S3RoleDestination destination, S3RoleDestinationOptions options, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
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
            await stdout.WriteLineAsync($"   {step.Describe(SettingFlags.Words)}");
        }

        if (report.FirstFailure is { } failure)
        {
            await stderr.WriteLineAsync($"verify failed at '{failure.Name}': {failure.Describe(SettingFlags.Words)}");
            return (ExitCodes.DeliveryFailed, $"verify failed at '{failure.Name}' (said above)");
        }

        SetupCheckStep? warning = report.Steps.FirstOrDefault(s => s.Outcome == SetupCheckOutcome.Warning);
        await stdout.WriteLineAsync(warning is null ? "The destination will work." : "The destination will work, but see the warning above.");
        return (ExitCodes.Success, warning is null ? "the destination will work" : $"the destination will work, but '{warning.Name}' warns: {warning.Describe(SettingFlags.Words).TrimEnd('.')}");
    }
}
