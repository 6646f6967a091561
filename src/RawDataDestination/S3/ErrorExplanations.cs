using System.Net;
using System.Text.RegularExpressions;
using Amazon.Runtime;
using Amazon.S3;

namespace RawDataDestination.S3;

/// <summary>Turns AWS errors into messages in terms of the customer's setup steps.</summary>
internal static partial class ErrorExplanations
{
    /// <summary>Explains an STS refusal to assume the role.</summary>
    public static DestinationException ForAssumeRole(AmazonServiceException exception, string roleArn)
    {
        string code = exception.ErrorCode ?? "Unknown";
        string message = code switch
        {
            "AccessDenied" =>
                $"STS refused to assume role '{roleArn}' (AccessDenied: {exception.Message}). Check the role's trust relationship: " +
                "it must allow sts:AssumeRole for the principal this service runs as, with a Condition StringEquals on " +
                "\"sts:ExternalId\" equal to the external id configured here, and the role ARN and external id must match exactly what the customer set up.",
            "InvalidClientTokenId" =>
                $"STS does not recognise the base credentials used to call AssumeRole for '{roleArn}' ({code}: {exception.Message}). Check this service's own AWS credentials (the default credential chain).",
            "RegionDisabledException" =>
                $"STS is not activated in the region used for AssumeRole ({code}: {exception.Message}). Activate it in the account's IAM settings or set StsRegion to an active region.",
            _ =>
                $"STS refused to assume role '{roleArn}' ({code}: {exception.Message}). Check the role ARN, session duration and trust relationship.",
        };
        return new DestinationException(code, isPermanent: true, message, exception);
    }

    /// <summary>Explains a failed PutObject, or returns <see langword="null"/> when the error is transient.</summary>
    public static DestinationException? ForPutObject(AmazonS3Exception exception, BucketLocation location, string region)
    {
        // A 301 to PutObject is always S3's wrong-region redirect, with or without an error code in the body.
        string code = exception.StatusCode == HttpStatusCode.MovedPermanently
            ? "PermanentRedirect"
            : exception.ErrorCode ?? exception.StatusCode.ToString();
        string bucket = location.BucketName;
        string resource = $"arn:aws:s3:::{bucket}/{location.KeyPrefix}*";
        string? message = code switch
        {
            "AccessDenied" when exception.Message.Contains("KMS", StringComparison.OrdinalIgnoreCase) =>
                $"S3 refused the upload because the role may not use the bucket's KMS key (AccessDenied: {exception.Message}). Add kms:GenerateDataKey on the key to the role's policy (and allow the role in the key policy).",
            "KMS.AccessDeniedException" or "KMS.DisabledException" or "KMS.NotFoundException" or "KMS.KMSInvalidStateException" =>
                $"S3 could not encrypt the object with KMS ({code}: {exception.Message}). Add kms:GenerateDataKey on the key to the role's policy and check the key is enabled.",
            "AccessDenied" =>
                $"S3 refused PutObject in bucket '{bucket}' (AccessDenied: {exception.Message}). The role's policy must allow s3:PutObject and s3:PutObjectAcl on resource {resource}." +
                (exception.Message?.Contains("not authorized to perform", StringComparison.OrdinalIgnoreCase) == true
                    ? string.Empty
                    : " S3 did not say which permission is missing: if the bucket's default encryption or these settings use SSE-KMS, the role also needs kms:GenerateDataKey on the key."),
            "NoSuchBucket" =>
                $"Bucket '{bucket}' does not exist (NoSuchBucket). Check the bucket name in the settings.",
            "PermanentRedirect" or "AuthorizationHeaderMalformed" or "IllegalLocationConstraintException" =>
                WrongRegion(bucket, region, code, BucketRegion(exception)),
            "AccessControlListNotSupported" =>
                $"Bucket '{bucket}' has ACLs disabled (AccessControlListNotSupported: its Object Ownership is 'Bucket owner enforced'). Send no ACL: set Acl = ObjectAcl.None in the options (rawdata: --acl none). With ACLs disabled the bucket owner owns every object anyway.",
            "InvalidAccessKeyId" or "SignatureDoesNotMatch" or "ExpiredToken" or "InvalidToken" =>
                $"S3 did not accept the assumed role's credentials ({code}: {exception.Message}). Check that the role ARN belongs to the bucket's account and the STS endpoint is the right one.",
            "InvalidArgument" or "InvalidRequest" or "InvalidBucketName" or "KeyTooLongError" =>
                $"S3 refused the upload as invalid ({code}: {exception.Message}).",
            _ => null,
        };

        return message is null ? null : new DestinationException(code, isPermanent: true, message, exception);
    }

