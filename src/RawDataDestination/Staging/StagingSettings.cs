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
    /// <summary>Validates <paramref name="options"/> and copies them.</summary>
    /// <exception cref="ArgumentException">Some settings are invalid (<see cref="StagingOptions.Problems"/>); the message lists each problem.</exception>
    public static StagingSettings From(StagingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        SettingChecks.ThrowIfAny(options.Problems(), nameof(options));

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
