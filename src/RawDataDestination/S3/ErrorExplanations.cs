using System.Net;
using System.Text.RegularExpressions;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using RawDataDestination.Aws;
using RawDataDestination.Internal;
using RawDataDestination.Sts;

namespace RawDataDestination.S3;

/// <summary>
/// The one place S3's answers, and the failures of a call to S3, become explanations in terms of the setup: which
/// bucket (the customer's, or the operator's staging bucket), what S3 answered (its code and message), or why it could
/// not be reached. STS's side is <see cref="Sts.StsExplanations"/>.
/// </summary>
internal static partial class ErrorExplanations
{
    /// <summary>The error code given to "no AWS credentials for the staging bucket".</summary>
    public const string NoCredentialsCode = AwsErrorCodes.NoCredentials;

    /// <summary>Explains a failed PutObject to the customer's bucket, or returns <see langword="null"/> when the error is transient or unknown.</summary>
    /// <param name="exception">S3's answer.</param>
    /// <param name="location">The customer's bucket and prefix.</param>
    /// <param name="region">The bucket's region setting.</param>
    /// <param name="expectedBucketOwner">The account the PUT required to own the bucket (<c>x-amz-expected-bucket-owner</c>), or <see langword="null"/>: S3 refuses a bucket of another account with a plain AccessDenied.</param>
    public static DestinationException? ForPutObject(AmazonS3Exception exception, BucketLocation location, string region, string? expectedBucketOwner = null)
    {
        ArgumentNullException.ThrowIfNull(exception);

        // A 301 to PutObject is always S3's wrong-region redirect, with or without an error code in the body.
        string code = exception.StatusCode == HttpStatusCode.MovedPermanently ? "PermanentRedirect" : ServiceAnswers.Code(exception);
        string said = ServiceAnswers.Describe(exception);
        string bucket = location.BucketName;
        string resource = $"arn:aws:s3:::{bucket}/{location.KeyPrefix}*";
        Func<SettingWords, string>? wording = code switch
        {
            "AccessDenied" when exception.Message.Contains("KMS", StringComparison.OrdinalIgnoreCase) => _ =>
                $"S3 refused the upload because the role may not use the bucket's KMS key ({said}). Add kms:GenerateDataKey on the key to the role's policy (and allow the role in the key policy).",
            "KMS.AccessDeniedException" or "KMS.DisabledException" or "KMS.NotFoundException" or "KMS.KMSInvalidStateException" => _ =>
                $"S3 could not encrypt the object with KMS ({said}). Add kms:GenerateDataKey on the key to the role's policy and check the key is enabled.",
            "AccessDenied" when exception.Message?.Contains("explicit deny in a resource-based policy", StringComparison.OrdinalIgnoreCase) == true => words =>
                $"The bucket policy of '{bucket}' denies this upload ({said}): a Deny statement there matches it, whatever the role's policy allows. " +
                $"Such statements often require an encryption header ({words.Name("Encryption")}) or an ACL ({words.Name("Acl")}); " +
                "give the settings the bucket policy requires, or ask the bucket's owner to change the statement.",
            "AccessDenied" => words =>
                $"S3 refused PutObject in bucket '{bucket}' ({said}). The role's policy must allow s3:PutObject and s3:PutObjectAcl on resource {resource}." +
                (exception.Message?.Contains("not authorized to perform", StringComparison.OrdinalIgnoreCase) == true
                    ? string.Empty
                    : " S3 did not say which permission is missing: if the bucket's default encryption or these settings use SSE-KMS, the role also needs kms:GenerateDataKey on the key.") +
                (expectedBucketOwner is null ? string.Empty : NotOwnedBy(words, bucket, expectedBucketOwner)) +
                $" Check too the bucket name in {words.Name("Bucket")}: a bucket of another account (a name mistyped) is refused the same way.",
            "NoSuchBucket" => words =>
                $"Bucket '{bucket}' does not exist (NoSuchBucket). Check the bucket name in {words.Name("Bucket")}.",
            "PermanentRedirect" or "AuthorizationHeaderMalformed" or "IllegalLocationConstraintException" => words =>
                WrongRegion(words, "Region", $"Bucket '{bucket}'", region, code, BucketRegion(exception)),
            "AccessControlListNotSupported" => words =>
                $"Bucket '{bucket}' has ACLs disabled (AccessControlListNotSupported: its Object Ownership is 'Bucket owner enforced'). Send no ACL: " +
                $"{words.Assign("Acl", "ObjectAcl.None")}. With ACLs disabled the bucket owner owns every object anyway.",
            _ when AwsErrorCodes.IsSessionTokenRefused(code) => _ =>
                $"S3 refused the session token of the role's credentials, though they had just been assumed again ({said}). " +
                "If it goes on, check this machine's clock and that the STS endpoint is the one for the bucket's region.",
            _ when IsCredentialsRefused(code) => _ =>
                $"S3 did not accept the assumed role's credentials ({said}). Check that the role ARN belongs to the bucket's account and the STS endpoint is the right one.",
            "InvalidArgument" or "InvalidRequest" or "InvalidBucketName" or "KeyTooLongError" => _ =>
                $"S3 refused the upload to bucket '{bucket}' as invalid ({said}).",
            _ => null,
        };

        // A session token refused again after a refresh is retried (a fresh AssumeRole), within the retry time limit: a clock or
        // an STS a moment behind S3 gets over it, and a short run of such answers gave up a batch at once.
        return wording is null ? null : new DestinationException(code, isPermanent: !AwsErrorCodes.IsSessionTokenRefused(code), wording, exception);
    }

