namespace RawDataDestination.Aws;

/// <summary>
/// The AWS error codes this library acts on, each written once: the ones worth another attempt, the ones that say
/// a session token was refused, and those of a body that does not match its checksum. The explanations (<c>S3.ErrorExplanations</c>, <c>Sts.StsExplanations</c>) name the
/// rest in their own words.
/// </summary>
internal static class AwsErrorCodes
{
    /// <summary>This library's code for "no AWS credentials were found to sign the request with" (the SDK's own words name another signer).</summary>
    public const string NoCredentials = "NoCredentials";

    /// <summary>S3's (and STS's) "the session token has expired".</summary>
    private const string ExpiredToken = "ExpiredToken";

    /// <summary>
    /// The codes of answers worth another attempt besides the session-token and checksum codes: throttling, a 5xx by
    /// name, a skewed clock, and a body S3 received shorter than its length (cut on the way: the next attempt sends the
    /// sealed bytes again).
    /// </summary>
    private static readonly HashSet<string> TransientCodes = new(StringComparer.Ordinal)
    {
        "SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable", "Throttling", "ThrottlingException",
        "RequestLimitExceeded", "TooManyRequestsException", "IDPCommunicationError", "RequestTimeTooSkewed", "TooManyRequests",
        "IncompleteBody",
    };

    /// <summary>
    /// Whether S3 refused the session token of the credentials a request was signed with (expired, not valid, or to be
    /// refreshed): the role is assumed again and the same request sent.
    /// </summary>
    /// <param name="code">The AWS error code.</param>
    public static bool IsSessionTokenRefused(string? code) => code is ExpiredToken or "InvalidToken" or "TokenRefreshRequired";

    /// <summary>Whether <paramref name="code"/> says the session token expired, in S3's or STS's words.</summary>
    /// <param name="code">The AWS error code.</param>
    public static bool IsExpiredToken(string? code) => code is ExpiredToken or "ExpiredTokenException";

    /// <summary>
    /// Whether S3 answered 409 because another write of the same key was still in progress (<c>ConditionalRequestConflict</c>
    /// to a conditional write, or the older <c>OperationAborted</c>): S3 says to retry it, and the retry lands, or gets 412
    /// once the other write has landed.
    /// </summary>
    /// <param name="code">The AWS error code.</param>
    public static bool IsWriteInProgress(string? code) => code is "ConditionalRequestConflict" or "OperationAborted";

    /// <summary>
    /// Whether S3 refused a body that does not hash to the checksum sent with it: <c>BadDigest</c> (the
    /// <c>x-amz-checksum-sha256</c> or <c>Content-MD5</c> given) or <c>XAmzContentSHA256Mismatch</c> (the signed payload
    /// hash). Worth another attempt when the body changed on the way, as the next attempt sends the sealed bytes again;
    /// not when the bytes themselves changed since the seal (a spooled file damaged on disk), which the buffer checks.
    /// </summary>
    /// <param name="code">The AWS error code.</param>
    public static bool IsChecksumMismatch(string? code) => code is "BadDigest" or "XAmzContentSHA256Mismatch";

    /// <summary>Whether an answer with <paramref name="code"/> is worth another attempt.</summary>
    /// <param name="code">The AWS error code.</param>
    public static bool IsTransient(string? code) =>
        code is not null && (TransientCodes.Contains(code) || IsChecksumMismatch(code) || IsSessionTokenRefused(code) || IsExpiredToken(code) || IsWriteInProgress(code));
}
