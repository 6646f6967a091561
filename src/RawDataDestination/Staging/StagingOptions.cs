using RawDataDestination.Aws;
using RawDataDestination.Internal;
using RawDataDestination.S3;

namespace RawDataDestination.Staging;

/// <summary>
/// Settings for the stage in the operator's own bucket: where <see cref="StagingConsumer"/> writes sealed batches with
/// the service's own AWS credentials, and how <see cref="StagedBatchCopier"/> moves them on to the customer's bucket.
/// They are validated and copied when a consumer or copier is built.
/// </summary>
public sealed class StagingOptions
{
    private const int MaxCopies = 64;

    // Each default is written once, as its property's initial value: the rules' messages read it from this instance.
    private static readonly StagingOptions Defaults = new();

    /// <summary>
    /// Gets or sets the operator's staging bucket with an optional path prefix: <c>ops-staging</c> or
    /// <c>ops-staging/rawdata</c>. A batch for customer bucket <c>B</c> is staged at
    /// <c>{prefix/}~B/{customer key}</c>, so the staged key maps one-to-one to the bucket and key it will have at the
    /// customer's, and setups that share the staging bucket never share a staged key.
    /// </summary>
    /// <value>Required. There is no default. No folder of the prefix may start with <c>~</c>, which marks the customer's bucket in staged keys.</value>
    public string Bucket { get; set; } = "";

    /// <summary>Gets or sets the staging bucket's AWS region, such as <c>us-west-2</c>.</summary>
    /// <value>Required. There is no default.</value>
    public string Region { get; set; } = "";

    /// <summary>
    /// Gets or sets whether <see cref="Region"/> may be a well-formed region code the AWS SDK does not know (a region
    /// newer than this SDK). Otherwise an unknown region is refused at start, naming the closest known one, so a typo
    /// such as <c>us-wst-2</c> is not found only when every batch fails to stage.
    /// </summary>
    /// <value>The default value is <see langword="false"/>, as the destination's <c>AllowUnknownRegion</c>.</value>
    public bool AllowUnknownRegion { get; set; }

    /// <summary>Gets or sets an S3 endpoint to use instead of AWS's for the staging bucket, for S3-compatible servers.</summary>
    /// <value>The default value is <see langword="null"/>: AWS. When set, requests use path-style addressing and plain bodies.</value>
    public Uri? ServiceUrl { get; set; }

    /// <summary>
    /// Gets or sets how long a staged batch is kept. A batch still staged after this long is tried once more by the
    /// copier's next pass that reaches it: delivered if the customer's bucket takes it, deleted undelivered only if the
    /// customer's bucket refuses it in that try (a reason retrying cannot fix), with an error naming its event count and
    /// its customer bucket and key, a count in <c>rawdata.staging.expired</c> and an entry in
    /// <see cref="StagedCopyResult.Expired"/>. One that fails for a transient reason stays staged for the next pass.
    /// </summary>
    /// <value>Greater than zero. The default value is 7 days.</value>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Gets or sets how long before its <see cref="Retention"/> ends a parked batch starts to warn: from then on, each
    /// of its retries logs a warning and counts in <c>rawdata.staging.expiring</c>.
    /// </summary>
    /// <value>At least zero and less than <see cref="Retention"/>. The default value is 2 days: with the default retention, from day 5.</value>
    public TimeSpan WarnBeforeExpiry { get; set; } = TimeSpan.FromDays(2);

    /// <summary>
    /// Gets or sets how long a parked batch (one the customer's bucket refused for a reason retrying cannot fix, such as
    /// AccessDenied, NoSuchBucket or a KMS denial) waits before the copier tries it again.
    /// </summary>
    /// <value>Greater than zero. The default value is 1 hour.</value>
    public TimeSpan ParkedRetryInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Gets or sets how often <see cref="StagedBatchCopier.RunAsync"/> lists the staging prefix.</summary>
    /// <value>Greater than zero. The default value is 1 minute.</value>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Gets or sets how many staged batches one copier moves at once.</summary>
    /// <value>From 1 to 64. The default value is 4.</value>
    public int MaxConcurrentCopies { get; set; } = 4;

    /// <summary>Gets or sets how long one HTTP request to the staging bucket may take before it is abandoned and retried.</summary>
    /// <value>Greater than zero. The default value is 2 minutes.</value>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Every problem with these settings, each naming the setting (after "Staging "), the value and what to enter or the
    /// default: the one home of these rules, used by the consumer's and the copier's constructors and by <c>rawdata</c>.
    /// </summary>
    /// <param name="words">How messages name settings; the default is their property names, after "Staging ".</param>
    /// <returns>The problems, each with its setting's name ("Staging Region"); empty when the settings are valid.</returns>
    internal List<SettingProblem> Problems(SettingWords? words = null)
    {
        var check = new SettingChecks(words);
        check.Add("Staging Bucket", BucketLocation.TryParse(Bucket, out BucketLocation stage, out string? bucketError, "Staging Bucket", check.Words)
            ? StagingKeys.StagePrefixError(stage)
            : bucketError);
        check.Add("Staging Region", RegionRules.Error(Region, AllowUnknownRegion, "Staging Region", check.Words, "Staging AllowUnknownRegion"));
        check.Add("Staging ServiceUrl", ServiceUrlRules.Error("Staging ServiceUrl", ServiceUrl?.OriginalString, check.Words));
        check.Require(Retention > TimeSpan.Zero, "Staging Retention", Retention, "greater than zero", Defaults.Retention);
        check.Require(
            WarnBeforeExpiry >= TimeSpan.Zero && WarnBeforeExpiry < Retention,
            "Staging WarnBeforeExpiry",
            WarnBeforeExpiry,
            $"at least zero and less than {check.Name("Staging Retention")}, which is {SettingChecks.Given(Retention)}",
            Defaults.WarnBeforeExpiry);
        check.Require(ParkedRetryInterval > TimeSpan.Zero, "Staging ParkedRetryInterval", ParkedRetryInterval, "greater than zero", Defaults.ParkedRetryInterval);
        check.Require(PollInterval > TimeSpan.Zero, "Staging PollInterval", PollInterval, "greater than zero", Defaults.PollInterval);
        check.Require(MaxConcurrentCopies is >= 1 and <= MaxCopies, "Staging MaxConcurrentCopies", MaxConcurrentCopies, $"from 1 to {MaxCopies}", Defaults.MaxConcurrentCopies);
        check.Require(RequestTimeout > TimeSpan.Zero, "Staging RequestTimeout", RequestTimeout, "greater than zero", Defaults.RequestTimeout);
        return check.Problems;
    }
}