    /// <summary>The other cause of a plain AccessDenied when the PUT named the bucket's owner: the bucket is another account's.</summary>
    private static string NotOwnedBy(SettingWords words, string bucket, string account) =>
        $" Or bucket '{bucket}' may not be owned by account {account}, which {words.Name("ExpectedBucketOwner")} names: S3 answers AccessDenied to a write " +
        "that expects another owner, as when the customer's bucket was deleted and a bucket of the same name created in another account. " +
        $"Ask the customer which account owns '{bucket}'; nothing was written there.";

    /// <summary>
    /// Refuses an answer to PutObject that does not confirm the write (<see cref="ServiceAnswers.ConfirmsWrite"/>: no
    /// ETag, so not S3's answer): refused for good (the batch is kept and reported), never counted as delivered.
    /// </summary>
    /// <param name="answer">What PutObject returned.</param>
    /// <param name="target">The bucket written.</param>
    /// <exception cref="DestinationException">The answer has no ETag.</exception>
    public static void ThrowIfNotS3(PutObjectResponse answer, S3Target target)
    {
        ArgumentNullException.ThrowIfNull(answer);
        ArgumentNullException.ThrowIfNull(target);
        if (!ServiceAnswers.ConfirmsWrite(answer.ETag))
        {
            throw new DestinationException("NotS3", isPermanent: true, words =>
                $"What answered for {target} is not S3: it took the PutObject with HTTP {(int)answer.HttpStatusCode} but without the ETag S3 gives " +
                "every object it writes, so the object is not known to be written. " + (target.ServiceUrl is null
                    ? "Check that nothing between here and AWS (a proxy) answers in S3's place."
                    : $"Check {words.Name(target.ServiceUrlSetting)}: it must be the S3 endpoint."), innerException: null);
        }
    }

