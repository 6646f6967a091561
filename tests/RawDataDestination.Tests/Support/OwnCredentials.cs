namespace RawDataDestination.Tests.Support;

/// <summary>
/// A key pair as credentials that equal only themselves. <c>BasicAWSCredentials</c> compares by key, so two of them
/// for one key would share the library's credential cache (keyed by the base credentials); tests that count AssumeRole
/// calls need a cache of their own.
/// </summary>
internal sealed class OwnCredentials(string accessKeyId, string secretAccessKey) : AWSCredentials
{
    private readonly ImmutableCredentials credentials = new(accessKeyId, secretAccessKey, null);

    public override ImmutableCredentials GetCredentials() => credentials.Copy();
}
