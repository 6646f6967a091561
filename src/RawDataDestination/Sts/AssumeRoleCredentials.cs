using Amazon.Runtime;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using RawDataDestination.Internal;

namespace RawDataDestination.Sts;

/// <summary>
/// Credentials from STS AssumeRole with an external id, cached and refreshed before they expire by the AWS SDK's
/// <see cref="RefreshingAWSCredentials"/>: one STS call at a time, a background refresh inside the refresh window,
/// and a blocking one only once they have expired. A failed AssumeRole throws <see cref="AssumeRoleException"/>, which
/// says what to change and whether retrying can help.
/// </summary>
public sealed class AssumeRoleCredentials : RefreshingAWSCredentials
{
    private readonly IAmazonSecurityTokenService _sts;
    private readonly RoleSession _session;
    private readonly SdkClock _clock;

    /// <summary>Creates credentials that assume <paramref name="roleArn"/> through <paramref name="sts"/>.</summary>
    /// <param name="sts">The STS client, signed with the host's own (base) credentials.</param>
    /// <param name="roleArn">The role to assume.</param>
    /// <param name="externalId">The external id the role's trust policy requires.</param>
    /// <param name="roleSessionName">The session name, visible in the customer's CloudTrail.</param>
    /// <param name="sessionDuration">How long each set of credentials lasts.</param>
    /// <param name="refreshWindow">How long before expiry a background refresh starts.</param>
    /// <param name="timeProvider">The clock that decides when credentials are due. The default is <see cref="TimeProvider.System"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="roleArn"/> is not an IAM role ARN, or <paramref name="externalId"/> is missing or not valid; the message says which and why.</exception>
    /// <remarks>
    /// Exposed by accident in 1.0: no public API of this library accepts these credentials, and
    /// <see cref="S3.S3RoleDestination"/> builds its own (sharing them between destinations of the same role).
    /// </remarks>
    [Obsolete("Use S3RoleDestination, which assumes the role with the external id itself and owns its STS client; to get AWS SDK credentials for an assumed role outside this library, use the SDK's AssumeRoleAWSCredentials with AssumeRoleAWSCredentialsOptions.ExternalId. This constructor will be removed in 2.0.")]
    public AssumeRoleCredentials(
        IAmazonSecurityTokenService sts,
        string roleArn,
        string externalId,
        string roleSessionName,
        TimeSpan sessionDuration,
        TimeSpan refreshWindow,
        TimeProvider? timeProvider = null)
        : this(sts, new RoleSession(roleArn, externalId, roleSessionName, sessionDuration), refreshWindow, new SdkClock(timeProvider ?? TimeProvider.System))
    {
    }

    /// <summary>Creates credentials that assume <paramref name="session"/>'s role through <paramref name="sts"/>: the library's way in, with the public constructor's checks.</summary>
    /// <param name="sts">The STS client, signed with the host's own (base) credentials.</param>
    /// <param name="session">The role, external id, session name and duration to ask for.</param>
    /// <param name="refreshWindow">How long before expiry a background refresh starts.</param>
    /// <param name="timeProvider">The clock that decides when credentials are due. The default is <see cref="TimeProvider.System"/>.</param>
    /// <param name="callTimeout">How long one AssumeRole call may take (<see cref="CallTimeout"/>). The default is 2 minutes.</param>
    /// <returns>The credentials; nothing is asked of STS until they are first used.</returns>
    /// <exception cref="ArgumentException">The role ARN is not an IAM role ARN, or the external id is missing or not valid; the message says which and why.</exception>
    internal static AssumeRoleCredentials Create(IAmazonSecurityTokenService sts, RoleSession session, TimeSpan refreshWindow, TimeProvider? timeProvider = null, TimeSpan? callTimeout = null) =>
        new(sts, session, refreshWindow, new SdkClock(timeProvider ?? TimeProvider.System))
        {
            CallTimeout = callTimeout ?? DefaultCallTimeout,
        };

