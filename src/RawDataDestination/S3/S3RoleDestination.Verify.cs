using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using RawDataDestination.Internal;

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
    /// <item>AssumeRole <b>without</b> the external id: it should be denied. If it succeeds, a warning: the role's trust
    /// policy does not require <c>sts:ExternalId</c>, so the confused-deputy protection is missing.</item>
    /// <item>AssumeRole with the external id: if denied, the message names the trust relationship, the principal and the
    /// <c>sts:ExternalId</c> condition to add.</item>
    /// <item>PutObject of a small probe object at <c>{prefix/}segment-logs/dummy-object.txt</c>, with the configured ACL
    /// and encryption: the only S3 call, so it needs nothing beyond what the customer granted. Failures are explained:
    /// the policy's resource, the KMS key, the bucket name, or the bucket's region. A bucket with ACLs disabled is a
    /// warning, as for uploads: the probe is written again without the ACL, and the message says how to stop sending it.</item>
    /// </list>
    /// </remarks>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>The report; <see cref="SetupCheckReport.Succeeded"/> says whether the destination will work.</returns>
    public async Task<SetupCheckReport> VerifyAsync(CancellationToken cancellationToken = default)
    {
        var steps = new List<SetupCheckStep>
        {
            await CheckExternalIdIsRequiredAsync(cancellationToken).ConfigureAwait(false),
        };

        SetupCheckStep assume = await CheckAssumeRoleAsync(cancellationToken).ConfigureAwait(false);
        steps.Add(assume);
        steps.Add(assume.Outcome == SetupCheckOutcome.Failed
            ? new SetupCheckStep(ProbeStepName, SetupCheckOutcome.Skipped, "Not run: the role could not be assumed.")
            : await CheckPutObjectAsync(cancellationToken).ConfigureAwait(false));
        return new SetupCheckReport(steps);
    }

    private const string ExternalIdStepName = "Assume the role without the external id (must be denied)";
    private const string AssumeStepName = "Assume the role with the external id";
    private const string ProbeStepName = "Put a probe object";

    /// <summary>Gets the key of the setup check's probe object.</summary>
    internal string ProbeObjectKey => _settings.Location.KeyPrefix + ProbeObjectName;

    private async Task<SetupCheckStep> CheckExternalIdIsRequiredAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Credentials.AssumeRoleOnceAsync(withExternalId: false, cancellationToken).ConfigureAwait(false);
            return new SetupCheckStep(
                ExternalIdStepName,
                SetupCheckOutcome.Warning,
                $"STS let this service assume role '{_settings.RoleArn}' without an external id: the role's trust policy does not require sts:ExternalId, so the " +
                "confused-deputy protection is missing. Add to the trust relationship the condition " +
                $"\"StringEquals\": {{ \"sts:ExternalId\": \"{_settings.ExternalId}\" }}.",
                "ExternalIdNotRequired");
        }
        catch (AmazonSecurityTokenServiceException exception) when (exception.ErrorCode == "AccessDenied")
        {
            return new SetupCheckStep(ExternalIdStepName, SetupCheckOutcome.Passed, "Denied, as it should be: the trust policy requires the external id.");
        }
        catch (AmazonServiceException exception)
        {
            return new SetupCheckStep(ExternalIdStepName, SetupCheckOutcome.Failed, ErrorExplanations.ForAssumeRole(exception, _settings.RoleArn).Message, exception.ErrorCode);
        }
        catch (Exception exception) when (IsUnreachable(exception, cancellationToken))
        {
            return Unreachable(ExternalIdStepName, "STS", _settings.StsServiceUrl is null ? _settings.StsRegion : null, exception);
        }
    }

    private async Task<SetupCheckStep> CheckAssumeRoleAsync(CancellationToken cancellationToken)
    {
        try
        {
            AssumeRoleResponse response = await Credentials.AssumeRoleOnceAsync(withExternalId: true, cancellationToken).ConfigureAwait(false);
            string expiry = response.Credentials?.Expiration is { } expires
                ? $" until {expires.ToUniversalTime():yyyy-MM-dd HH:mm:ss} UTC"
                : string.Empty;
            return new SetupCheckStep(AssumeStepName, SetupCheckOutcome.Passed, $"Assumed role '{_settings.RoleArn}'{expiry}.");
        }
        catch (AmazonSecurityTokenServiceException exception) when (exception.ErrorCode == "AccessDenied")
        {
            return new SetupCheckStep(AssumeStepName, SetupCheckOutcome.Failed, ErrorExplanations.ForTrustPolicy(exception, _settings.RoleArn, _settings.ExternalId), exception.ErrorCode);
        }
        catch (AmazonServiceException exception)
        {
            return new SetupCheckStep(AssumeStepName, SetupCheckOutcome.Failed, ErrorExplanations.ForAssumeRole(exception, _settings.RoleArn).Message, exception.ErrorCode);
        }
        catch (Exception exception) when (IsUnreachable(exception, cancellationToken))
        {
            return Unreachable(AssumeStepName, "STS", _settings.StsServiceUrl is null ? _settings.StsRegion : null, exception);
        }
    }

    private async Task<SetupCheckStep> CheckPutObjectAsync(CancellationToken cancellationToken)
    {
        string key = ProbeObjectKey;
        string where = $"s3://{_settings.Location.BucketName}/{key}";
        bool withAcl = _settings.Acl != ObjectAcl.None;
        try
        {
            try
            {
                await _s3.PutObjectAsync(CreateProbeRequest(key, withAcl), cancellationToken).ConfigureAwait(false);
            }
            catch (AmazonS3Exception exception) when (withAcl && exception.ErrorCode == "AccessControlListNotSupported")
            {
                // Uploads recover from this by sending no ACL (the bucket owner owns every object anyway): so does the check.
                await _s3.PutObjectAsync(CreateProbeRequest(key, withAcl: false), cancellationToken).ConfigureAwait(false);
                return new SetupCheckStep(
                    ProbeStepName,
                    SetupCheckOutcome.Warning,
                    $"Wrote {where} without the {_settings.Acl} ACL: bucket '{_settings.Location.BucketName}' has ACLs disabled (AccessControlListNotSupported: " +
                    "its Object Ownership is 'Bucket owner enforced'), so uploads will send no ACL either, and the bucket owner owns every object. " +
                    "To stop this warning, set Acl = ObjectAcl.None in the options (rawdata: --acl none). The probe object can be deleted.",
                    exception.ErrorCode);
            }

            return new SetupCheckStep(ProbeStepName, SetupCheckOutcome.Passed, $"Wrote {where}{Describe()}. The destination will work; the probe object can be deleted.");
        }
        catch (DestinationException exception)
        {
            // The S3 client's own AssumeRole (the shared credentials) was refused after step 2 passed: the trust changed in between.
            return new SetupCheckStep(ProbeStepName, SetupCheckOutcome.Failed, $"Could not write {where}: {exception.Message}", exception.ErrorCode);
        }
        catch (AmazonS3Exception exception) when (ErrorExplanations.ForPutObject(exception, _settings.Location, _settings.Region) is { } explained)
        {
            return new SetupCheckStep(ProbeStepName, SetupCheckOutcome.Failed, $"Could not write {where}: {explained.Message}", explained.ErrorCode);
        }
        catch (AmazonServiceException exception)
        {
            string code = exception.ErrorCode ?? ((int)exception.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return new SetupCheckStep(ProbeStepName, SetupCheckOutcome.Failed, $"Could not write {where} ({code}: {exception.Message}).", code);
        }
        catch (Exception exception) when (IsUnreachable(exception, cancellationToken))
        {
            return Unreachable(ProbeStepName, "S3", _settings.ServiceUrl is null ? _settings.Region : null, exception);
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

        if (_endpointOverridden)
        {
            request.UseChunkEncoding = false;
        }

        ApplyAclAndEncryption(request, withAcl);
        return request;
    }

    private string Describe()
    {
        string acl = _settings.Acl == ObjectAcl.None ? "no ACL" : $"ACL {_settings.Acl}";
        string sse = _settings.Encryption switch
        {
            ObjectEncryption.Aes256 => "SSE-S3 (AES256)",
            ObjectEncryption.Kms => $"SSE-KMS ({_settings.KmsKeyId ?? "the account's default key"})",
            _ => "the bucket's default encryption",
        };
        return $" with {acl} and {sse}";
    }

    private static bool IsUnreachable(Exception exception, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested && TransientErrors.IsTransient(exception, cancellationToken);

    private static SetupCheckStep Unreachable(string step, string service, string? region, Exception exception) =>
        new(step, SetupCheckOutcome.Failed, ErrorExplanations.ForUnreachable(service, region, exception), exception.GetType().Name);
}
