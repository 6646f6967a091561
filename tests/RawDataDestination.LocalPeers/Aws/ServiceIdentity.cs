namespace RawDataDestination.LocalPeers.Aws;

/// <summary>The service's own identity (an IAM user): its ARN, name and access key, the base credentials of AssumeRole.</summary>
/// <param name="UserName">The user's name.</param>
/// <param name="Arn">The user's ARN, the principal a customer's trust policy names.</param>
/// <param name="Key">The user's access key.</param>
internal sealed record ServiceIdentity(string UserName, string Arn, AccessKey Key);
