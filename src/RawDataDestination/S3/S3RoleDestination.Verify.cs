using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using RawDataDestination.Aws;
using RawDataDestination.Internal;
using RawDataDestination.Sts;

namespace RawDataDestination.S3;

/// <summary>The setup check.</summary>
public sealed partial class S3RoleDestination
{
    /// <summary>The probe object's name, under <c>{prefix/}segment-logs/</c>.</summary>
    public const string ProbeObjectName = "dummy-object.txt";

    /// <summary>
    /// Checks the customer's setup, step by step, the way the destination will use it, and reports each step as passed,
    /// warning or failed, with the reason and the exact fix. A setup problem never throws.
    /// </summary>
    /// <remarks>
    /// <list type="number">
    /// <item>AssumeRole <b>without</b> the external id, then with <b>another</b> one: both should be denied. If either
    /// succeeds, a warning: the role's trust policy does not require <c>sts:ExternalId</c>, or takes any value of it
    /// (<c>StringLike "*"</c>), so the confused-deputy protection is missing.</item>
    /// <item>AssumeRole with the external id: if denied, the message names the trust relationship, the principal and the
    /// <c>sts:ExternalId</c> condition to add.</item>
    /// <item>PutObject of a small probe object at <c>{prefix/}segment-logs/dummy-object.txt</c>, with the configured ACL
    /// and encryption (and the expected bucket owner, when set): the only S3 call, so it needs nothing beyond what the
    /// customer granted. Failures are explained: the policy's resource, the KMS key, the bucket name, the bucket's owner,
    /// or the bucket's region. A bucket with ACLs disabled is a
    /// warning, as for uploads: the probe is written again without the ACL, and the message says how to stop sending it.</item>
    /// </list>
    /// </remarks>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>The report; <see cref="SetupCheckReport.Succeeded"/> says whether the destination will work.</returns>
    public async Task<SetupCheckReport> VerifyAsync(CancellationToken cancellationToken = default)
    {
        SetupCheckStep withoutExternalId = await CheckExternalIdIsRequiredAsync(cancellationToken).ConfigureAwait(false);
        SetupCheckStep assume = await CheckAssumeRoleAsync(cancellationToken).ConfigureAwait(false);
        if (withoutExternalId.Outcome == SetupCheckOutcome.Passed && assume is { Outcome: SetupCheckOutcome.Failed, ErrorCode: "AccessDenied" })
        {
            // STS denies this service the role with the external id too: the first denial says nothing about the condition.
            withoutExternalId = new SetupCheckStep(
                ExternalIdStepName,
                SetupCheckOutcome.Skipped,
                "Not known: STS denied the role with the external id too (next step), so this denial does not show that the trust policy requires " +
                "the external id. Fix the next step, then run the check again.");
        }

        var steps = new List<SetupCheckStep> { withoutExternalId, assume };
        steps.Add(assume.Outcome == SetupCheckOutcome.Failed
            ? new SetupCheckStep(ProbeStepName, SetupCheckOutcome.Skipped, "Not run: the role could not be assumed.")
            : await CheckPutObjectAsync(cancellationToken).ConfigureAwait(false));
        return new SetupCheckReport(steps);
    }

    private const string ExternalIdStepName = "Assume the role without the external id, and with another (must be denied)";
    private const string AssumeStepName = "Assume the role with the external id";
    private const string ProbeStepName = "Put a probe object";

    /// <summary>Gets the key of the setup check's probe object.</summary>
    internal string ProbeObjectKey => _settings.Location.KeyPrefix + ProbeObjectName;

