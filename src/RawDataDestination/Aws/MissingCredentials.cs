using Amazon.Runtime;
using Amazon.Runtime.CredentialManagement;

namespace RawDataDestination.Aws;

/// <summary>
/// The rule that tells a request this service could not sign for want of AWS credentials of its own from other errors,
/// as each AWS SDK version this package runs on reports it: with none found, 4.0 falls through to a Signature V4a signer
/// that needs an extra package (<see cref="AWSCommonRuntimeException"/>); 4.1 says "Failed to resolve AWS credentials";
/// and 4.1 stops at a profile that AWS_PROFILE names and no file holds (<see cref="ProfileNotFoundException"/>). No retry
/// helps: the STS and S3 explanations report it as permanent.
/// </summary>
internal static class MissingCredentials
{
    /// <summary>Whether <paramref name="error"/> (or what it wraps) says that no credentials were found to sign with.</summary>
    /// <param name="error">The error of an AWS call.</param>
    public static bool In(Exception error)
    {
        for (Exception? current = error; current is not null; current = current.InnerException)
        {
            if (current is AWSCommonRuntimeException or ProfileNotFoundException
                || (current is AmazonClientException && current.Message.StartsWith("Failed to resolve AWS credentials", StringComparison.Ordinal)))
            {
                return true;
            }
        }

        return false;
    }
}
