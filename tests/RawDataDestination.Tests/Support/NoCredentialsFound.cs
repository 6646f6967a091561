namespace RawDataDestination.Tests.Support;

/// <summary>
/// Credentials that fail as the AWS SDK's default chain fails when it finds none (no variables, no profile, no instance
/// role): an in-process stand-in for a service started without credentials, while the test process has some.
/// </summary>
internal sealed class NoCredentialsFound : AWSCredentials
{
    public override ImmutableCredentials GetCredentials() => throw NotFound();

    public override Task<ImmutableCredentials> GetCredentialsAsync() => Task.FromException<ImmutableCredentials>(NotFound());

    private static AmazonClientException NotFound() => new(
        "Failed to resolve AWS credentials. The credential providers used to search for credentials returned the following errors: " +
        "Exception 1 of 1: The environment variables AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN were not set with AWS credentials.");
}