    /// <summary>
    /// Step 1: AssumeRole without an external id, then with another one (a trust policy taking any value, such as
    /// <c>StringLike "*"</c>, denies only the first). Either allowed is a warning naming the condition to use.
    /// </summary>
    private async Task<SetupCheckStep> CheckExternalIdIsRequiredAsync(CancellationToken cancellationToken)
    {
        (string? ExternalId, string Code, Func<string, string, string> Warning)[] probes =
        [
            (null, "ExternalIdNotRequired", StsExplanations.ForExternalIdNotRequired),
            (AnotherExternalId(), "AnyExternalIdAccepted", StsExplanations.ForAnotherExternalIdAccepted),
        ];
        foreach ((string? externalId, string code, Func<string, string, string> warning) in probes)
        {
            try
            {
                await AssumeRoleProbeAsync(externalId, cancellationToken).ConfigureAwait(false);
                return new SetupCheckStep(ExternalIdStepName, SetupCheckOutcome.Warning, warning(_settings.RoleArn, _settings.ExternalId), code);
            }
            catch (AmazonSecurityTokenServiceException exception) when (exception.ErrorCode == "AccessDenied")
            {
                // denied, as it should be: on to the next probe
            }
            catch (Exception exception) when (StsFailure(exception, cancellationToken) is { } explained)
            {
                return Failed(ExternalIdStepName, explained);
            }
        }

        return new SetupCheckStep(ExternalIdStepName, SetupCheckOutcome.Passed, "Denied both times, as it should be: the trust policy requires the external id, and no other.");
    }

    private async Task<SetupCheckStep> CheckAssumeRoleAsync(CancellationToken cancellationToken)
    {
        try
        {
            AssumeRoleResponse response = await AssumeRoleProbeAsync(_settings.ExternalId, cancellationToken).ConfigureAwait(false);
            string expiry = response.Credentials?.Expiration is { } expires
                ? $" until {expires.ToUniversalTime():yyyy-MM-dd HH:mm:ss} UTC"
                : string.Empty;
            return new SetupCheckStep(AssumeStepName, SetupCheckOutcome.Passed, $"Assumed role '{_settings.RoleArn}'{expiry}.");
        }
        catch (AmazonSecurityTokenServiceException exception) when (exception.ErrorCode == "AccessDenied")
        {
            return new SetupCheckStep(AssumeStepName, SetupCheckOutcome.Failed, words => StsExplanations.ForTrustPolicy(exception, _settings.RoleArn, _settings.ExternalId, words), exception.ErrorCode);
        }
        catch (Exception exception) when (StsFailure(exception, cancellationToken) is { } explained)
        {
            return Failed(AssumeStepName, explained);
        }
    }

    /// <summary>One AssumeRole of the check (<see cref="TriedAgainWhenBusyAsync"/>).</summary>
    private Task<AssumeRoleResponse> AssumeRoleProbeAsync(string? externalId, CancellationToken cancellationToken) =>
        TriedAgainWhenBusyAsync(token => Credentials.AssumeRoleOnceAsync(externalId, token), cancellationToken);

