using RawDataDestination.Internal;
using RawDataDestination.S3;

namespace RawDataDestination.Staging;

/// <summary>Validated, immutable copy of <see cref="StagingOptions"/>.</summary>
internal sealed record StagingSettings(
    BucketLocation Location,
    string Region,
    Uri? ServiceUrl,
    TimeSpan Retention,
    TimeSpan WarnBeforeExpiry,
    TimeSpan ParkedRetryInterval,
    TimeSpan PollInterval,
    int MaxConcurrentCopies,
    TimeSpan RequestTimeout)
{
    /// <summary>Every problem with <paramref name="options"/>, each naming the setting, the value and what to enter.</summary>
    public static List<string> Validate(StagingOptions options)
    {
        var problems = new List<string>();
        if (!BucketLocation.TryParse(options.Bucket, out BucketLocation stage, out string? bucketError))
        {
            problems.Add("Staging " + bucketError);
        }
        else if (StagingKeys.StagePrefixError(stage) is { } markedFolder)
        {
            problems.Add(markedFolder);
        }

        Add(SettingRules.RegionError(options.Region, setting: "Staging Region"));
        Add(SettingRules.ServiceUrlError("Staging ServiceUrl", options.ServiceUrl?.OriginalString));
        if (options.Retention <= TimeSpan.Zero)
        {
            Add($"Staging Retention is {options.Retention}; it must be greater than zero (the default is 7 days).");
        }

        if (options.WarnBeforeExpiry < TimeSpan.Zero || options.WarnBeforeExpiry >= options.Retention)
        {
            Add($"Staging WarnBeforeExpiry is {options.WarnBeforeExpiry}; it must be at least zero and less than Retention ({options.Retention}). The default is 2 days.");
        }

        if (options.ParkedRetryInterval <= TimeSpan.Zero)
        {
            Add($"Staging ParkedRetryInterval is {options.ParkedRetryInterval}; it must be greater than zero (the default is 1 hour).");
        }

        if (options.PollInterval <= TimeSpan.Zero)
        {
            Add($"Staging PollInterval is {options.PollInterval}; it must be greater than zero (the default is 1 minute).");
        }

        if (options.MaxConcurrentCopies is < 1 or > 64)
        {
            Add($"Staging MaxConcurrentCopies is {options.MaxConcurrentCopies}; use 1 to 64 (the default is 4).");
        }

        if (options.RequestTimeout <= TimeSpan.Zero)
        {
            Add($"Staging RequestTimeout is {options.RequestTimeout}; it must be greater than zero (the default is 2 minutes).");
        }

        return problems;

        void Add(string? problem)
        {
            if (problem is not null)
            {
                problems.Add(problem);
            }
        }
    }

    /// <summary>Validates <paramref name="options"/> and copies them.</summary>
    /// <exception cref="ArgumentException">Some settings are invalid; the message lists each problem.</exception>
    public static StagingSettings From(StagingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<string> problems = Validate(options);
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(Environment.NewLine, problems), nameof(options));
        }

        return new StagingSettings(
            BucketLocation.Parse(options.Bucket),
            options.Region,
            options.ServiceUrl,
            options.Retention,
            options.WarnBeforeExpiry,
            options.ParkedRetryInterval,
            options.PollInterval,
            options.MaxConcurrentCopies,
            options.RequestTimeout);
    }
}
