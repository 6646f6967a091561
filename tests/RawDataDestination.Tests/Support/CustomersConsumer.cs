namespace RawDataDestination.Tests.Support;

/// <summary>How a customer's destination behaves, in <see cref="CustomersConsumer"/>.</summary>
public enum CustomerHealth
{
    Healthy,

    /// <summary>Every attempt fails at once with a transient error (a 503).</summary>
    FailsAtOnce,

    /// <summary>Every attempt hangs until cancelled (an endpoint that accepts and never answers).</summary>
    NeverAnswers,

    /// <summary>Every attempt is refused permanently (revoked trust, a deleted bucket).</summary>
    Refuses,
}

/// <summary>
/// A consumer that stands for many customers' destinations, one per lane: each lane is healthy or broken on demand, and
/// every delivered event is recorded with its lane, in delivery order.
/// </summary>
internal sealed class CustomersConsumer : ISealedBatchConsumer
{
    private readonly ConcurrentDictionary<string, CustomerHealth> _health = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _inFlight = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _maxInFlight = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _attempts = new(StringComparer.Ordinal);

    /// <summary>Gets every delivered batch, in the order deliveries completed.</summary>
    public ConcurrentQueue<(string Lane, string FileName, string[] MessageIds)> Delivered { get; } = new();

    public void Set(string lane, CustomerHealth health) => _health[lane] = health;

    public int Attempts(string lane) => _attempts.GetValueOrDefault(lane);

    public int MaxInFlight(string lane) => _maxInFlight.GetValueOrDefault(lane);

    public IEnumerable<string> MessageIds(string lane) => Delivered.Where(d => d.Lane == lane).SelectMany(d => d.MessageIds);

    public async Task<BatchReceipt> ConsumeAsync(SealedBatch batch, CancellationToken cancellationToken)
    {
        string lane = batch.Lane;
        _attempts.AddOrUpdate(lane, 1, (_, n) => n + 1);
        int now = _inFlight.AddOrUpdate(lane, 1, (_, n) => n + 1);
        _maxInFlight.AddOrUpdate(lane, now, (_, n) => Math.Max(n, now));
        try
        {
            switch (_health.GetValueOrDefault(lane))
            {
                case CustomerHealth.FailsAtOnce:
                    throw new IOException($"503 SlowDown from {lane}'s bucket");
                case CustomerHealth.NeverAnswers:
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                    break;
                case CustomerHealth.Refuses:
                    throw new DestinationException("AccessDenied", isPermanent: true, $"{lane}'s role no longer trusts the service.", null);
            }

            string[] ids = Gzip.Lines(batch.ReadAllBytes()).Select(line => JsonDocument.Parse(line).RootElement.GetProperty("messageId").GetString()!).ToArray();
            Delivered.Enqueue((lane, batch.FileName, ids));
            return BatchReceipt.For(batch, $"memory:{lane}/{batch.FileName}");
        }
        finally
        {
            _inFlight.AddOrUpdate(lane, 0, (_, n) => n - 1);
        }
    }
}
