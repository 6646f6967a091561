using Amazon.SecurityToken.Model;

namespace RawDataDestination.Sts;

/// <summary>
/// The session an <see cref="AssumeRoleCredentials"/> asks STS for: which role, with which external id, under which session
/// name, for how long. It is what AssumeRole is called with, and part of what makes two destinations' credentials the same
/// (<see cref="SharedCredentialsCache.Key"/>).
/// </summary>
/// <param name="RoleArn">The role to assume.</param>
/// <param name="ExternalId">The external id the role's trust policy requires.</param>
/// <param name="RoleSessionName">The session name, visible in the customer's CloudTrail.</param>
/// <param name="SessionDuration">How long each set of credentials lasts.</param>
internal sealed record RoleSession(string RoleArn, string ExternalId, string RoleSessionName, TimeSpan SessionDuration)
{
    /// <summary>The AssumeRole request for this session.</summary>
    public AssumeRoleRequest ToRequest() => new()
    {
        RoleArn = RoleArn,
        ExternalId = ExternalId,
        RoleSessionName = RoleSessionName,
        DurationSeconds = (int)SessionDuration.TotalSeconds,
    };
}