    /// <summary>
    /// Explains a refusal to assume the role with the external id, naming the trust relationship, the principal and the
    /// <c>sts:ExternalId</c> condition the customer's role needs.
    /// </summary>
    public static string ForTrustPolicy(AmazonServiceException exception, string roleArn, string externalId) =>
        $"STS refused to assume role '{roleArn}' with the external id ({exception.ErrorCode}: {exception.Message}). " +
        $"In IAM, open the role's Trust relationships and make sure it allows sts:AssumeRole for the principal this service runs as " +
        $"(the AWS account or role shown by 'aws sts get-caller-identity' with this service's credentials), with the condition " +
        $"\"StringEquals\": {{ \"sts:ExternalId\": \"{externalId}\" }}. Check too that the role ARN is exactly '{roleArn}'.";

    /// <summary>
    /// Explains a network failure: which service could not be reached and, when its host name did not resolve and the
    /// endpoint is AWS's (so built from the region), the region setting to check first.
    /// </summary>
    /// <param name="service">"STS" or "S3".</param>
    /// <param name="region">The region the endpoint's host name is built from; <see langword="null"/> for an endpoint URL setting.</param>
    /// <param name="exception">The failure.</param>
    public static string ForUnreachable(string service, string? region, Exception exception)
    {
        bool unresolved = false;
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            unresolved |= current is System.Net.Http.HttpRequestException { HttpRequestError: System.Net.Http.HttpRequestError.NameResolutionError }
                || current is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.HostNotFound or System.Net.Sockets.SocketError.NoData };
        }

        string setting = service == "STS" ? "StsRegion (or Region)" : "Region";
        return unresolved && region is not null
            ? $"Could not reach {service}: the host name of its endpoint in region '{region}' did not resolve ({exception.GetType().Name}: {exception.Message}). Check {setting} '{region}' first, then this machine's DNS."
            : $"Could not reach {service} ({exception.GetType().Name}: {exception.Message}). Check the network path and the endpoint settings, then run the check again.";
    }

    /// <summary>Names the bucket's real region, when S3 told it, as the fix.</summary>
    private static string WrongRegion(string bucket, string region, string code, string? bucketRegion) =>
        bucketRegion is null
            ? $"Bucket '{bucket}' is not in region '{region}' ({code}). Set Region to the bucket's region."
            : $"Bucket '{bucket}' is not in region '{region}' ({code}; the bucket is in '{bucketRegion}'). Set Region to '{bucketRegion}'.";

    /// <summary>
    /// The bucket's region as S3 told it: the <c>x-amz-bucket-region</c> header, or S3's error message
    /// ("expecting 'us-west-2'"); <see langword="null"/> when it did not.
    /// </summary>
    private static string? BucketRegion(AmazonS3Exception exception)
    {
        if (exception.InnerException is Amazon.Runtime.Internal.HttpErrorResponseException { Response: { } response }
            && response.GetHeaderValue("x-amz-bucket-region") is { Length: > 0 } header)
        {
            return header;
        }

        Match match = ExpectedRegion().Match(exception.Message ?? string.Empty);
        return match.Success ? match.Groups[1].Value : null;
    }

    [GeneratedRegex("expecting '([a-z0-9-]+)'")]
    private static partial Regex ExpectedRegion();
}
