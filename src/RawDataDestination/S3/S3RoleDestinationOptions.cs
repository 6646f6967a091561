using RawDataDestination.Aws;
using RawDataDestination.Internal;
using RawDataDestination.Sts;

namespace RawDataDestination.S3;

/// <summary>
/// Settings for <see cref="S3RoleDestination"/>: the three settings of the destination (region, bucket, role ARN) plus
/// the external id, and optional tuning. They are validated once, when the destination is built.
/// </summary>
public sealed class S3RoleDestinationOptions
{
    /// <summary>The default <see cref="RoleSessionName"/>.</summary>
    public const string DefaultRoleSessionName = "RawDataDestination";

    // Each default is written once, as its property's initial value: the rules' messages read it from this instance.
    private static readonly S3RoleDestinationOptions Defaults = new();

    /// <summary>Gets or sets the bucket's AWS region, such as <c>us-west-2</c>.</summary>
    /// <value>Required. There is no default.</value>
    public string Region { get; set; } = "";

    /// <summary>
    /// Gets or sets whether <see cref="Region"/> and <see cref="StsRegion"/> may name a region the AWS SDK does not know.
    /// By default an unknown region is refused, naming the closest known one, so a typo such as <c>us-wst-2</c> fails at
    /// start instead of as a host name that does not resolve. Set it for a region newer than the SDK in use.
    /// </summary>
    /// <value>The default value is <see langword="false"/>: only regions in <c>Amazon.RegionEndpoint.EnumerableAllRegions</c>.</value>
    public bool AllowUnknownRegion { get; set; }

    /// <summary>
    /// Gets or sets the bucket name with an optional path prefix: <c>mybucket</c> or <c>mybucket/path/prefix</c>.
    /// Objects go under <c>{prefix/}segment-logs/</c>.
    /// </summary>
    /// <value>Required. There is no default.</value>
    public string Bucket { get; set; } = "";

    /// <summary>Gets or sets the ARN of the IAM role to assume, such as <c>arn:aws:iam::123456789012:role/SegmentS3Upload</c>.</summary>
    /// <value>Required. There is no default.</value>
    public string RoleArn { get; set; } = "";

    /// <summary>Gets or sets the external id that the role's trust policy requires (<c>sts:ExternalId</c>).</summary>
    /// <value>Required: 2–1224 characters of <c>[A-Za-z0-9+=,.@:/-]</c>. There is no default.</value>
    public string ExternalId { get; set; } = "";

    /// <summary>Gets or sets the role session name, visible in the customer's CloudTrail.</summary>
    /// <value>2–64 characters of <c>[\w+=,.@-]</c>. The default value is <c>RawDataDestination</c>.</value>
    public string RoleSessionName { get; set; } = DefaultRoleSessionName;

