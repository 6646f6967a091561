using System.Net.Http;
using System.Net.Sockets;
using System.Security.Authentication;

namespace RawDataDestination.Internal;

/// <summary>Why a call got no answer from a service: the network's side of an error, read from the exception and what it wraps.</summary>
internal enum NetworkFailure
{
    /// <summary>Not a network failure: the service answered, or something else went wrong.</summary>
    None,

    /// <summary>The host name of the endpoint did not resolve.</summary>
    NameNotResolved,

    /// <summary>Nothing listens at the endpoint: the connection was refused.</summary>
    ConnectionRefused,

    /// <summary>The call timed out: connected, or trying to, and no answer came.</summary>
    NoAnswer,

    /// <summary>The connection broke (reset, closed early).</summary>
    ConnectionBroken,

    /// <summary>The TLS handshake failed: the endpoint does not speak TLS (an http:// server called as https://), or its certificate is not trusted here.</summary>
    TlsFailed,
}

/// <summary>Reads a <see cref="NetworkFailure"/> from an error, and says it in words.</summary>
internal static class NetworkFailures
{
    /// <summary>The network failure behind <paramref name="exception"/>, or <see cref="NetworkFailure.None"/>.</summary>
    /// <param name="exception">The error.</param>
    /// <param name="cancellationToken">The caller's token: a cancellation it asked for is not a network failure.</param>
    public static NetworkFailure Classify(Exception exception, CancellationToken cancellationToken)
    {
        NetworkFailure found = NetworkFailure.None;
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            NetworkFailure here = current switch
            {
                HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError } => NetworkFailure.NameNotResolved,
                SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain } => NetworkFailure.NameNotResolved,
                SocketException { SocketErrorCode: SocketError.ConnectionRefused } => NetworkFailure.ConnectionRefused,
                Polly.Timeout.TimeoutRejectedException or TimeoutException => NetworkFailure.NoAnswer,
                OperationCanceledException when !cancellationToken.IsCancellationRequested => NetworkFailure.NoAnswer,
                AuthenticationException => NetworkFailure.TlsFailed,
                HttpRequestException or IOException or SocketException => NetworkFailure.ConnectionBroken,
                _ => NetworkFailure.None,
            };

            // The most specific reason wins: a refused connection inside an HttpRequestException is a refusal.
            if (here != NetworkFailure.None && (found == NetworkFailure.None || found == NetworkFailure.ConnectionBroken))
            {
                found = here;
            }
        }

        return found;
    }

    /// <summary>
    /// What to do about a failed TLS handshake (<see cref="NetworkFailure.TlsFailed"/>), for S3 and STS alike: with AWS's
    /// own endpoint (<paramref name="endpointSetting"/> null), trust its certificates; with one that was given, write
    /// http:// in that setting if it speaks plain HTTP, or trust its certificate.
    /// </summary>
    /// <param name="endpointSetting">The name of the setting that gave the endpoint, as the user wrote it; null for AWS's.</param>
    public static string TlsAdvice(string? endpointSetting) => endpointSetting is null
        ? "Check that this machine trusts AWS's certificates (a proxy that inspects TLS needs its root certificate installed here)."
        : $"If the endpoint speaks plain HTTP, write http:// in {endpointSetting}; if it speaks TLS, check that this machine trusts its certificate.";

    /// <summary>
    /// What to do about a connection that broke (<see cref="NetworkFailure.ConnectionBroken"/>), for S3 and STS alike: it is
    /// retried, and when it keeps breaking, the endpoint or something between it and here is the cause.
    /// </summary>
    /// <param name="endpointSetting">The name of the setting that gave the endpoint, as the user wrote it; null for AWS's.</param>
    public static string BrokenAdvice(string? endpointSetting) =>
        "Deliveries retry a broken connection; if it keeps breaking, check that the endpoint is up and that nothing between here and it (a proxy, a firewall, " +
        "a load balancer) cuts connections" + (endpointSetting is null ? "." : $" ({endpointSetting}).");

    /// <summary>The innermost message of the chain, for "the connection broke: ..." (without a trailing period).</summary>
    public static string InnermostMessage(Exception exception)
    {
        Exception innermost = exception;
        while (innermost.InnerException is not null)
        {
            innermost = innermost.InnerException;
        }

        return innermost.Message.TrimEnd('.');
    }
}
