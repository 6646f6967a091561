using System.Collections.Concurrent;

namespace RawDataDestination.Sts;

/// <summary>
/// One <see cref="AssumeRoleCredentials"/> per role, external id, session and STS endpoint, shared by every destination
/// in the process that uses them, so they share one cache and one refresh.
/// </summary>
internal static class SharedCredentialsCache
{
    private static readonly ConcurrentDictionary<Key, Lazy<AssumeRoleCredentials>> Entries = new();

    /// <summary>Returns the shared credentials for <paramref name="key"/>, creating them on first use.</summary>
    public static AssumeRoleCredentials GetOrCreate(Key key, Func<AssumeRoleCredentials> create) =>
        Entries.GetOrAdd(key, _ => new Lazy<AssumeRoleCredentials>(create)).Value;

    /// <summary>
    /// What makes two destinations' credentials interchangeable. <c>BaseCredentials</c> is the host's credentials
    /// object, or <see langword="null"/> for the default chain.
    /// </summary>
    internal readonly record struct Key(
        string RoleArn,
        string ExternalId,
        string RoleSessionName,
        TimeSpan SessionDuration,
        string StsRegion,
        Uri? StsServiceUrl,
        object? BaseCredentials);
}
