using Amazon.Runtime;
using Amazon.S3;
using Amazon.SecurityToken;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RawDataDestination.Aws;
using RawDataDestination.Batching;
using RawDataDestination.Internal;
using RawDataDestination.Sts;

namespace RawDataDestination.S3;

/// <summary>
/// Writes sealed batches to a customer's S3 bucket as the customer's IAM role: STS AssumeRole with an external id,
/// then one PutObject per batch at <c>{prefix/}segment-logs/{source-id}/{received-day}/{file}.gz</c>.
/// </summary>
/// <remarks>
/// <para>
/// PutObject is the only S3 call it makes, so the role needs nothing but <c>s3:PutObject</c> and
/// <c>s3:PutObjectAcl</c> on <c>arn:aws:s3:::{bucket}/{prefix/}segment-logs/*</c> (plus <c>kms:GenerateDataKey</c>
/// for SSE-KMS). It never lists, reads, heads the bucket, or uses multipart uploads.
/// </para>
/// <para>
/// Objects are sent with <c>Content-Type: application/gzip</c> and no <c>Content-Encoding</c>: the object is a
/// <c>.gz</c> file, and clients that honour <c>Content-Encoding: gzip</c> would silently decompress it on download.
/// </para>
/// <para>
/// Every PUT carries <c>x-amz-checksum-sha256</c>, the SHA-256 of the batch's bytes computed once when it was sealed, so
/// S3 refuses a body changed on the way (BadDigest) and the next attempt sends the sealed bytes again; and the batch's
/// event count and NDJSON size as <c>x-amz-meta-event-count</c> and <c>x-amz-meta-ndjson-bytes</c>.
/// </para>
/// <para>Destinations with the same role, external id, session settings and base credentials share one credential cache.</para>
/// </remarks>
public sealed partial class S3RoleDestination : ISealedBatchConsumer, IDisposable
{
    /// <summary>The content type of every object.</summary>
    public const string ContentType = "application/gzip";

    /// <summary>The user metadata (<c>x-amz-meta-event-count</c>) that holds an object's number of events (lines).</summary>
    public const string EventCountMetadata = "x-amz-meta-event-count";

    /// <summary>The user metadata (<c>x-amz-meta-ndjson-bytes</c>) that holds an object's NDJSON size before compression, in bytes.</summary>
    public const string NdjsonBytesMetadata = "x-amz-meta-ndjson-bytes";

    private readonly S3RoleDestinationSettings _settings;
    private readonly IAmazonS3 _s3;
    private readonly bool _ownsClient;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Polly.ResiliencePipeline _retry;
    private int _conditionalWritesRefused;
    private int _aclRefused;
    private readonly SharedCredentialsCache.Lease? _credentialsLease;
    private int _disposed;

    /// <summary>Creates a destination from validated settings.</summary>
    /// <param name="options">The settings. Validated and copied now.</param>
    /// <param name="baseCredentials">The host's own credentials for calling STS. The default is the AWS SDK's default credential chain.</param>
    /// <param name="timeProvider">The clock for credential refresh. The default is <see cref="TimeProvider.System"/>.</param>
    /// <param name="loggerFactory">Where upload problems are logged. The default logs nothing.</param>
    /// <exception cref="ArgumentException">Some settings are invalid; the message names each setting, the value given and what a valid one looks like.</exception>
    public S3RoleDestination(
        S3RoleDestinationOptions options,
        AWSCredentials? baseCredentials = null,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null)
        : this(S3RoleDestinationSettings.From(options), baseCredentials, timeProvider ?? TimeProvider.System, loggerFactory)
    {
    }

    /// <summary>Creates a destination over given clients, for tests of failure paths.</summary>
    internal S3RoleDestination(S3RoleDestinationOptions options, IAmazonS3 s3, AssumeRoleCredentials credentials, ILogger? logger = null, TimeProvider? timeProvider = null)
        : this(S3RoleDestinationSettings.From(options), s3, ownsClient: false, credentials, logger, timeProvider ?? TimeProvider.System)
    {
    }

    /// <summary>Shares the settings' cached credentials (one per role, external id and base credentials, leased) and owns its S3 client.</summary>
    internal S3RoleDestination(S3RoleDestinationSettings settings, AWSCredentials? baseCredentials, TimeProvider clock, ILoggerFactory? loggerFactory)
        : this(settings, SharedCredentials(settings, baseCredentials, clock), clock, loggerFactory)
    {
    }

    private S3RoleDestination(S3RoleDestinationSettings settings, SharedCredentialsCache.Lease credentials, TimeProvider clock, ILoggerFactory? loggerFactory)
        : this(settings, new AmazonS3Client(credentials.Credentials, settings.Client.ForS3(clock)), ownsClient: true, credentials.Credentials, loggerFactory?.CreateLogger<S3RoleDestination>(), clock)
    {
        _credentialsLease = credentials;
    }

