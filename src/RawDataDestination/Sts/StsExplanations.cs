using Amazon.Runtime;
using RawDataDestination.Aws;
using RawDataDestination.Internal;

namespace RawDataDestination.Sts;

/// <summary>
/// The one place STS's answers, and the failures of a call to STS, become explanations in terms of the setup: what STS
/// answered (its code and message), that this service has no AWS credentials of its own to call it with, or why it
/// could not be reached, as an <see cref="AssumeRoleException"/>. Used by <see cref="AssumeRoleCredentials"/> for every
/// failed AssumeRole and by the setup check.
/// </summary>
internal static class StsExplanations
{
    /// <summary>The error code given to "no AWS credentials to call STS with".</summary>
    public const string NoCredentialsCode = AwsErrorCodes.NoCredentials;


    /// <summary>
    /// Explains any failure of an AssumeRole call, or returns <see langword="null"/> for a cancellation the caller asked
    /// for. Whether the explanation is permanent follows the retry rule (<see cref="TransientErrors"/>), except that a
    /// missing credential is permanent: retrying does not make one appear.
    /// </summary>
    /// <param name="error">What the call threw.</param>
    /// <param name="roleArn">The role being assumed.</param>
    /// <param name="externalId">The external id sent, for the trust-policy condition in the message.</param>
    /// <param name="endpoint">The STS endpoint called.</param>
    /// <param name="cancellationToken">The caller's token.</param>
    /// <returns>The explanation, with the error as its inner exception; <see langword="null"/> when the caller cancelled.</returns>
    public static AssumeRoleException? Explain(Exception error, string roleArn, string externalId, StsEndpoint endpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (error is AssumeRoleException explained)
        {
            return explained;
        }

        if (error is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            return null;
        }

        if (IsUnreadableAnswer(error))
        {
            // Something answered, but not STS: a proxy or captive portal in the way, or a URL that is not STS's.
            return new AssumeRoleException("UnreadableAnswer", !TransientErrors.IsTransient(error, cancellationToken), words =>
                $"STS ({endpoint}) answered AssumeRole for role '{roleArn}' with something that is not STS's XML ({NetworkFailures.InnermostMessage(error)}): " +
                NotSts(endpoint, words), error);
        }

        if (error is AmazonServiceException { StatusCode: not 0 } answer)
        {
            return ForAssumeRole(answer, roleArn, externalId, endpoint);
        }

        if (MissingCredentials.In(error))
        {
            return new AssumeRoleException(
                NoCredentialsCode,
                isPermanent: true,
                $"This service has no AWS credentials of its own to call STS AssumeRole for role '{roleArn}' with: the AWS SDK's default credential chain " +
                "found none (it looks for the environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, the profile named by AWS_PROFILE or the " +
                "default profile in ~/.aws/credentials, a web identity token, and the container or EC2 instance role). Give this service credentials in one " +
                "of those places; the customer's role is then assumed with them." + NamedProfileMissing(),
                error);
        }

        bool transient = TransientErrors.IsTransient(error, cancellationToken);
        NetworkFailure failure = NetworkFailures.Classify(error, cancellationToken);
        return failure switch
        {
            NetworkFailure.NameNotResolved => new AssumeRoleException("NameNotResolved", !transient, words =>
                $"Could not reach STS ({endpoint}): its host name did not resolve; " + (endpoint.ServiceUrl is null
                    ? $"check {words.Name("StsRegion")} (or {words.Name("Region")}){(endpoint.Region is null ? string.Empty : $" '{endpoint.Region}'")} (the STS host is sts.{{region}}.amazonaws.com), then this machine's DNS."
                    : $"check {words.Name("StsServiceUrl")}, then this machine's DNS."), error),
            NetworkFailure.ConnectionRefused => new AssumeRoleException("ConnectionRefused", !transient, words =>
                $"Could not reach STS ({endpoint}): the connection was refused. Check that it is up and reachable from here" +
                (endpoint.ServiceUrl is null ? "." : $" ({words.Name("StsServiceUrl")})."), error),
            NetworkFailure.NoAnswer => new AssumeRoleException("NoAnswer", !transient, words =>
                $"STS ({endpoint}) did not answer AssumeRole for role '{roleArn}'. Check that it is up and reachable from here" +
                (endpoint.ServiceUrl is null ? "." : $" ({words.Name("StsServiceUrl")})."), error),
            NetworkFailure.ConnectionBroken => new AssumeRoleException("ConnectionBroken", !transient, words =>
                $"The connection to STS ({endpoint}) broke during AssumeRole for role '{roleArn}': {NetworkFailures.InnermostMessage(error)}. " +
                NetworkFailures.BrokenAdvice(endpoint.ServiceUrl is null ? null : words.Name("StsServiceUrl")), error),
            NetworkFailure.TlsFailed => new AssumeRoleException("TlsFailed", !transient, words =>
                $"The TLS handshake with STS ({endpoint}) failed: {NetworkFailures.InnermostMessage(error)}. "
                + NetworkFailures.TlsAdvice(endpoint.ServiceUrl is null ? null : words.Name("StsServiceUrl")), error),
            _ => new AssumeRoleException(error.GetType().Name, !transient,
                $"AssumeRole for role '{roleArn}' could not be sent to STS ({endpoint}): {NetworkFailures.InnermostMessage(error)}.", error),
        };
    }

