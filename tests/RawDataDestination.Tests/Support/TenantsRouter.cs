namespace RawDataDestination.Tests.Support;

/// <summary>
/// Tenants as a <see cref="DestinationRouter"/> sees them, in memory: a source listed routes to its tenant's lane; one
/// not listed is refused (NoDestination) at append and, sealed, refused permanently by the consumer (a batch sealed while
/// it was listed keeps its tenant, as a <see cref="TenantDestination"/> route state does). Every delivered batch is
/// recorded with its tenant.
/// </summary>
internal sealed class TenantsRouter(TimeProvider time) : ISealedBatchConsumer, IBatchRouter, IUnroutedBatchRefusal
{
    private readonly ConcurrentDictionary<string, string> _tenantOf = new(StringComparer.Ordinal);

    public ConcurrentQueue<(string Tenant, string Source, string[] MessageIds)> Delivered { get; } = new();

    public ConcurrentQueue<string> SeenLanes { get; } = new();

    public TimeSpan UploadTime { get; init; }

    public volatile string? ThrowFor;

    public volatile bool RefuseUnrouted;

    /// <summary>Makes every delivery fail as a customer's S3 that does not answer does (retried, never a refusal).</summary>
    public volatile bool Unreachable;

    public void List(string tenant, IEnumerable<string> sources)
    {
        foreach (string source in sources)
        {
            _tenantOf[source] = tenant;
        }
    }

    public void Unlist(string tenant)
    {
        foreach (string source in _tenantOf.Where(p => p.Value == tenant).Select(p => p.Key).ToList())
        {
            _tenantOf.TryRemove(source, out _);
        }
    }

    public BatchRoute Route(string sourceId)
    {
        if (ThrowFor is { } prefix && sourceId.StartsWith(prefix, StringComparison.Ordinal))
        {
            throw new InvalidOperationException("the routing settings are broken");
        }

        return _tenantOf.TryGetValue(sourceId, out string? tenant)
            ? new BatchRoute(tenant, tenant)
            : throw new EventRejectedException(EventRejectionReason.NoDestination, $"Source '{sourceId}' has no destination.");
    }

    /// <summary>Makes <see cref="WouldRefuseUnrouted"/> throw, as a host's resolver that fails would.</summary>
    public volatile bool RefusalQuestionThrows;

    /// <summary>ConsumeAsync's own rule for a batch with no route state, as <see cref="DestinationRouter"/>'s.</summary>
    public bool WouldRefuseUnrouted(string sourceId) => RefusalQuestionThrows
        ? throw new InvalidOperationException("the tenants store is unreachable")
        : RefuseUnrouted || !_tenantOf.ContainsKey(sourceId);

    public async Task<BatchReceipt> ConsumeAsync(SealedBatch batch, CancellationToken cancellationToken)
    {
        SeenLanes.Enqueue(batch.Lane);
        if (Unreachable)
        {
            throw new IOException("the customer's S3 did not answer");
        }

        string tenant = batch.RouteState as string
            ?? (!RefuseUnrouted && _tenantOf.TryGetValue(batch.SourceId, out string? now) ? now : null)
            ?? throw new DestinationException("NoDestination", isPermanent: true, $"Source '{batch.SourceId}' has no destination any more.", null);
        if (UploadTime > TimeSpan.Zero)
        {
            await Task.Delay(UploadTime, time, cancellationToken);
        }

        string[] ids = [.. Gzip.Lines(batch.ReadAllBytes()).Select(line => JsonDocument.Parse(line).RootElement.GetProperty("messageId").GetString()!)];
        Delivered.Enqueue((tenant, batch.SourceId, ids));
        return BatchReceipt.For(batch, $"memory:{tenant}/{batch.FileName}");
    }
}
