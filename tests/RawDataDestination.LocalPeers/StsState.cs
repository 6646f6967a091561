namespace RawDataDestination.LocalPeers;

/// <summary>Mutable, thread-safe state of the STS peer: counters and the knobs the admin endpoints turn.</summary>
internal sealed class StsState(int expirySeconds)
{
    private int calls;
    private int granted;
    private int denied;
    private int expiry = expirySeconds;
    private int down;
    private int externalIdRequired = 1;

    public int Calls => Volatile.Read(ref calls);

    public int Granted => Volatile.Read(ref granted);

    public int Denied => Volatile.Read(ref denied);

    public int ExpirySeconds
    {
        get => Volatile.Read(ref expiry);
        set => Volatile.Write(ref expiry, value);
    }

    /// <summary>Whether the trust policy has the <c>sts:ExternalId</c> condition (true by default).</summary>
    public bool ExternalIdRequired
    {
        get => Volatile.Read(ref externalIdRequired) != 0;
        set => Volatile.Write(ref externalIdRequired, value ? 1 : 0);
    }

    public bool IsDown
    {
        get => Volatile.Read(ref down) != 0;
        set => Volatile.Write(ref down, value ? 1 : 0);
    }

    public void CountCall() => Interlocked.Increment(ref calls);

    public void CountGranted() => Interlocked.Increment(ref granted);

    public void CountDenied() => Interlocked.Increment(ref denied);
}
