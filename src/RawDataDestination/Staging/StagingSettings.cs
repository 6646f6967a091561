using RawDataDestination.Aws;
using RawDataDestination.Internal;
using RawDataDestination.S3;

namespace RawDataDestination.Staging;

/// <summary>Validated, immutable copy of <see cref="StagingOptions"/>.</summary>
/// <param name="Location">The staging bucket and its prefix.</param>
/// <param name="Client">
/// How the staging bucket is called: its region or endpoint URL and the request timeout; the AWS SDK retries its
/// transient errors (the staging options have no connect or silence timeout of their own).
/// </param>
/// <param name="Retention">How long a staged batch is kept.</param>
/// <param name="WarnBeforeExpiry">How long before the end of its retention a parked batch warns.</param>
/// <param name="ParkedRetryInterval">How long a parked batch waits before it is tried again.</param>
/// <param name="PollInterval">How often the copier lists the staging prefix.</param>
/// <param name="MaxConcurrentCopies">How many staged batches one copier moves at once.</param>
internal sealed record StagingSettings(
    BucketLocation Location,
    AwsClientSettings Client,
    TimeSpan Retention,
    TimeSpan WarnBeforeExpiry,
    TimeSpan ParkedRetryInterval,
    TimeSpan PollInterval,
    int MaxConcurrentCopies)
{
    /// <summary>Validates <paramref name="options"/> and copies them.</summary>
    /// <exception cref="ArgumentException">Some settings are invalid (<see cref="StagingOptions.Problems"/>); the message lists each problem.</exception>
    public static StagingSettings From(StagingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        SettingChecks.ThrowIfAny(options.Problems(), nameof(options));

        return new StagingSettings(
            BucketLocation.Parse(options.Bucket),
            new AwsClientSettings(options.Region, options.ServiceUrl, options.RequestTimeout) { SdkRetries = true },
            options.Retention,
            options.WarnBeforeExpiry,
            options.ParkedRetryInterval,
            options.PollInterval,
            options.MaxConcurrentCopies);
    }
}
