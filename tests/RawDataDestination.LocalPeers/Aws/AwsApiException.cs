namespace RawDataDestination.LocalPeers.Aws;

/// <summary>An error answer of an AWS API: its HTTP status, error code and message.</summary>
internal sealed class AwsApiException(int status, string code, string message)
    : Exception($"{code} ({status}): {message}")
{
    /// <summary>Gets the HTTP status code.</summary>
    public int Status { get; } = status;

    /// <summary>Gets the AWS error code (AccessDenied, EntityAlreadyExists, ...).</summary>
    public string Code { get; } = code;
}
