namespace RawDataDestination.Sts;

/// <summary>
/// One <see cref="AssumeRoleCredentials"/> per role, external id, session and STS endpoint, shared by every destination
/// in the process that uses them, so they share one cache and one refresh. Each destination holds a lease; when the last
/// lease is returned the entry is evicted and its STS client disposed, so customers that come and go leave nothing behind.
/// </summary>
internal static class SharedCredentialsCache
{
    private static readonly Dictionary<Key, Entry> Entries = [];

    /// <summary>Gets how many credentials are cached now (for tests and the memory benchmark).</summary>
    public static int Count
    {
        get
        {
            lock (Entries)
            {
                return Entries.Count;
            }
        }
    }

    /// <summary>Returns the shared credentials for <paramref name="key"/>, creating them on first use, and takes a lease on them.</summary>
    public static Lease Acquire(Key key, Func<AssumeRoleCredentials> create)
    {
        lock (Entries)
        {
            if (!Entries.TryGetValue(key, out Entry? entry))
            {
                entry = new Entry(create());
                Entries.Add(key, entry);
            }

            entry.Leases++;
            return new Lease(key, entry.Credentials);
        }
    }

    /// <summary>Returns a lease; the last one evicts the entry and disposes its STS client.</summary>
    private static void Release(Key key, AssumeRoleCredentials credentials)
    {
        lock (Entries)
        {
            if (!Entries.TryGetValue(key, out Entry? entry) || !ReferenceEquals(entry.Credentials, credentials) || --entry.Leases > 0)
            {
                return;
            }

            Entries.Remove(key);
        }

        credentials.ReleaseClient();
    }

    /// <summary>
    /// What makes two destinations' credentials interchangeable: the same session of the same role, asked of the same STS
    /// endpoint. <c>BaseCredentials</c> is the host's credentials object, or <see langword="null"/> for the default chain.
    /// </summary>
    internal readonly record struct Key(RoleSession Session, string StsRegion, Uri? StsServiceUrl, object? BaseCredentials);

    /// <summary>A destination's hold on shared credentials; dispose it once, when the destination is disposed.</summary>
    internal sealed class Lease(Key key, AssumeRoleCredentials credentials) : IDisposable
    {
        private int _returned;

        public AssumeRoleCredentials Credentials { get; } = credentials;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _returned, 1) == 0)
            {
                Release(key, Credentials);
            }
        }
    }

    private sealed class Entry(AssumeRoleCredentials credentials)
    {
        public AssumeRoleCredentials Credentials { get; } = credentials;

        public int Leases { get; set; }
    }
}