    /// <summary>Explains what STS answered to AssumeRole: a refusal of the role or of the base credentials, or another answer in STS's words.</summary>
    /// <param name="answer">STS's answer.</param>
    /// <param name="roleArn">The role being assumed.</param>
    /// <param name="externalId">The external id sent, for the trust-policy condition in the message.</param>
    /// <param name="endpoint">The STS endpoint called.</param>
    /// <returns>The explanation.</returns>
    public static AssumeRoleException ForAssumeRole(AmazonServiceException answer, string roleArn, string externalId, StsEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(answer);
        string code = ServiceAnswers.Code(answer);
        string said = ServiceAnswers.Describe(answer);
        bool permanent = !TransientErrors.IsTransient(answer, CancellationToken.None);
        return code switch
        {
            "AccessDenied" => new AssumeRoleException(code, permanent, words =>
                $"STS refused to assume role '{roleArn}' ({said}). First check the external id: {words.Name("ExternalId")} '{externalId}' may not be " +
                "the one the role's trust policy requires (mistyped, or another customer's); if it differs from the one the customer set up, fix it here, not in the policy. " +
                $"Then check the role's trust relationship: it must allow sts:AssumeRole for the principal this service runs as, with the condition " +
                $"{ExternalIdCondition(externalId)}; the role ARN and the external id must match exactly what the customer set up. {OwnPolicyAdvice}", answer),
            _ when IsBaseCredentialsRefused(code) => new AssumeRoleException(code, permanent,
                $"STS ({endpoint}) did not accept the AWS credentials this service calls AssumeRole with ({said}): these are this service's own " +
                "credentials (the AWS SDK's default credential chain), not the customer's. Check them, and that they belong to the principal the role trusts.",
                answer),
            "RegionDisabledException" => new AssumeRoleException(code, permanent, words =>
                $"STS is not activated in {(endpoint.Region is null ? "the region called" : $"region '{endpoint.Region}'")} of this service's account ({said}). Activate it in the account's IAM settings, " +
                $"or give another region in {words.Name("StsRegion")}.", answer),
            _ when !permanent => new AssumeRoleException(code, permanent,
                $"STS ({endpoint}) answered AssumeRole for role '{roleArn}' with {said}: STS is busy or unavailable for a while, which says nothing " +
                "about the role's setup. It passes by itself: deliveries retry; try again in a moment.", answer),
            _ => new AssumeRoleException(code, permanent,
                $"STS ({endpoint}) answered AssumeRole for role '{roleArn}' with {said}. Check the role ARN, the session duration and the role's trust relationship.",
                answer),
        };
    }

    /// <summary>Whether STS refused the base credentials (this service's own), not the role.</summary>
    private static bool IsBaseCredentialsRefused(string code) =>
        code is "InvalidClientTokenId" or "SignatureDoesNotMatch" or "IncompleteSignature" or "MissingAuthenticationToken" || AwsErrorCodes.IsExpiredToken(code);

