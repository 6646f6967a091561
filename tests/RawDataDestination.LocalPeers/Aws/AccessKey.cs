namespace RawDataDestination.LocalPeers.Aws;

/// <summary>An access key pair, with the session token of temporary credentials.</summary>
/// <param name="AccessKeyId">The access key id.</param>
/// <param name="SecretAccessKey">The secret access key.</param>
/// <param name="SessionToken">The session token, for temporary credentials only.</param>
internal sealed record AccessKey(string AccessKeyId, string SecretAccessKey, string? SessionToken = null);
