namespace RawDataDestination.Tests.Integration;

/// <summary>Fault proxies in front of moto's S3 (<see cref="SharedPeers.S3"/>).</summary>
internal static class MotoFaults
{
    /// <summary>A proxy in front of moto's S3 that does to each request what <paramref name="decide"/> says.</summary>
    public static FaultProxy Proxy(Func<ProxyRequest, ProxyDecision> decide) => new(new Uri(SharedPeers.S3.ServiceUrl), decide);

    /// <summary>A proxy in front of moto's S3 that answers the first PUT with <paramref name="first"/> and forwards everything else.</summary>
    public static FaultProxy FirstPut(ProxyDecision first)
    {
        int puts = 0;
        return Proxy(request => request.Method == "PUT" && Interlocked.Increment(ref puts) == 1 ? first : ProxyAction.Forward);
    }
}