    /// <summary>
    /// Explains a refusal to assume the role with the external id (the setup check's step 2), naming the trust
    /// relationship, the principal and the condition on <c>sts:ExternalId</c> the customer's role needs. First, though,
    /// that the external id given may not be the one the trust policy requires (mistyped, or another customer's): with a
    /// trust policy that is right, that is the fix, and putting the id given into the policy would be the wrong one.
    /// </summary>
    public static string ForTrustPolicy(AmazonServiceException answer, string roleArn, string externalId, SettingWords words) =>
        $"STS refused to assume role '{roleArn}' with the external id ({ServiceAnswers.Describe(answer)}). " +
        $"First check the external id: {words.Name("ExternalId")} '{externalId}' may not be the external id the role's trust policy requires " +
        "(mistyped, or another customer's); compare it with the one the customer was given and set up, and if they differ, fix it here, not in the policy. " +
        "If it is the right one, in IAM, open the role's Trust relationships and make sure it allows sts:AssumeRole for the principal this service runs as " +
        "(the AWS account or role shown by 'aws sts get-caller-identity' with this service's credentials), with the condition " +
        $"{ExternalIdCondition(externalId)}. Check too that the role ARN is exactly '{roleArn}'. {OwnPolicyAdvice}";

    /// <summary>
    /// The other half of an AssumeRole refusal, the operator's: STS needs the caller's own IAM policy to allow the call too,
    /// and says "not authorized to perform: sts:AssumeRole" whichever half is missing.
    /// </summary>
    private const string OwnPolicyAdvice =
        "If the trust relationship is right, look at this service's own side: its identity's IAM policy must allow sts:AssumeRole on that role ARN " +
        "(STS refuses in the same words when it does not).";

    /// <summary>The setup check's warning when STS let this service assume the role without the external id.</summary>
    public static string ForExternalIdNotRequired(string roleArn, string externalId) =>
        $"STS let this service assume role '{roleArn}' without an external id: the role's trust policy does not require sts:ExternalId, so the " +
        $"confused-deputy protection is missing. Add to the role's trust relationship the condition {ExternalIdCondition(externalId)}.";

    /// <summary>
    /// The setup check's warning when STS let this service assume the role with an external id that is not the customer's
    /// (and refused it without one): the trust policy's condition takes any id, as <c>StringLike "*"</c> does.
    /// </summary>
    public static string ForAnotherExternalIdAccepted(string roleArn, string externalId) =>
        $"STS let this service assume role '{roleArn}' with an external id other than yours (it refused none): the role's trust policy " +
        "accepts any external id (a condition such as StringLike \"*\"), so the confused-deputy protection is missing. Make the " +
        $"role's trust relationship require exactly yours: {ExternalIdCondition(externalId)}.";

    /// <summary>The trust policy's condition on the external id, as IAM JSON: <c>"Condition": { "StringEquals": { "sts:ExternalId": "..." } }</c>.</summary>
    public static string ExternalIdCondition(string externalId) =>
        $"\"Condition\": {{ \"StringEquals\": {{ \"sts:ExternalId\": \"{externalId}\" }} }}";

    /// <summary>
    /// Explains an AssumeRole answered with success but with no credentials in it: what answered was not STS (an HTML
    /// page of a proxy parses as XML with no fields the SDK knows). Used before the credentials are touched, so that no
    /// S3 call is made with none.
    /// </summary>
    public static AssumeRoleException ForAnswerWithoutCredentials(string roleArn, StsEndpoint endpoint) =>
        new("NoCredentialsInAnswer", isPermanent: true, words =>
            $"STS ({endpoint}) answered AssumeRole for role '{roleArn}' with success, but with no credentials in the answer: " + NotSts(endpoint, words), null);

    /// <summary>
    /// When AWS_PROFILE names a profile, the sentence that says so: a profile that does not exist (a typo, another
    /// machine's name) is the usual reason the chain found nothing, and the SDK does not say so itself.
    /// </summary>
    private static string NamedProfileMissing() =>
        Environment.GetEnvironmentVariable("AWS_PROFILE") is { Length: > 0 } profile
            ? $" AWS_PROFILE is '{profile}', and the SDK found no credentials in it: check that a profile of that name, with keys, is in " +
              "~/.aws/credentials or ~/.aws/config (or the files AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE name)."
            : string.Empty;

    /// <summary>What to check when what answered at the STS endpoint was not STS.</summary>
    private static string NotSts(StsEndpoint endpoint, SettingWords words) =>
        "something other than STS answered there, such as a proxy between this service and AWS" +
        (endpoint.ServiceUrl is null ? "." : $", or a URL that is not STS's. Check {words.Name("StsServiceUrl")}.");

    /// <summary>True when the SDK could not parse what the endpoint answered (it throws the XML reader's error as it is).</summary>
    private static bool IsUnreadableAnswer(Exception error)
    {
        for (Exception? current = error; current is not null; current = current.InnerException)
        {
            if (current is System.Xml.XmlException or AmazonUnmarshallingException)
            {
                return true;
            }
        }

        return false;
    }
}
