using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using RawDataDestination.Batching;

namespace RawDataDestination.Aws;

/// <summary>
/// The retry rule: tells errors worth retrying (throttling, 5xx, timeouts including a bare 408, broken connections) from permanent ones,
/// for the uploads, AssumeRole and the setup check. It reads AWS's answers (by <see cref="AwsErrorCodes"/>) and the
/// refusals already explained (<see cref="IDeliveryRefusal"/>, which says itself whether it is permanent).
/// </summary>
internal static class TransientErrors
{
    /// <summary>Whether <paramref name="exception"/> (or what it wraps) is worth another attempt.</summary>
    /// <param name="exception">The error.</param>
    /// <param name="cancellationToken">The caller's token: a cancellation it asked for is not transient.</param>
    public static bool IsTransient(Exception exception, CancellationToken cancellationToken)
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case IDeliveryRefusal refusal:
                    return !refusal.IsPermanent;
                case Polly.ExecutionRejectedException: // an attempt timed out, or the circuit is open
                    return !cancellationToken.IsCancellationRequested;
                case OperationCanceledException:
                    return !cancellationToken.IsCancellationRequested; // an HTTP timeout, not the caller
                case AmazonServiceException service when AwsErrorCodes.IsTransient(service.ErrorCode):
                    return true;
                case AmazonServiceException service when (int)service.StatusCode >= 500 || service.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout:
                    return true; // a 408 without S3's code comes from a proxy or load balancer on the way: the request timed out
                case AmazonServiceException service when service.StatusCode != 0:
                    return false; // S3 or STS answered: a 4xx other than throttling or a timeout is permanent
                case HttpRequestException or IOException or SocketException or TimeoutException:
                    return true;
            }
        }

        return exception is AmazonClientException;
    }
}
