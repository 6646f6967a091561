using RawDataDestination.Internal;

namespace RawDataDestination.S3;

/// <summary>Validated, immutable copy of <see cref="S3RoleDestinationOptions"/>.</summary>
internal sealed record S3RoleDestinationSettings(
    string Region,
    BucketLocation Location,
    string RoleArn,
    string ExternalId,
    string RoleSessionName,
    TimeSpan SessionDuration,
    TimeSpan CredentialRefreshWindow,
    string StsRegion,
    Uri? ServiceUrl,
    Uri? StsServiceUrl,
    ObjectAcl Acl,
    ObjectEncryption Encryption,
    string? KmsKeyId,
    bool ConditionalWrites,
    TimeSpan RetryTimeLimit,
    TimeSpan RetryBaseDelay,
    TimeSpan RetryMaxDelay,
    TimeSpan RequestTimeout,
    TimeSpan ConnectTimeout,
    TimeSpan ResponseTimeout)
{
    /// <summary>Validates <paramref name="options"/> and copies them.</summary>
    /// <exception cref="ArgumentException">Some settings are invalid (<see cref="S3RoleDestinationOptions.Problems"/>); the message lists each problem.</exception>
    public static S3RoleDestinationSettings From(S3RoleDestinationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        SettingChecks.ThrowIfAny(options.Problems(), nameof(options));

        return new S3RoleDestinationSettings(
            options.Region,
            BucketLocation.Parse(options.Bucket),
            options.RoleArn,
            options.ExternalId,
            options.RoleSessionName,
            options.SessionDuration,
            options.CredentialRefreshWindow,
            options.StsRegion ?? options.Region,
            options.ServiceUrl,
            options.StsServiceUrl,
            options.Acl,
            options.Encryption,
            options.Encryption == ObjectEncryption.Kms ? options.KmsKeyId : null,
            options.ConditionalWrites == S3.ConditionalWrites.Enabled || (options.ConditionalWrites == S3.ConditionalWrites.Auto && options.ServiceUrl is null),
            options.RetryTimeLimit,
            options.RetryBaseDelay,
            options.RetryMaxDelay,
            options.RequestTimeout,
            options.ConnectTimeout,
            options.ResponseTimeout);
    }
}
