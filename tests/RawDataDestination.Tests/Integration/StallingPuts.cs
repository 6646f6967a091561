namespace RawDataDestination.Tests.Integration;

/// <summary>
/// A fault proxy in front of moto's S3 that leaves every PUT under one path prefix unanswered while it is silent, and
/// counts those PUTs: a bucket (a customer's, or the staging bucket) that never answers, or that worked and then stops.
/// Every other request is forwarded.
/// </summary>
internal sealed class StallingPuts : IAsyncDisposable
{
    private readonly string _pathPrefix;
    private bool _silent;
    private int _stalled;

    private StallingPuts(string pathPrefix, bool silent)
    {
        _pathPrefix = pathPrefix;
        _silent = silent;
        Proxy = MotoFaults.Proxy(Decide);
    }

    /// <summary>Gets the proxy, to read its log.</summary>
    public FaultProxy Proxy { get; }

    /// <summary>Gets the proxy's address, to give as the S3 endpoint.</summary>
    public Uri ServiceUrl => Proxy.ServiceUrl;

    /// <summary>Gets how many PUTs were left unanswered so far.</summary>
    public int Stalled => Volatile.Read(ref _stalled);

    /// <summary>Starts a proxy that stalls PUTs whose path starts with <paramref name="pathPrefix"/> once told to (or from the start).</summary>
    public static StallingPuts Under(string pathPrefix, bool silentFromStart = false) => new(pathPrefix, silentFromStart);

    /// <summary>From now on, leaves the PUTs under the prefix unanswered.</summary>
    public void GoSilent() => Volatile.Write(ref _silent, true);

    /// <summary>From now on, forwards the PUTs under the prefix again.</summary>
    public void AnswerAgain() => Volatile.Write(ref _silent, false);

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => Proxy.DisposeAsync();

    private ProxyDecision Decide(ProxyRequest request)
    {
        if (Volatile.Read(ref _silent) && request.Method == "PUT" && request.Path.StartsWith(_pathPrefix, StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _stalled);
            return ProxyAction.Stall;
        }

        return ProxyAction.Forward;
    }
}
