namespace RawDataDestination.Tests.Support;

/// <summary>The service's identity as a child process's environment: its key, found by the AWS SDK's default chain.</summary>
internal static class ServiceIdentityEnvironment
{
    /// <summary>The access key of <paramref name="service"/> as <c>AWS_ACCESS_KEY_ID</c> and <c>AWS_SECRET_ACCESS_KEY</c>.</summary>
    public static Dictionary<string, string> Environment(this ServiceIdentity service) => new()
    {
        ["AWS_ACCESS_KEY_ID"] = service.Key.AccessKeyId,
        ["AWS_SECRET_ACCESS_KEY"] = service.Key.SecretAccessKey,
    };
}
