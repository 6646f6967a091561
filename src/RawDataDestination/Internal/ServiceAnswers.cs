using System.Globalization;
using Amazon.Runtime;

namespace RawDataDestination.Internal;

/// <summary>
/// What an AWS service (or an S3-compatible one) answered, in its own words: its error code and message, or, when the
/// answer had no error body the SDK could read, its HTTP status. Never the SDK's placeholder text for an unreadable body.
/// </summary>
internal static class ServiceAnswers
{
    /// <summary>
    /// Whether an answer to PutObject with this ETag confirms the write: S3, and every S3-compatible store, answers a
    /// write with the object's ETag, so a success without one came from something else at the endpoint (a web server, a
    /// proxy's page) and stored nothing. Read by the upload (<c>S3.ErrorExplanations.ThrowIfNotS3</c>) and, below the AWS
    /// SDK, by <see cref="LostAnswerHandler"/>.
    /// </summary>
    /// <param name="etag">The answer's ETag, as the SDK or the HTTP headers give it; <see langword="null"/> when it has none.</param>
    public static bool ConfirmsWrite(string? etag) => !string.IsNullOrEmpty(etag);

    /// <summary>The code of the answer: the service's error code, or <c>HTTP 403</c> when it gave none.</summary>
    public static string Code(AmazonServiceException answer) =>
        HasServiceCode(answer)
            ? answer.ErrorCode
            : string.Create(CultureInfo.InvariantCulture, $"HTTP {(int)answer.StatusCode}");

    /// <summary>
    /// The answer for a message: <c>AccessDenied (HTTP 403): Access Denied</c>, or <c>HTTP 403 (Forbidden), with no
    /// error code or message</c> when the body said nothing the SDK could read.
    /// </summary>
    public static string Describe(AmazonServiceException answer)
    {
        string status = string.Create(CultureInfo.InvariantCulture, $"HTTP {(int)answer.StatusCode}");
        bool hasCode = HasServiceCode(answer);
        string? message = ServiceMessage(answer);
        return (hasCode, message) switch
        {
            (true, not null) => $"{answer.ErrorCode} ({status}): {message.TrimEnd('.')}",
            (true, null) => $"{answer.ErrorCode} ({status}), with no message",
            _ => $"{status} ({answer.StatusCode}), with no error code or message",
        };
    }

    /// <summary>
    /// The service's own message, or <see langword="null"/> when the answer carried none: without an error code in the
    /// answer, the SDK fills the message with text of its own ("Exception of type ... was thrown", "Error making request
    /// with Error Code Forbidden ...", "The service returned an error").
    /// </summary>
    public static string? ServiceMessage(AmazonServiceException answer) =>
        HasServiceCode(answer) && !IsSdkText(answer.Message) ? answer.Message : null;

    /// <summary>
    /// Whether the answer carried an error code of the service's own. When the body had none, the SDK sets the code to
    /// the status's name (<c>Forbidden</c>) and the message to text of its own; a service may name the status itself
    /// (S3's and STS's <c>ServiceUnavailable</c> for a 503), and then its message is its own.
    /// </summary>
    private static bool HasServiceCode(AmazonServiceException answer) =>
        answer.ErrorCode is { Length: > 0 } code
            && !(string.Equals(code, answer.StatusCode.ToString(), StringComparison.Ordinal) && IsSdkText(answer.Message));

    /// <summary>Whether <paramref name="message"/> is none, or the SDK's own text for an answer whose body it could not read.</summary>
    private static bool IsSdkText(string? message) =>
        message is not { Length: > 0 }
            || message.StartsWith("Exception of type '", StringComparison.Ordinal)
            || message.StartsWith("Error making request with Error Code ", StringComparison.Ordinal)
            || message.StartsWith("The service returned an error", StringComparison.Ordinal);
}
