using RawDataDestination.Aws;
using RawDataDestination.Internal;
using RawDataDestination.Sts;

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
    /// <summary>
    /// Every problem with <paramref name="options"/>, each naming the setting, the value and a valid example: the one
    /// home of these rules, used by the destination's constructor, the options validator and <c>rawdata</c>.
    /// </summary>
    /// <param name="options">The settings.</param>
    /// <param name="words">How messages name settings; the default is their property names.</param>
    /// <returns>The problems, each with the property name of its setting; empty when the settings are valid.</returns>
    public static List<SettingProblem> Validate(S3RoleDestinationOptions options, SettingWords? words = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        SettingWords w = words ?? SettingWords.Properties;
        var problems = new List<SettingProblem>();
        Add("Region", RegionRules.Error(options.Region, options.AllowUnknownRegion, "Region", w));
        if (!BucketLocation.TryParse(options.Bucket, out _, out string? bucketError, "Bucket", w))
        {
            Add("Bucket", bucketError);
        }

        Add("RoleArn", AssumeRoleRules.RoleArnError(options.RoleArn, w));
        Add("ExternalId", AssumeRoleRules.ExternalIdError(options.ExternalId, w));
        Add("RoleSessionName", AssumeRoleRules.SessionNameError(options.RoleSessionName, w));
        Add("SessionDuration", AssumeRoleRules.SessionDurationError(options.SessionDuration, w));
        if (options.CredentialRefreshWindow < TimeSpan.Zero || options.CredentialRefreshWindow >= options.SessionDuration)
        {
            Add("CredentialRefreshWindow", $"{w.Name("CredentialRefreshWindow")} is {options.CredentialRefreshWindow}; it must be at least zero and less than {w.Name("SessionDuration")} ({options.SessionDuration}). The default is 5 minutes.");
        }

        if (options.StsRegion is not null)
        {
            Add("StsRegion", RegionRules.Error(options.StsRegion, options.AllowUnknownRegion, "StsRegion", w));
        }

        Add("ServiceUrl", ServiceUrlRules.Error("ServiceUrl", options.ServiceUrl?.OriginalString, w));
        Add("StsServiceUrl", ServiceUrlRules.Error("StsServiceUrl", options.StsServiceUrl?.OriginalString, w));
        if (!Enum.IsDefined(options.Acl))
        {
            Add("Acl", $"{w.Name("Acl")} is {(int)options.Acl}; use one of {string.Join(", ", Enum.GetNames<ObjectAcl>())}.");
        }

        if (!Enum.IsDefined(options.Encryption))
        {
            Add("Encryption", $"{w.Name("Encryption")} is {(int)options.Encryption}; use one of {string.Join(", ", Enum.GetNames<ObjectEncryption>())}.");
        }
        else if (options.Encryption == ObjectEncryption.Kms)
        {
            Add("KmsKeyId", KmsKeyRules.Error(options.KmsKeyId, w));
        }

        if (!Enum.IsDefined(options.ConditionalWrites))
        {
            Add("ConditionalWrites", $"{w.Name("ConditionalWrites")} is {(int)options.ConditionalWrites}; use one of {string.Join(", ", Enum.GetNames<S3.ConditionalWrites>())}.");
        }

        if (options.RetryTimeLimit < TimeSpan.Zero)
        {
            Add("RetryTimeLimit", $"{w.Name("RetryTimeLimit")} is {options.RetryTimeLimit}; it must not be negative (the default is 5 minutes).");
        }

        if (options.RetryBaseDelay <= TimeSpan.Zero || options.RetryMaxDelay < options.RetryBaseDelay)
        {
            Add("RetryBaseDelay", $"{w.Name("RetryBaseDelay")} is {options.RetryBaseDelay} and {w.Name("RetryMaxDelay")} {options.RetryMaxDelay}; the base must be greater than zero and the maximum at least the base (the defaults are 200 ms and 20 s).");
        }

        if (options.RequestTimeout <= TimeSpan.Zero)
        {
            Add("RequestTimeout", $"{w.Name("RequestTimeout")} is {options.RequestTimeout}; it must be greater than zero (the default is 2 minutes).");
        }

        if (options.ConnectTimeout <= TimeSpan.Zero)
        {
            Add("ConnectTimeout", $"{w.Name("ConnectTimeout")} is {options.ConnectTimeout}; it must be greater than zero (the default is 5 seconds).");
        }

        if (options.ResponseTimeout <= TimeSpan.Zero)
        {
            Add("ResponseTimeout", $"{w.Name("ResponseTimeout")} is {options.ResponseTimeout}; it must be greater than zero (the default is 10 seconds).");
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
    public static S3RoleDestinationSettings From(S3RoleDestinationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<SettingProblem> problems = Validate(options);
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(Environment.NewLine, problems.Select(problem => problem.Message)), nameof(options));
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