    /// <summary>Gets or sets how long assumed credentials last.</summary>
    /// <value>15 minutes to 12 hours (and no more than the role's maximum). The default value is 1 hour.</value>
    public TimeSpan SessionDuration { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Gets or sets how long before expiry the credentials are refreshed in the background.</summary>
    /// <value>At least zero and less than <see cref="SessionDuration"/>. The default value is 5 minutes.</value>
    public TimeSpan CredentialRefreshWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Gets or sets the region of the STS endpoint used for AssumeRole.</summary>
    /// <value>The default value is <see langword="null"/>: the bucket's <see cref="Region"/>, through its regional STS endpoint.</value>
    public string? StsRegion { get; set; }

    /// <summary>Gets or sets an S3 endpoint to use instead of AWS's, for S3-compatible servers.</summary>
    /// <value>
    /// The default value is <see langword="null"/>: AWS. When set, requests use path-style addressing, plain (not
    /// <c>aws-chunked</c>) bodies and checksums only where required, which S3-compatible servers understand.
    /// </value>
    public Uri? ServiceUrl { get; set; }

    /// <summary>Gets or sets an STS endpoint to use instead of AWS's.</summary>
    /// <value>The default value is <see langword="null"/>: AWS's regional STS endpoint.</value>
    public Uri? StsServiceUrl { get; set; }

    /// <summary>Gets or sets the canned ACL sent with each object.</summary>
    /// <value>The default value is <see cref="ObjectAcl.BucketOwnerFullControl"/>.</value>
    public ObjectAcl Acl { get; set; } = ObjectAcl.BucketOwnerFullControl;

    /// <summary>Gets or sets how objects are encrypted at rest.</summary>
    /// <value>The default value is <see cref="ObjectEncryption.BucketDefault"/>.</value>
    public ObjectEncryption Encryption { get; set; } = ObjectEncryption.BucketDefault;

    /// <summary>Gets or sets the KMS key for <see cref="ObjectEncryption.Kms"/>: a key ARN, key id or alias.</summary>
    /// <value>Required with <see cref="ObjectEncryption.Kms"/>, ignored otherwise. The default value is <see langword="null"/>.</value>
    public string? KmsKeyId { get; set; }

    /// <summary>
    /// Gets or sets the AWS account id that must own <see cref="Bucket"/>: every PutObject (uploads and the setup check's
    /// probe) carries it as <c>x-amz-expected-bucket-owner</c>, and S3 refuses the write (403 AccessDenied) when the
    /// bucket belongs to another account. It guards against a bucket deleted by the customer and created again, under the
    /// same name, in someone else's account, where the customer's role (whose policy names the bucket, not its account)
    /// could otherwise still write.
    /// </summary>
    /// <value>
    /// Exactly 12 digits, such as <c>123456789012</c>. The default value is <see langword="null"/>: no header, and a bucket
    /// of any account is written.
    /// </value>
    public string? ExpectedBucketOwner { get; set; }

    /// <summary>Gets or sets whether PutObject sends <c>If-None-Match: *</c> so an existing object is never overwritten.</summary>
    /// <value>The default value is <see cref="S3.ConditionalWrites.Auto"/>: on against AWS, off for an overridden <see cref="ServiceUrl"/>.</value>
    public ConditionalWrites ConditionalWrites { get; set; } = ConditionalWrites.Auto;

    /// <summary>Gets or sets how long one batch's upload keeps retrying transient errors (throttling, 5xx, timeouts, broken connections, STS outages).</summary>
    /// <value>At least zero. The default value is 5 minutes. After it, the upload fails and the buffer keeps the batch.</value>
    public TimeSpan RetryTimeLimit { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Gets or sets the first retry's delay ceiling; each retry doubles it, up to <see cref="RetryMaxDelay"/>, and waits a random time below it (full jitter).</summary>
    /// <value>Greater than zero. The default value is 200 milliseconds.</value>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Gets or sets the largest delay between two attempts.</summary>
    /// <value>At least <see cref="RetryBaseDelay"/>. The default value is 20 seconds.</value>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Gets or sets how long one HTTP request may take in all, transfer included, before it is abandoned and retried.</summary>
    /// <value>Greater than zero. The default value is 2 minutes.</value>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Gets or sets how long opening a connection to S3 or STS may take. An endpoint that does not accept (a dead host, a
    /// dropped SYN) fails the attempt after this, not after <see cref="RequestTimeout"/>.
    /// </summary>
    /// <value>Greater than zero (a shorter <see cref="RequestTimeout"/> still bounds the whole request). The default value is 5 seconds.</value>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Gets or sets how long S3 or STS may stay silent: take none of the request body, and send no answer, before the
    /// request is abandoned as a transient failure. The clock restarts with each piece of the body sent, so a large upload
    /// that keeps moving is bounded only by <see cref="RequestTimeout"/>; an endpoint that accepts connections and never
    /// answers gives its upload slot back after this.
    /// </summary>
    /// <value>Greater than zero (a shorter <see cref="RequestTimeout"/> still bounds the whole request). The default value is 10 seconds.</value>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Gets or sets how the destination's own log lines name these settings (a program's flags, a file's fields), as its
    /// explanations are named by <see cref="DestinationException"/>'s words: the ACL warning's fix. <see langword="null"/>:
    /// the property names (<c>set Acl to ObjectAcl.None</c>). Copied by <see cref="Clone"/>, so a tenant's settings over
    /// shared defaults keep them.
    /// </summary>
    internal SettingWords? Words { get; set; }

    /// <summary>
    /// Creates a copy of these settings, to change some for one use without touching the original: for example a
    /// customer's settings over shared defaults, or the same destination with another <see cref="RetryTimeLimit"/>.
    /// </summary>
    /// <returns>A new instance with every setting of this one, settings added in later versions included. Every setting is an immutable value, so the two share nothing that can change.</returns>
    public S3RoleDestinationOptions Clone() => (S3RoleDestinationOptions)MemberwiseClone();

    /// <summary>
    /// Every problem with these settings, each naming the setting, the value and a valid example or the default: the one
    /// home of these rules, used by the destination's constructor, the options validator, the router and <c>rawdata</c>.
    /// The rules of single values live with their feature (<see cref="RegionRules"/>, <see cref="BucketLocation"/>,
    /// <see cref="AssumeRoleRules"/>, <see cref="ServiceUrlRules"/>, <see cref="KmsKeyRules"/>,
    /// <see cref="BucketOwnerRules"/>); those that span settings are here.
    /// </summary>
    /// <param name="words">How messages name settings; the default is their property names.</param>
    /// <returns>The problems, each with its setting's property name; empty when the settings are valid.</returns>
    internal List<SettingProblem> Problems(SettingWords? words = null)
    {
        var check = new SettingChecks(words);
        check.Add("Region", RegionRules.Error(Region, AllowUnknownRegion, "Region", check.Words));
        check.Add("Bucket", BucketLocation.TryParse(Bucket, out _, out string? bucketError, "Bucket", check.Words) ? null : bucketError);
        check.Add("RoleArn", AssumeRoleRules.RoleArnError(RoleArn, check.Words));
        check.Add("ExternalId", AssumeRoleRules.ExternalIdError(ExternalId, check.Words));
        check.Add("RoleSessionName", AssumeRoleRules.SessionNameError(RoleSessionName, check.Words));
        AssumeRoleRules.CheckSessionDuration(check, SessionDuration, Defaults.SessionDuration);
        check.Require(
            CredentialRefreshWindow >= TimeSpan.Zero && CredentialRefreshWindow < SessionDuration,
            "CredentialRefreshWindow",
            CredentialRefreshWindow,
            $"at least zero and less than {check.Name("SessionDuration")}, which is {SettingChecks.Given(SessionDuration)}",
            Defaults.CredentialRefreshWindow);
        if (StsRegion is not null)
        {
            check.Add("StsRegion", RegionRules.Error(StsRegion, AllowUnknownRegion, "StsRegion", check.Words));
        }

        // A role and a region of two partitions (arn:aws-cn:... with us-east-1) never work together: STS and S3 would say
        // so only as an opaque refusal at the first upload.
        check.Add("RoleArn", AssumeRoleRules.PartitionError(RoleArn, Region, "Region", check.Words));
        if (StsRegion is not null)
        {
            check.Add("RoleArn", AssumeRoleRules.PartitionError(RoleArn, StsRegion, "StsRegion", check.Words));
        }

        check.Add("ServiceUrl", ServiceUrlRules.Error("ServiceUrl", ServiceUrl?.OriginalString, check.Words));
        check.Add("StsServiceUrl", ServiceUrlRules.Error("StsServiceUrl", StsServiceUrl?.OriginalString, check.Words));
        check.RequireDefined("Acl", Acl, Defaults.Acl);
        check.RequireDefined("Encryption", Encryption, Defaults.Encryption);
        if (Encryption == ObjectEncryption.Kms)
        {
            check.Add("KmsKeyId", KmsKeyRules.Error(KmsKeyId, check.Words));
        }

        check.Add("ExpectedBucketOwner", BucketOwnerRules.Error(ExpectedBucketOwner, check.Words));

        check.RequireDefined("ConditionalWrites", ConditionalWrites, Defaults.ConditionalWrites);
        check.Require(RetryTimeLimit >= TimeSpan.Zero, "RetryTimeLimit", RetryTimeLimit, "at least zero", Defaults.RetryTimeLimit);
        check.Require(RetryBaseDelay > TimeSpan.Zero, "RetryBaseDelay", RetryBaseDelay, "greater than zero", Defaults.RetryBaseDelay);
        check.Require(
            RetryMaxDelay >= RetryBaseDelay,
            "RetryMaxDelay",
            RetryMaxDelay,
            $"at least {check.Name("RetryBaseDelay")}, which is {SettingChecks.Given(RetryBaseDelay)}",
            Defaults.RetryMaxDelay);
        check.Require(RequestTimeout > TimeSpan.Zero, "RequestTimeout", RequestTimeout, "greater than zero", Defaults.RequestTimeout);
        check.Require(ConnectTimeout > TimeSpan.Zero, "ConnectTimeout", ConnectTimeout, "greater than zero", Defaults.ConnectTimeout);
        check.Require(ResponseTimeout > TimeSpan.Zero, "ResponseTimeout", ResponseTimeout, "greater than zero", Defaults.ResponseTimeout);
        return check.Problems;
    }
}
