using RawDataDestination.Aws;
using RawDataDestination.Internal;

namespace RawDataDestination.S3;

/// <summary>Validated, immutable copy of <see cref="S3RoleDestinationOptions"/>.</summary>
/// <param name="Location">The customer's bucket and key prefix.</param>
/// <param name="Client">How the customer's bucket is called: its region or endpoint URL, with the destination's timeouts.</param>
/// <param name="RoleArn">The customer's role.</param>
/// <param name="ExternalId">The external id the role's trust policy requires.</param>
/// <param name="RoleSessionName">The session name.</param>
/// <param name="SessionDuration">How long each set of assumed-role credentials lasts.</param>
/// <param name="CredentialRefreshWindow">How long before expiry credentials are refreshed.</param>
/// <param name="StsClient">How STS is called: its region (the bucket's unless set) or endpoint URL, with the same timeouts.</param>
/// <param name="Acl">The canned ACL sent with each object.</param>
/// <param name="Encryption">The server-side encryption asked for.</param>
/// <param name="KmsKeyId">The KMS key, with <see cref="ObjectEncryption.Kms"/> only.</param>
/// <param name="ExpectedBucketOwner">The account that must own the bucket (<c>x-amz-expected-bucket-owner</c>), or <see langword="null"/>.</param>
/// <param name="ConditionalWrites">Whether PUTs carry <c>If-None-Match</c>.</param>
/// <param name="RetryTimeLimit">How long an upload is retried.</param>
/// <param name="RetryBaseDelay">The first retry's delay.</param>
/// <param name="RetryMaxDelay">The longest delay between retries.</param>
internal sealed record S3RoleDestinationSettings(
    BucketLocation Location,
    AwsClientSettings Client,
    string RoleArn,
    string ExternalId,
    string RoleSessionName,
    TimeSpan SessionDuration,
    TimeSpan CredentialRefreshWindow,
    AwsClientSettings StsClient,
    ObjectAcl Acl,
    ObjectEncryption Encryption,
    string? KmsKeyId,
    string? ExpectedBucketOwner,
    bool ConditionalWrites,
    TimeSpan RetryTimeLimit,
    TimeSpan RetryBaseDelay,
    TimeSpan RetryMaxDelay)
{
    /// <summary>Gets how the destination's log lines name its settings (<see cref="S3RoleDestinationOptions.Words"/>).</summary>
    public SettingWords Words { get; init; } = SettingWords.Properties;

    /// <summary>Validates <paramref name="options"/> and copies them.</summary>
    /// <exception cref="ArgumentException">Some settings are invalid (<see cref="S3RoleDestinationOptions.Problems"/>); the message lists each problem.</exception>
    public static S3RoleDestinationSettings From(S3RoleDestinationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        SettingChecks.ThrowIfAny(options.Problems(), nameof(options));

        // The customer's bucket and STS are called with the same timeouts, one attempt per call.
        AwsClientSettings Client(string region, Uri? serviceUrl) =>
            new(region, serviceUrl, options.RequestTimeout, options.ConnectTimeout, options.ResponseTimeout);

        return new S3RoleDestinationSettings(
            BucketLocation.Parse(options.Bucket),
            Client(options.Region, options.ServiceUrl),
            options.RoleArn,
            options.ExternalId,
            options.RoleSessionName,
            options.SessionDuration,
            options.CredentialRefreshWindow,
            Client(options.StsRegion ?? options.Region, options.StsServiceUrl),
            options.Acl,
            options.Encryption,
            options.Encryption == ObjectEncryption.Kms ? options.KmsKeyId : null,
            options.ExpectedBucketOwner,
            options.ConditionalWrites == S3.ConditionalWrites.Enabled || (options.ConditionalWrites == S3.ConditionalWrites.Auto && options.ServiceUrl is null),
            options.RetryTimeLimit,
            options.RetryBaseDelay,
            options.RetryMaxDelay)
        {
            Words = options.Words ?? SettingWords.Properties,
        };
    }
}
