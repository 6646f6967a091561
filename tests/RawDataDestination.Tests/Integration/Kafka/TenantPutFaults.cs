namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// A fault proxy in front of moto's S3 that breaks chosen tenants' PUTs: while the faults are on, a PUT of tenant k's
/// objects (under <see cref="HeldTenantRun.TenantPath"/> of the customer's bucket) gets the fault given for k; every other
/// request is forwarded. <see cref="Heal()"/> turns them all off (the customers answer again), <see cref="Heal(int)"/> one.
/// </summary>
internal sealed class TenantPutFaults : IAsyncDisposable
{
    private readonly string _customer;
    private readonly ConcurrentDictionary<int, ProxyDecision> _faults;
    private readonly FaultProxy _proxy;

    private TenantPutFaults(string customer, IEnumerable<(int Tenant, ProxyDecision Fault)> faults)
    {
        _customer = customer;
        _faults = new(faults.Select(f => KeyValuePair.Create(f.Tenant, f.Fault)));
        _proxy = MotoFaults.Proxy(Decide);
    }

    /// <summary>Gets the proxy's URL, the S3 endpoint to give the program (<c>--endpoint-url</c>) or the destinations.</summary>
    public Uri ServiceUrl => _proxy.ServiceUrl;

    /// <summary>Starts a proxy that answers each PUT of tenant <c>Tenant</c> of <paramref name="customer"/>'s bucket with <c>Fault</c>.</summary>
    public static TenantPutFaults Start(string customer, params (int Tenant, ProxyDecision Fault)[] faults) => new(customer, faults);

    /// <summary>Whether <paramref name="request"/> is a PUT of tenant <paramref name="k"/>'s objects in <paramref name="customer"/>'s bucket.</summary>
    public static bool IsPutOf(string customer, int k, ProxyRequest request) =>
        request.Method == "PUT" && request.Path.StartsWith(HeldTenantRun.TenantPath(customer, k), StringComparison.Ordinal);

    /// <summary>Gives tenant <paramref name="k"/>'s PUTs <paramref name="fault"/> from now on (a slow answer, for one).</summary>
    public void Set(int k, ProxyDecision fault) => _faults[k] = fault;

    /// <summary>Turns every fault off: every request is forwarded from now on.</summary>
    public void Heal() => _faults.Clear();

    /// <summary>Turns tenant <paramref name="k"/>'s fault off; the others' stay.</summary>
    public void Heal(int k) => _faults.TryRemove(k, out _);

    public ValueTask DisposeAsync() => _proxy.DisposeAsync();

    private ProxyDecision Decide(ProxyRequest request)
    {
        foreach ((int k, ProxyDecision fault) in _faults)
        {
            if (IsPutOf(_customer, k, request))
            {
                return fault;
            }
        }

        return ProxyAction.Forward;
    }
}
