using RawDataDestination.Batching;
using RawDataDestination.DependencyInjection;
using RawDataDestination.S3;

namespace RawDataDestination.MultiEnvironmentRouting;

/// <summary>Hands each sealed batch to the destination of its source's environment; a source without a route is refused, never sent to the wrong account.</summary>
internal sealed class EnvironmentRouter(IReadOnlyDictionary<string, string> routes, IS3RoleDestinationFactory destinations) : ISealedBatchConsumer
{
    private readonly List<string> _delivered = [];

    /// <summary>Gets one line per delivered batch: source, environment and object.</summary>
    public IReadOnlyList<string> Delivered => _delivered;

    /// <summary>Whether <paramref name="sourceId"/> has a route. The host refuses events of a source without one before buffering them.</summary>
    public bool HasRoute(string sourceId) => routes.ContainsKey(sourceId);

    /// <summary>Why a source is refused, and the fix.</summary>
    public static string NoRoute(string sourceId) => $"Source '{sourceId}' has no route; add --Routes:{sourceId} staging|production.";

    public async Task<BatchReceipt> ConsumeAsync(SealedBatch batch, CancellationToken cancellationToken)
    {
        // Never reached for a source the host checked; a batch without a route is never sent to some default account.
        if (!routes.TryGetValue(batch.SourceId, out string? environment))
        {
            throw new InvalidOperationException(NoRoute(batch.SourceId));
        }

        S3RoleDestination destination = destinations.GetDestination(environment);
        UploadedObject uploaded = await destination.UploadAsync(batch, cancellationToken);
        _delivered.Add($"{batch.SourceId} -> {environment}: s3://{uploaded.Bucket}/{uploaded.Key} ({uploaded.EventCount} events)");
        return uploaded.ToReceipt();
    }
}
