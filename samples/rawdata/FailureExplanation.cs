using System.Net.Http;
using System.Net.Sockets;
using RawDataDestination.S3;

namespace RawDataDestination.Cli;

/// <summary>
/// The most useful message for a delivery failure: the library's own explanation when there is one (it says what to
/// check); for a network failure, which service could not be reached (STS or S3), and the region when a host name did
/// not resolve.
/// </summary>
internal static class FailureExplanation
{
    public static string Explain(Exception? exception, S3RoleDestinationOptions options)
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            if (current is DestinationException explained)
            {
                return UserWords.Apply(explained.Message);
            }
        }

        if (exception is null)
        {
            return "unknown error.";
        }

        // host:port for an endpoint URL (the two local peers share a host), the host name for AWS's own endpoints.
        string stsHost = options.StsServiceUrl?.Authority ?? $"sts.{options.StsRegion ?? options.Region}.amazonaws.com";
        string s3Host = options.ServiceUrl?.Authority ?? ".amazonaws.com";
        string all = string.Join(" | ", Chain(exception).Select(e => e.Message + " " + e.StackTrace));
        bool sts = all.Contains(stsHost, StringComparison.OrdinalIgnoreCase)
            || (!all.Contains(s3Host, StringComparison.OrdinalIgnoreCase) && all.Contains("SecurityToken", StringComparison.Ordinal))
            || (all.Contains("SecurityToken", StringComparison.Ordinal) && !all.Contains("AmazonS3Client", StringComparison.Ordinal));
        string service = sts ? "STS" : "S3";
        string endpoint = sts
            ? options.StsServiceUrl?.ToString() ?? $"https://{stsHost}"
            : options.ServiceUrl?.ToString() ?? $"S3 in {options.Region}";
        Exception innermost = Chain(exception).Last();
        if (Chain(exception).Any(IsNameNotResolved))
        {
            string fix = sts
                ? options.StsServiceUrl is null
                    ? $"check --{(options.StsRegion is null ? "region" : "sts-region")} '{options.StsRegion ?? options.Region}' (the STS host is sts.{{region}}.amazonaws.com)"
                    : "check --sts-endpoint-url"
                : options.ServiceUrl is null ? $"check --region '{options.Region}'" : "check --endpoint-url";
            return $"Could not reach {service} ({endpoint}): its host name did not resolve; {fix}, and this machine's DNS.";
        }

        if (Chain(exception).Any(e => e is OperationCanceledException or TimeoutException))
        {
            return $"{service} ({endpoint}) did not answer. Check that it is up and reachable from here"
                + (sts ? " (--sts-endpoint-url if set)." : " (--endpoint-url if set).");
        }

        return $"Could not reach {service} ({endpoint}): {innermost.Message.TrimEnd('.')}. Check the network path to it, "
            + (sts ? "--sts-endpoint-url if set, " : "--endpoint-url if set, ")
            + "and this service's AWS credentials.";
    }

    private static bool IsNameNotResolved(Exception exception) => exception switch
    {
        HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError } => true,
        SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain } => true,
        _ => false,
    };

    private static IEnumerable<Exception> Chain(Exception exception)
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            yield return current;
        }
    }
}
