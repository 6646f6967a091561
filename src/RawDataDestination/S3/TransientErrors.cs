using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;

namespace RawDataDestination.S3;

/// <summary>
/// The retry rule: tells errors worth retrying (throttling, 5xx, timeouts, broken connections) from permanent ones,
/// for the uploads and the setup check. Lives with S3 because it reads S3's and STS's answers and <see cref="DestinationException"/>.
/// </summary>
internal static class TransientErrors
{
    private static readonly HashSet<string> TransientCodes = new(StringComparer.Ordinal)
    {
        "SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable", "Throttling", "ThrottlingException",
        "RequestLimitExceeded", "TooManyRequestsException", "IDPCommunicationError", "RequestTimeTooSkewed",
        "ExpiredToken", "ExpiredTokenException", "InvalidToken", "TokenRefreshRequired", "TooManyRequests",

        // The body S3 received does not match its checksum or length: changed or cut on the way. The next attempt
        // sends the sealed bytes again.
        "BadDigest", "IncompleteBody", "XAmzContentSHA256Mismatch",
    };

    /// <summary>Whether <paramref name="exception"/> (or what it wraps) is worth another attempt.</summary>
    /// <param name="exception">The error.</param>
    /// <param name="cancellationToken">The caller's token: a cancellation it asked for is not transient.</param>
    public static bool IsTransient(Exception exception, CancellationToken cancellationToken)
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case DestinationException destination:
                    return !destination.IsPermanent;
                case Polly.ExecutionRejectedException: // an attempt timed out, or the circuit is open
                    return !cancellationToken.IsCancellationRequested;
                case OperationCanceledException:
                    return !cancellationToken.IsCancellationRequested; // an HTTP timeout, not the caller
                case AmazonServiceException service when service.ErrorCode is { } code && TransientCodes.Contains(code):
                    return true;
                case AmazonServiceException service when (int)service.StatusCode >= 500 || service.StatusCode == HttpStatusCode.TooManyRequests:
                    return true;
                case AmazonServiceException service when service.StatusCode != 0:
                    return false; // S3 or STS answered: a 4xx other than throttling is permanent
                case HttpRequestException or IOException or SocketException or TimeoutException:
                    return true;
            }
        }

        return exception is AmazonClientException;
    }
}
