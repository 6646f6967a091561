using RawDataDestination.Aws;
using RawDataDestination.Internal;
using RawDataDestination.S3;

namespace RawDataDestination.Staging;

/// <summary>Validated, immutable copy of <see cref="StagingOptions"/>.</summary>
/// <param name="Location">The staging bucket and its prefix.</param>
/// <param name="Client">
/// How the staging bucket is called: its region or endpoint URL, the request timeout, and the connect and silence
/// timeouts of the customer's client (<see cref="S3RoleDestinationOptions.ConnectTimeout"/>,
/// <see cref="S3RoleDestinationOptions.ResponseTimeout"/>), so that a staging bucket that never answers fails each
/// attempt in seconds rather than after the request timeout; the AWS SDK retries its transient errors.
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
    /// <summary>The customer's client's defaults, whose connect and silence timeouts the staging client takes too.</summary>
    private static readonly S3RoleDestinationOptions ClientDefaults = new();

    /// <summary>Validates <paramref name="options"/> and copies them.</summary>
    /// <exception cref="ArgumentException">Some settings are invalid (<see cref="StagingOptions.Problems"/>); the message lists each problem.</exception>
    public static StagingSettings From(StagingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        SettingChecks.ThrowIfAny(options.Problems(), nameof(options));

        return new StagingSettings(
            BucketLocation.Parse(options.Bucket),
            new AwsClientSettings(options.Region, options.ServiceUrl, options.RequestTimeout, ClientDefaults.ConnectTimeout, ClientDefaults.ResponseTimeout) { SdkRetries = true },
            options.Retention,
            options.WarnBeforeExpiry,
            options.ParkedRetryInterval,
            options.PollInterval,
            options.MaxConcurrentCopies);
    }
}
