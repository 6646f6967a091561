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
    /// <summary>Every problem with <paramref name="options"/>, each naming the setting, the value and a valid example.</summary>
    public static List<string> Validate(S3RoleDestinationOptions options)
    {
        var problems = new List<string>();
        Add(SettingRules.RegionError(options.Region, options.AllowUnknownRegion));
        if (!BucketLocation.TryParse(options.Bucket, out BucketLocation location, out string? bucketError))
        {
            Add(bucketError);
        }
        else
        {
            Add(ObjectKeyLayout.KeyLengthError(location));
        }

        Add(SettingRules.RoleArnError(options.RoleArn));
        Add(SettingRules.ExternalIdError(options.ExternalId));
        Add(SettingRules.SessionNameError(options.RoleSessionName));
        Add(SettingRules.SessionDurationError(options.SessionDuration));
        if (options.CredentialRefreshWindow < TimeSpan.Zero || options.CredentialRefreshWindow >= options.SessionDuration)
        {
            Add($"CredentialRefreshWindow is {options.CredentialRefreshWindow}; it must be at least zero and less than SessionDuration ({options.SessionDuration}). The default is 5 minutes.");
        }

        if (options.StsRegion is not null)
        {
            Add(SettingRules.RegionError(options.StsRegion, options.AllowUnknownRegion, "StsRegion"));
        }

        Add(SettingRules.ServiceUrlError("ServiceUrl", options.ServiceUrl?.OriginalString));
        Add(SettingRules.ServiceUrlError("StsServiceUrl", options.StsServiceUrl?.OriginalString));
        if (!Enum.IsDefined(options.Acl))
        {
            Add($"Acl is {(int)options.Acl}; use one of {string.Join(", ", Enum.GetNames<ObjectAcl>())}.");
        }

        if (!Enum.IsDefined(options.Encryption))
        {
            Add($"Encryption is {(int)options.Encryption}; use one of {string.Join(", ", Enum.GetNames<ObjectEncryption>())}.");
        }
        else if (options.Encryption == ObjectEncryption.Kms)
        {
            Add(SettingRules.KmsKeyIdError(options.KmsKeyId));
        }

        if (!Enum.IsDefined(options.ConditionalWrites))
        {
            Add($"ConditionalWrites is {(int)options.ConditionalWrites}; use one of {string.Join(", ", Enum.GetNames<S3.ConditionalWrites>())}.");
        }

        if (options.RetryTimeLimit < TimeSpan.Zero)
        {
            Add($"RetryTimeLimit is {options.RetryTimeLimit}; it must not be negative (the default is 5 minutes).");
        }

        if (options.RetryBaseDelay <= TimeSpan.Zero || options.RetryMaxDelay < options.RetryBaseDelay)
        {
            Add($"RetryBaseDelay is {options.RetryBaseDelay} and RetryMaxDelay {options.RetryMaxDelay}; the base must be greater than zero and the maximum at least the base (the defaults are 200 ms and 20 s).");
        }

        if (options.RequestTimeout <= TimeSpan.Zero)
        {
            Add($"RequestTimeout is {options.RequestTimeout}; it must be greater than zero (the default is 2 minutes).");
        }

        if (options.ConnectTimeout <= TimeSpan.Zero)
        {
            Add($"ConnectTimeout is {options.ConnectTimeout}; it must be greater than zero (the default is 5 seconds).");
        }

        if (options.ResponseTimeout <= TimeSpan.Zero)
        {
            Add($"ResponseTimeout is {options.ResponseTimeout}; it must be greater than zero (the default is 10 seconds).");
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
    public static S3RoleDestinationSettings From(S3RoleDestinationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<string> problems = Validate(options);
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(Environment.NewLine, problems), nameof(options));
        }

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
