namespace RawDataDestination.Tests.Support;

/// <summary>
/// The fault proxy in front of moto's STS, with the knobs tests need that a real STS has no switch for: an outage
/// (503 ServiceUnavailable, as STS answers it), credentials that expire a chosen time after issue (the answer's
/// <c>Expiration</c> rewritten: moto stamps it from the real clock, tests run on fake ones), and counts of the
/// AssumeRole calls seen and granted. Everything else (signature, caller, trust policy, external id) is moto's.
/// </summary>
internal sealed partial class StsProxy : IAsyncDisposable
{
    private readonly FaultProxy proxy;
    private volatile bool down;
    private int expirySeconds;

    private StsProxy(Uri upstream) => proxy = new FaultProxy(upstream, Decide);

    /// <summary>Gets the proxy's URL, for <c>StsServiceUrl</c> (http://127.0.0.1:PORT).</summary>
    public string ServiceUrl => proxy.ServiceUrl.ToString().TrimEnd('/');

    public static StsProxy Start(string stsUrl) => new(new Uri(stsUrl));

    /// <summary>AssumeRole requests received so far, granted or not (each SDK retry counts).</summary>
    public Task<int> GetCallCountAsync()
    {
        lock (proxy.Log)
        {
            return Task.FromResult(proxy.Log.Count);
        }
    }

    /// <summary>AssumeRole requests that STS granted (answered 200) so far.</summary>
    public Task<int> GetGrantedCountAsync()
    {
        lock (proxy.Exchanges)
        {
            return Task.FromResult(proxy.Exchanges.Count(e => e.AnswerStatus == 200));
        }
    }

    /// <summary>Credentials issued after this call expire <paramref name="seconds"/> after issue; 0 leaves STS's own expiry (DurationSeconds).</summary>
    public Task SetExpiryAsync(int seconds)
    {
        Volatile.Write(ref expirySeconds, seconds);
        return Task.CompletedTask;
    }

    /// <summary>While down, AssumeRole answers 503 ServiceUnavailable.</summary>
    public Task SetDownAsync(bool isDown)
    {
        down = isDown;
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => proxy.DisposeAsync();

    [GeneratedRegex("<Expiration>[^<]*</Expiration>")]
    private static partial Regex Expiration();

    private ProxyDecision Decide(ProxyRequest request)
    {
        if (down)
        {
            return new ProxyDecision(
                ProxyAction.Respond,
                503,
                "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code><Message>Service is unavailable</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>");
        }

        int seconds = Volatile.Read(ref expirySeconds);
        if (seconds <= 0)
        {
            return ProxyAction.Forward;
        }

        return new ProxyDecision(ProxyAction.Forward, RewriteAnswer: body =>
        {
            string expiry = TimeProvider.System.GetUtcNow().AddSeconds(seconds).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            return Expiration().Replace(body, $"<Expiration>{expiry}</Expiration>");
        });
    }
}
