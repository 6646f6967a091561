using System.Globalization;
using System.Net;
using Amazon.Runtime;

namespace RawDataDestination.Internal;

/// <summary>
/// What an AWS service (or an S3-compatible one) answered, in its own words: its error code and message, or, when the
/// answer had no error body the SDK could read, its HTTP status. Never the SDK's placeholder text for an unreadable body.
/// </summary>
internal static class ServiceAnswers
{
    /// <summary>The code of the answer: the service's error code, or <c>HTTP 403</c> when it gave none.</summary>
    public static string Code(AmazonServiceException answer) =>
        answer.ErrorCode is { Length: > 0 } code && !IsStatusName(code, answer.StatusCode)
            ? code
            : string.Create(CultureInfo.InvariantCulture, $"HTTP {(int)answer.StatusCode}");

    /// <summary>
    /// The answer for a message: <c>AccessDenied (HTTP 403): Access Denied</c>, or <c>HTTP 403 (Forbidden), with no
    /// error code or message</c> when the body said nothing the SDK could read.
    /// </summary>
    public static string Describe(AmazonServiceException answer)
    {
        string status = string.Create(CultureInfo.InvariantCulture, $"HTTP {(int)answer.StatusCode}");
        bool hasCode = answer.ErrorCode is { Length: > 0 } code && !IsStatusName(code, answer.StatusCode);
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
        answer.ErrorCode is { Length: > 0 } code && !IsStatusName(code, answer.StatusCode)
            && answer.Message is { Length: > 0 } message
            && !message.StartsWith("Exception of type '", StringComparison.Ordinal)
                ? message
                : null;

    /// <summary>The SDK sets the error code to the status's name (<c>Forbidden</c>) when the body had none.</summary>
    private static bool IsStatusName(string code, HttpStatusCode status) => string.Equals(code, status.ToString(), StringComparison.Ordinal);
}
