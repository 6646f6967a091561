using System.Text.Json;

namespace RawDataDestination.Batching;

/// <summary>
/// Accumulates events per source and UTC received day, encoding them as gzip NDJSON as they arrive, and seals batches
/// by size, on a schedule, on <see cref="FlushAsync"/> and on dispose. Safe for many concurrent appenders.
/// </summary>
public interface IBatchBuffer : IAsyncDisposable
{
    /// <summary>Appends one event.</summary>
    /// <param name="sourceId">The source's id: 1–128 characters of <c>[A-Za-z0-9_.-]</c>, not <c>.</c> or <c>..</c>.</param>
    /// <param name="utf8Json">One JSON object as UTF-8 bytes. The bytes are copied; the caller may reuse the memory once the task completes.</param>
    /// <param name="cancellationToken">Cancels a wait for room when deliveries fall behind. A cancelled append did not take its event; once the event is taken, the append completes.</param>
    /// <returns>A task that completes when the event is in its batch.</returns>
    /// <exception cref="Ndjson.EventRejectedException">The event or source id is refused; the message says why. Other events are unaffected.</exception>
    ValueTask AppendAsync(string sourceId, ReadOnlyMemory<byte> utf8Json, CancellationToken cancellationToken = default);

    /// <summary>Appends one event given as a <see cref="JsonElement"/>.</summary>
    /// <param name="sourceId">The source's id: 1–128 characters of <c>[A-Za-z0-9_.-]</c>, not <c>.</c> or <c>..</c>.</param>
    /// <param name="json">One JSON object.</param>
    /// <param name="cancellationToken">Cancels a wait for room when deliveries fall behind. A cancelled append did not take its event; once the event is taken, the append completes.</param>
    /// <returns>A task that completes when the event is in its batch.</returns>
    /// <exception cref="Ndjson.EventRejectedException">The event or source id is refused; the message says why. Other events are unaffected.</exception>
    ValueTask AppendAsync(string sourceId, JsonElement json, CancellationToken cancellationToken = default);

    /// <summary>
    /// Seals every open batch and waits until every batch sealed so far has been delivered. Batches refused earlier
    /// are tried again first.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting; sealing and delivery go on.</param>
    /// <returns>A task that completes when everything appended before the call is delivered.</returns>
    /// <exception cref="BatchDeliveryException">A batch was refused permanently, or kept failing for the buffer's retry budget (<see cref="BatchBufferOptions.RetryBudget"/>): thrown once the batches of every other lane are delivered, naming the lanes given up. The batches are kept and their delivery goes on.</exception>
    Task FlushAsync(CancellationToken cancellationToken = default);
}