    /// <summary>
    /// Explains any failure of a call to <paramref name="target"/>, or returns <see langword="null"/> for a cancellation
    /// the caller asked for: an explanation already made (a refused upload) is returned as it is, and STS's is passed on; an answer is
    /// reported as the service gave it, naming the bucket; a call that got no answer says why.
    /// </summary>
    /// <param name="error">What the call threw.</param>
    /// <param name="target">The bucket called.</param>
    /// <param name="cancellationToken">The caller's token.</param>
    /// <returns>The explanation, with the error inside it.</returns>
    public static DestinationException? ForS3(Exception error, S3Target target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(target);
        for (Exception? current = error; current is not null; current = current.InnerException)
        {
            if (current is DestinationException explained)
            {
                return explained;
            }

            if (current is AssumeRoleException refused)
            {
                return DestinationException.From(refused); // the customer's role, refused by STS during the call
            }
        }

        if (error is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            return null;
        }

        bool permanent = !TransientErrors.IsTransient(error, cancellationToken);
        if (Find<AmazonServiceException>(error) is { StatusCode: not 0 } answer)
        {
            if (!target.Staging && answer is AmazonS3Exception s3 && ForPutObject(s3, target.Location, target.Region, target.ExpectedBucketOwner) is { } refused)
            {
                return refused;
            }

            return target.Staging ? ForStagingAnswer(answer, target, permanent) : Answered(answer, target, permanent);
        }

        if (MissingCredentials.In(error))
        {
            string whose = target.Staging ? "this service's own credentials, which the staging bucket needs" : "the assumed role's credentials";
            return new DestinationException(NoCredentialsCode, isPermanent: true,
                $"Requests to {target} could not be signed: no AWS credentials were found ({whose}). The AWS SDK's default credential chain looks for the " +
                "environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, the profile named by AWS_PROFILE or the default profile in " +
                "~/.aws/credentials, a web identity token, and the container or EC2 instance role.", error);
        }

        return NetworkFailures.Classify(error, cancellationToken) switch
        {
            NetworkFailure.NameNotResolved => new DestinationException("NameNotResolved", permanent, words =>
                $"Could not reach {target}: its host name did not resolve; " + (target.ServiceUrl is null
                    ? $"check {words.Name(target.RegionSetting)} '{target.Region}', then this machine's DNS."
                    : $"check {words.Name(target.ServiceUrlSetting)}, then this machine's DNS."), error),
            NetworkFailure.ConnectionRefused => new DestinationException("ConnectionRefused", permanent, words =>
                $"Could not reach {target}: the connection was refused. Check that it is up and reachable from here" +
                (target.ServiceUrl is null ? "." : $" ({words.Name(target.ServiceUrlSetting)})."), error),
            NetworkFailure.NoAnswer when !target.Staging && target.RoleAssumed?.Invoke() == false => new DestinationException("NoAnswer", permanent, words =>
                $"STS AssumeRole did not answer in time: the customer's role was never assumed, so the upload to {target} was still waiting for it (S3 was never called). " +
                $"Check that STS is up and reachable from here ({words.Name("StsServiceUrl")} or {words.Name("StsRegion")}).", error),
            NetworkFailure.NoAnswer => new DestinationException("NoAnswer", permanent, words =>
                $"S3 did not answer for {target}. Check that it is up and reachable from here" +
                (target.ServiceUrl is null ? "." : $" ({words.Name(target.ServiceUrlSetting)})."), error),
            NetworkFailure.ConnectionBroken => new DestinationException("ConnectionBroken", permanent, words =>
                $"The connection to {target} broke: {NetworkFailures.InnermostMessage(error)}. " +
                NetworkFailures.BrokenAdvice(target.ServiceUrl is null ? null : words.Name(target.ServiceUrlSetting)), error),
            NetworkFailure.TlsFailed => new DestinationException("TlsFailed", permanent, words =>
                $"The TLS handshake with {target} failed: {NetworkFailures.InnermostMessage(error)}. "
                + NetworkFailures.TlsAdvice(target.ServiceUrl is null ? null : words.Name(target.ServiceUrlSetting)), error),
            _ when error is OperationCanceledException => new DestinationException("Cancelled", isPermanent: false,
                $"The call to {target} was cancelled (a shutdown, or a signal) before it got an answer.", error),
            _ => new DestinationException(error.GetType().Name, permanent,
                $"The call to {target} failed: {NetworkFailures.InnermostMessage(error)}.", error),
        };
    }

    /// <summary>
    /// What S3 answered, in its own words, naming the bucket. An answer that passes says so, since the setup check
    /// reports it too and the setup is not the cause: S3 busy or unavailable, or another write of the same key in progress.
    /// </summary>
    private static DestinationException Answered(AmazonServiceException answer, S3Target target, bool permanent)
    {
        string code = ServiceAnswers.Code(answer);
        string meaning = permanent ? "."
            : AwsErrorCodes.IsWriteInProgress(code)
                ? ": another write of the same key was still in progress (another host's, or an earlier attempt whose answer was lost). " +
                  "Deliveries retry it: the retry writes the object, or finds that the other write did."
            : AwsErrorCodes.IsChecksumMismatch(code)
                ? ": the body S3 received does not hash to the checksum sent with it, the batch's SHA-256 taken at its seal, so S3 stored nothing. " +
                  "Changed on the way (a proxy, the network), it says nothing about the bucket's or the role's setup: deliveries retry, each sending the sealed bytes again. " +
                  "A spooled batch whose file changed on disk is not retried: it is moved to the spool's quarantine folder."
                : ": S3 is busy or unavailable for a while, which says nothing about the bucket's or the role's setup. It passes by itself: deliveries retry; try again in a moment.";
        return new DestinationException(code, permanent, $"S3 answered {ServiceAnswers.Describe(answer)}, for {target}{meaning}", answer);
    }