    /// <summary>Refuses a role ARN or an external id the settings would refuse: AssumeRole without an external id is the confused deputy this library exists to prevent.</summary>
    private static void ThrowIfInvalid(string roleArn, string externalId)
    {
        if (AssumeRoleRules.RoleArnError(roleArn) is { } roleArnError)
        {
            throw new ArgumentException(roleArnError, nameof(roleArn));
        }

        if (AssumeRoleRules.ExternalIdError(externalId) is { } externalIdError)
        {
            throw new ArgumentException(externalIdError, nameof(externalId));
        }
    }

    private AssumeRoleCredentials(IAmazonSecurityTokenService sts, RoleSession session, TimeSpan refreshWindow, SdkClock clock)
        : base(clock)
    {
        ThrowIfInvalid(session.RoleArn, session.ExternalId);
        ArgumentNullException.ThrowIfNull(sts);
        _sts = sts;
        _session = session;
        _clock = clock;
        PreemptExpiryTime = refreshWindow;
        Telemetry.TrackCredentials(this, RoleArn, static credentials => credentials.SecondsUntilExpiry);
    }

    /// <summary>
    /// Gets how long one AssumeRole call may take before it is abandoned with a <see cref="TimeoutException"/> (a transient
    /// error): an STS that never answers must not hold every upload that waits for credentials. The destination sets its
    /// <c>RequestTimeout</c>; the default is 2 minutes.
    /// </summary>
    internal TimeSpan CallTimeout { get; init; } = DefaultCallTimeout;

    private static readonly TimeSpan DefaultCallTimeout = TimeSpan.FromMinutes(2);

    /// <summary>Gets the ARN of the role these credentials assume.</summary>
    public string RoleArn => _session.RoleArn;

    /// <summary>Seconds until the cached credentials expire (the SDK's one-minute safety buffer included), or <see langword="null"/> before the first call.</summary>
    internal double? SecondsUntilExpiry => Expiration is { } expiry ? (expiry - _clock.CorrectedUtcNow).TotalSeconds : null;

    /// <summary>Gets how many times STS issued credentials.</summary>
    public int RefreshCount => Volatile.Read(ref _refreshCount);

    private int _refreshCount;

    private readonly object _issuedLock = new();

    /// <summary>Gets the access key of the credentials cached now, or <see langword="null"/> before the first AssumeRole.</summary>
    internal string? IssuedAccessKey
    {
        get
        {
            lock (_issuedLock)
            {
                return _issuedAccessKey;
            }
        }
    }

    private string? _issuedAccessKey;
    private string? _clearedAccessKey;

    /// <summary>
    /// Forgets the cached credentials if they are still the ones whose access key is <paramref name="rejectedAccessKey"/>
    /// (S3 answered <c>ExpiredToken</c>, <c>InvalidToken</c> or <c>TokenRefreshRequired</c> to them), so the next use
    /// assumes the role again. When several uploads are refused the same credentials at once, only the first clears
    /// them, and the SDK's refresh lock lets one AssumeRole call through: one STS call per rejected session.
    /// </summary>
    /// <param name="rejectedAccessKey">The access key the refused request was signed with (<see cref="IssuedAccessKey"/> before it), or <see langword="null"/> when none was issued yet.</param>
    /// <returns><see langword="true"/> when the credentials were cleared; <see langword="false"/> when newer ones are already cached.</returns>
    internal bool InvalidateIfCurrent(string? rejectedAccessKey)
    {
        lock (_issuedLock)
        {
            rejectedAccessKey ??= _issuedAccessKey; // issued during the refused call itself
            if (string.Equals(_clearedAccessKey, rejectedAccessKey, StringComparison.Ordinal)
                || (_issuedAccessKey is not null && !string.Equals(_issuedAccessKey, rejectedAccessKey, StringComparison.Ordinal)))
            {
                return false; // already cleared by a concurrent upload, or newer credentials are cached
            }

            _clearedAccessKey = rejectedAccessKey;
            _issuedAccessKey = null;
            ClearCredentials();
            return true;
        }
    }