    /// <summary>The one place a destination's state is set.</summary>
    private S3RoleDestination(S3RoleDestinationSettings settings, IAmazonS3 s3, bool ownsClient, AssumeRoleCredentials credentials, ILogger? logger, TimeProvider clock)
    {
        _settings = settings;
        _s3 = s3;
        _ownsClient = ownsClient;
        Credentials = credentials;
        _time = clock;
        _logger = logger ?? NullLogger.Instance;
        _retry = BuildRetry(settings, clock);
        if (ObjectKeyLayout.DoubledFolderWarning(settings.Location, settings.Words) is { } doubled)
        {
            LogEvents.PathPrefixEndsInLayoutFolder(_logger, doubled);
        }
    }

    private static SharedCredentialsCache.Lease SharedCredentials(S3RoleDestinationSettings settings, AWSCredentials? baseCredentials, TimeProvider clock)
    {
        var session = new RoleSession(settings.RoleArn, settings.ExternalId, settings.RoleSessionName, settings.SessionDuration);
        return SharedCredentialsCache.Acquire(
            new SharedCredentialsCache.Key(session, settings.StsClient.Region, settings.StsClient.ServiceUrl, baseCredentials),
            () => AssumeRoleCredentials.Create(CreateStsClient(settings, baseCredentials, clock), session, settings.CredentialRefreshWindow, clock, settings.StsClient.RequestTimeout));
    }

    /// <summary>
    /// Gets the delays and time limit of <see cref="UploadAsync"/>'s retries (<see cref="S3RoleDestinationOptions.RetryTimeLimit"/>,
    /// its base and largest delays), each attempt bounded by twice the request timeout: for the calls that retry as an
    /// upload does, such as a staged batch copier's calls to the staging bucket.
    /// </summary>
    internal DeliveryRetryPolicy RetryPolicy => RetryPolicyOf(_settings);

    /// <summary>UploadAsync's retries: transient errors only, until RetryTimeLimit, each attempt (a PutObject and at most one resend inside it) bounded by twice RequestTimeout.</summary>
    private static Polly.ResiliencePipeline BuildRetry(S3RoleDestinationSettings settings, TimeProvider time) => RetryPipelines.Build(
        RetryPolicyOf(settings),
        TransientErrors.IsTransient,
        time);

    private static DeliveryRetryPolicy RetryPolicyOf(S3RoleDestinationSettings settings) =>
        new(settings.RetryBaseDelay, settings.RetryMaxDelay, settings.Client.RequestTimeout * 2, settings.RetryTimeLimit, CircuitBreaker: false);

    /// <summary>Gets the bucket and prefix objects are written to.</summary>
    public BucketLocation Location => _settings.Location;

    /// <summary>Gets how this destination's messages name its settings: its host's words when it gave some (a file's fields, a tool's flags).</summary>
    internal SettingWords Words => _settings.Words;

    /// <summary>Gets the assumed-role credentials, shared with other destinations of the same role.</summary>
    internal AssumeRoleCredentials Credentials { get; }

    /// <summary>
    /// Assumes the role now and caches the credentials, so the first upload need not wait for STS: a short-lived
    /// program (such as <c>rawdata ship</c>) can start this while it reads its input. Nothing is sent to the bucket.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting for STS.</param>
    /// <returns>A task that completes when credentials are cached.</returns>
    /// <exception cref="DestinationException">STS refused the role; the message says what to change. The first upload assumes the role again.</exception>
    public async Task WarmUpAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await Credentials.GetCredentialsAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (AssumeRoleException refused)
        {
            throw DestinationException.From(refused);
        }
    }

    /// <summary>
    /// Releases the S3 client and this destination's hold on the shared credentials: they stay cached while another
    /// destination uses them, and are evicted (their STS client disposed) with the last. Calling it again does nothing.
    /// </summary>
    public void Dispose()
    {
        if (_ownsClient && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _s3.Dispose();
            _credentialsLease?.Dispose();
        }
    }

    /// <summary>
    /// The STS client of the shared credentials: STS's region or endpoint URL, with the destination's timeouts and one
    /// attempt per call (a failed AssumeRole fails the upload attempt, and the retry owner tries again).
    /// </summary>
    private static AmazonSecurityTokenServiceClient CreateStsClient(S3RoleDestinationSettings settings, AWSCredentials? baseCredentials, TimeProvider clock)
    {
        AmazonSecurityTokenServiceConfig config = settings.StsClient.ForSts(clock);
        return baseCredentials is null
            ? new AmazonSecurityTokenServiceClient(config)
            : new AmazonSecurityTokenServiceClient(baseCredentials, config);
    }
}