    /// <summary>What the staging bucket answered: its refusals are the operator's to fix, never the customer's.</summary>
    private static DestinationException ForStagingAnswer(AmazonServiceException answer, S3Target target, bool permanent)
    {
        string code = answer.StatusCode == HttpStatusCode.MovedPermanently ? "PermanentRedirect" : ServiceAnswers.Code(answer);
        string said = ServiceAnswers.Describe(answer);
        string bucket = target.Location.BucketName;
        string objects = $"arn:aws:s3:::{bucket}/{(target.Location.Prefix.Length == 0 ? string.Empty : target.Location.Prefix + "/")}*";
        return code switch
        {
            "AccessDenied" or "HTTP 403" => new DestinationException(code, permanent,
                $"The staging bucket '{bucket}' refused this service's own credentials ({said}). They need s3:PutObject, s3:GetObject and " +
                $"s3:DeleteObject on {objects} and s3:ListBucket on arn:aws:s3:::{bucket}; the customer's role is never used there.", answer),
            "NoSuchBucket" => new DestinationException(code, permanent, words =>
                $"The staging bucket '{bucket}' does not exist (NoSuchBucket). Check {words.Name(target.BucketSetting)}.", answer),
            "PermanentRedirect" or "AuthorizationHeaderMalformed" or "IllegalLocationConstraintException" => new DestinationException(code, permanent, words =>
                WrongRegion(words, target.RegionSetting, $"The staging bucket '{bucket}'", target.Region, code, answer is AmazonS3Exception s3 ? BucketRegion(s3) : null), answer),
            _ when IsCredentialsRefused(code) => new DestinationException(code, permanent,
                $"The staging bucket's S3 did not accept this service's own credentials ({said}): {OwnCredentialsRefused(code)}. The staging bucket is not the cause. " +
                "Give this service valid credentials (where the AWS SDK's default credential chain finds them: the environment, the profile, the instance role), then restart it.", answer),
            _ => new DestinationException(code, permanent, $"S3 answered {said}, for {target}.", answer),
        };
    }

    /// <summary>
    /// Explains a refused ListObjectsV2 of the staging bucket (AccessDenied, or a bare 403), which copiers and counts of
    /// what is staged depend on: the service's own credentials lack s3:ListBucket, whatever they may write there, so
    /// staged batches are kept but never delivered. Returns <see langword="null"/> for any other failure, which
    /// <see cref="ForS3"/> explains as it explains every call.
    /// </summary>
    /// <param name="answer">S3's answer to the listing.</param>
    /// <param name="target">The staging bucket.</param>
    /// <param name="prefix">The prefix listed.</param>
    public static DestinationException? ForStagingListing(AmazonServiceException answer, S3Target target, string prefix)
    {
        ArgumentNullException.ThrowIfNull(answer);
        ArgumentNullException.ThrowIfNull(target);
        string code = ServiceAnswers.Code(answer);
        if (!target.Staging || code is not ("AccessDenied" or "HTTP 403"))
        {
            return null;
        }

        string bucket = target.Location.BucketName;
        return new DestinationException(code, isPermanent: true,
            $"This service's own credentials may not list the staging bucket '{bucket}' (s3:ListBucket on arn:aws:s3:::{bucket}, prefix '{prefix}'; S3 answered {ServiceAnswers.Describe(answer)}): " +
            "staged batches cannot be delivered until it is granted. They stay staged; grant s3:ListBucket on that bucket (a condition on s3:prefix must allow the prefix) to this service's credentials.",
            answer);
    }

    /// <summary>
    /// Why S3 refused this service's own credentials, for the staging bucket: their access key, their signature, or their
    /// session token (<see cref="IsCredentialsRefused"/>).
    /// </summary>
    private static string OwnCredentialsRefused(string code) => code switch
    {
        "InvalidAccessKeyId" => "their access key does not exist: it was deleted, or belongs to another AWS account",
        "SignatureDoesNotMatch" => "their secret key does not match their access key",
        _ => "their session token expired or is not valid",
    };

    /// <summary>Whether S3 refused the credentials a request was signed with: their access key, their signature, or their session token.</summary>
    private static bool IsCredentialsRefused(string code) =>
        code is "InvalidAccessKeyId" or "SignatureDoesNotMatch" || AwsErrorCodes.IsSessionTokenRefused(code);

    /// <summary>Names the bucket's real region, when S3 told it, as the fix.</summary>
    private static string WrongRegion(SettingWords words, string regionSetting, string bucket, string region, string code, string? bucketRegion) =>
        bucketRegion is null
            ? $"{bucket} is not in region '{region}' ({code}). {Capitalized(words.Assign(regionSetting, "the bucket's region"))}."
            : $"{bucket} is not in region '{region}' ({code}; the bucket is in '{bucketRegion}'). {Capitalized(words.Assign(regionSetting, $"'{bucketRegion}'"))}.";

    private static string Capitalized(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];

    private static T? Find<T>(Exception error)
        where T : Exception
    {
        for (Exception? current = error; current is not null; current = current.InnerException)
        {
            if (current is T found)
            {
                return found;
            }
        }

        return null;
    }

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
