using RawDataDestination.Aws;
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
    /// <param name="options">The settings.</param>
    /// <param name="words">How messages name settings; the default is their property names, after "Staging ".</param>
    /// <returns>The problems, each with its setting's name ("Staging Region"); empty when the settings are valid.</returns>
    public static List<SettingProblem> Validate(StagingOptions options, SettingWords? words = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        SettingWords w = words ?? SettingWords.Properties;
        var problems = new List<SettingProblem>();
        if (!BucketLocation.TryParse(options.Bucket, out BucketLocation stage, out string? bucketError, "Staging Bucket", w))
        {
            Add("Staging Bucket", bucketError);
        }
        else
        {
            Add("Staging Bucket", StagingKeys.StagePrefixError(stage));
        }

        Add("Staging Region", RegionRules.Error(options.Region, setting: "Staging Region", words: w));
        Add("Staging ServiceUrl", ServiceUrlRules.Error("Staging ServiceUrl", options.ServiceUrl?.OriginalString, w));
        if (options.Retention <= TimeSpan.Zero)
        {
            Add("Staging Retention", $"{w.Name("Staging Retention")} is {options.Retention}; it must be greater than zero (the default is 7 days).");
        }

        if (options.WarnBeforeExpiry < TimeSpan.Zero || options.WarnBeforeExpiry >= options.Retention)
        {
            Add("Staging WarnBeforeExpiry", $"{w.Name("Staging WarnBeforeExpiry")} is {options.WarnBeforeExpiry}; it must be at least zero and less than Retention ({options.Retention}). The default is 2 days.");
        }

        if (options.ParkedRetryInterval <= TimeSpan.Zero)
        {
            Add("Staging ParkedRetryInterval", $"{w.Name("Staging ParkedRetryInterval")} is {options.ParkedRetryInterval}; it must be greater than zero (the default is 1 hour).");
        }

        if (options.PollInterval <= TimeSpan.Zero)
        {
            Add("Staging PollInterval", $"{w.Name("Staging PollInterval")} is {options.PollInterval}; it must be greater than zero (the default is 1 minute).");
        }

        if (options.MaxConcurrentCopies is < 1 or > 64)
        {
            Add("Staging MaxConcurrentCopies", $"{w.Name("Staging MaxConcurrentCopies")} is {options.MaxConcurrentCopies}; use 1 to 64 (the default is 4).");
        }

        if (options.RequestTimeout <= TimeSpan.Zero)
        {
            Add("Staging RequestTimeout", $"{w.Name("Staging RequestTimeout")} is {options.RequestTimeout}; it must be greater than zero (the default is 2 minutes).");
        }

        return problems;

        void Add(string setting, string? problem)
        {
            if (problem is not null)
            {
                problems.Add(new SettingProblem(setting, problem));
            }
        }
    }

    /// <summary>Validates <paramref name="options"/> and copies them.</summary>
    /// <exception cref="ArgumentException">Some settings are invalid; the message lists each problem.</exception>
    public static StagingSettings From(StagingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<SettingProblem> problems = Validate(options);
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(Environment.NewLine, problems.Select(problem => problem.Message)), nameof(options));
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
