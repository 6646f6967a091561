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

    public async Task ConsumeAsync(SealedBatch batch, CancellationToken cancellationToken)
    {
        if (!routes.TryGetValue(batch.SourceId, out string? environment))
        {
            throw new InvalidOperationException($"Source '{batch.SourceId}' has no route; add --Routes:{batch.SourceId} staging|production.");
        }

        S3RoleDestination destination = destinations.GetDestination(environment);
        UploadedObject uploaded = await destination.UploadAsync(batch, cancellationToken);
        _delivered.Add($"{batch.SourceId} -> {environment}: s3://{uploaded.Bucket}/{uploaded.Key} ({uploaded.EventCount} events)");
    }
}