    /// <summary>Disposes the STS client, once no destination uses these credentials any more.</summary>
    internal void ReleaseClient() => (_sts as IDisposable)?.Dispose();

    /// <summary>Gets the external id these credentials send.</summary>
    internal string ExternalId => _session.ExternalId;

    /// <summary>
    /// Calls AssumeRole once, outside the cache, with the given external id (this service's, another, or none): the setup
    /// check's probes. The credentials returned are not kept.
    /// </summary>
    internal async Task<AssumeRoleResponse> AssumeRoleOnceAsync(string? externalId, CancellationToken cancellationToken)
    {
        AssumeRoleRequest request = _session.ToRequest();
        request.ExternalId = externalId;

        AssumeRoleResponse response = await _sts.AssumeRoleAsync(request, cancellationToken).ConfigureAwait(false);
        _ = Issued(response);
        return response;
    }

    /// <summary>The credentials in <paramref name="response"/>; an answer without any was not STS's, and is explained.</summary>
    private Amazon.SecurityToken.Model.Credentials Issued(AssumeRoleResponse response) =>
        response.Credentials is { AccessKeyId.Length: > 0, SecretAccessKey.Length: > 0 } issued
            ? issued
            : throw StsExplanations.ForAnswerWithoutCredentials(_session.RoleArn, StsEndpoint.From(_sts));

    /// <inheritdoc />
    protected override CredentialsRefreshState GenerateNewCredentials() =>
        GenerateNewCredentialsAsync().GetAwaiter().GetResult();

    /// <inheritdoc />
    protected override async Task<CredentialsRefreshState> GenerateNewCredentialsAsync()
    {
        AssumeRoleResponse response;
        using var deadline = new CancellationTokenSource(CallTimeout, _clock.Time);
        try
        {
            response = await _sts.AssumeRoleAsync(_session.ToRequest(), deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException exception) when (deadline.IsCancellationRequested)
        {
            Telemetry.CredentialFailures.Add(1, Telemetry.Tag("error.code", nameof(TimeoutException)));
            var timeout = new TimeoutException(
                string.Create(System.Globalization.CultureInfo.InvariantCulture, $"STS did not answer AssumeRole for {_session.RoleArn} within {CallTimeout.TotalSeconds:0.###} s; it is tried again."),
                exception);
            throw StsExplanations.Explain(timeout, _session.RoleArn, _session.ExternalId, StsEndpoint.From(_sts), CancellationToken.None) ?? (Exception)timeout;
        }
        catch (Exception exception)
        {
            Telemetry.CredentialFailures.Add(1, Telemetry.Tag("error.code", (exception as AmazonServiceException)?.ErrorCode ?? exception.GetType().Name));
            if (StsExplanations.Explain(exception, _session.RoleArn, _session.ExternalId, StsEndpoint.From(_sts), CancellationToken.None) is { } explained)
            {
                throw explained;
            }

            throw;
        }

        Amazon.SecurityToken.Model.Credentials issued;
        try
        {
            issued = Issued(response);
        }
        catch (AssumeRoleException exception)
        {
            Telemetry.CredentialFailures.Add(1, Telemetry.Tag("error.code", exception.ErrorCode));
            throw;
        }

        Interlocked.Increment(ref _refreshCount);
        lock (_issuedLock)
        {
            _issuedAccessKey = issued.AccessKeyId;
        }

        Telemetry.CredentialRefreshes.Add(1);
        return new CredentialsRefreshState(
            new ImmutableCredentials(issued.AccessKeyId, issued.SecretAccessKey, issued.SessionToken),
            (issued.Expiration ?? DateTime.MinValue).ToUniversalTime(),
            _clock);
    }
}