    /// <summary>
    /// One call of the check, tried again up to twice (after 1 s, then 2 s) when the service answers that it is busy
    /// (throttling, a 5xx, S3's SlowDown): such an answer says nothing of the customer's setup. A call that gets no answer
    /// is not tried again, or a silent endpoint would hold the step three times its timeout.
    /// </summary>
    private async Task<T> TriedAgainWhenBusyAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await call(cancellationToken).ConfigureAwait(false);
            }
            catch (AmazonServiceException busy) when (attempt < 3 && busy.StatusCode != 0 && TransientErrors.IsTransient(busy, cancellationToken))
            {
                await Task.Delay(TimeSpan.FromSeconds(attempt), _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>An external id no customer is given: 32 random hex digits after a prefix that says what it is for.</summary>
    private static string AnotherExternalId() => "setup-check-another-id-" + Guid.NewGuid().ToString("N");

    private async Task<SetupCheckStep> CheckPutObjectAsync(CancellationToken cancellationToken)
    {
        string key = ProbeObjectKey;
        string where = $"s3://{_settings.Location.BucketName}/{key}";
        bool withAcl = _settings.Acl != ObjectAcl.None;
        var target = new S3Target(Staging: false, _settings.Location, _settings.Client.Region, _settings.Client.ServiceUrl) { ExpectedBucketOwner = _settings.ExpectedBucketOwner };
        try
        {
            try
            {
                ErrorExplanations.ThrowIfNotS3(await TriedAgainWhenBusyAsync(token => _s3.PutObjectAsync(CreateProbeRequest(key, withAcl), token), cancellationToken).ConfigureAwait(false), target);
            }
            catch (AmazonS3Exception exception) when (withAcl && exception.ErrorCode == "AccessControlListNotSupported")
            {
                // Uploads recover from this by sending no ACL (the bucket owner owns every object anyway): so does the check.
                ErrorExplanations.ThrowIfNotS3(await TriedAgainWhenBusyAsync(token => _s3.PutObjectAsync(CreateProbeRequest(key, withAcl: false), token), cancellationToken).ConfigureAwait(false), target);
                return new SetupCheckStep(
                    ProbeStepName,
                    SetupCheckOutcome.Warning,
                    words => $"Wrote {where} without the {CannedAcl?.Value} ACL: bucket '{_settings.Location.BucketName}' has ACLs disabled (AccessControlListNotSupported: " +
                        "its Object Ownership is 'Bucket owner enforced'), so uploads will send no ACL either, and the bucket owner owns every object. " +
                        $"To stop this warning, {words.Assign("Acl", "ObjectAcl.None")}. The probe object can be deleted.",
                    exception.ErrorCode);
            }

            if (ObjectKeyLayout.DoubledFolderWarning(_settings.Location, _settings.Words) is not null)
            {
                return new SetupCheckStep(
                    ProbeStepName,
                    SetupCheckOutcome.Warning,
                    words => $"Wrote {where}{Describe()}, but {ObjectKeyLayout.DoubledFolderWarning(_settings.Location, words)} The probe object can be deleted.",
                    "PathPrefixEndsInSegmentLogs");
            }

            return new SetupCheckStep(ProbeStepName, SetupCheckOutcome.Passed, $"Wrote {where}{Describe()}. The destination will work; the probe object can be deleted.");
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested
            && ErrorExplanations.ForS3(exception, target, cancellationToken) is { } explained)
        {
            // An STS refusal here is the S3 client's own AssumeRole (the shared credentials), refused after step 2 passed.
            return new SetupCheckStep(ProbeStepName, SetupCheckOutcome.Failed, words => $"Could not write {where}: {explained.Describe(words)}", explained.ErrorCode);
        }
    }

    private PutObjectRequest CreateProbeRequest(string key, bool withAcl)
    {
        var request = new PutObjectRequest
        {
            BucketName = _settings.Location.BucketName,
            Key = key,
            ContentBody = "RawDataDestination setup check: this object shows that the role may write here. It can be deleted.\n",
            ContentType = "text/plain; charset=utf-8",
        };

        ApplyWriteSettings(request, withAcl);
        return _settings.Client.ForEndpoint(request);
    }

    private string Describe()
    {
        string acl = CannedAcl is { } canned ? $"ACL {canned.Value}" : "no ACL"; // as S3 names it, as the --acl flag and a tenants file write it
        string sse = _settings.Encryption switch
        {
            ObjectEncryption.Aes256 => "SSE-S3 (AES256)",
            ObjectEncryption.Kms => $"SSE-KMS ({_settings.KmsKeyId ?? "the account's default key"})",
            _ => "the bucket's default encryption",
        };
        string owner = _settings.ExpectedBucketOwner is { } account ? $", expecting account {account} to own the bucket" : string.Empty;
        return $" with {acl} and {sse}{owner}";
    }

    /// <summary>The explanation of a failed AssumeRole probe; <see langword="null"/> when the check was cancelled.</summary>
    private AssumeRoleException? StsFailure(Exception exception, CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested
            ? null
            : StsExplanations.Explain(exception, _settings.RoleArn, _settings.ExternalId, new StsEndpoint(_settings.StsClient.ServiceUrl, _settings.StsClient.Region), cancellationToken);

    private static SetupCheckStep Failed(string step, AssumeRoleException explained) =>
        new(step, SetupCheckOutcome.Failed, explained.Describe, explained.ErrorCode);
}
