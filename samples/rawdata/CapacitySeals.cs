using System.Diagnostics.Metrics;
using RawDataDestination.Batching;
using RawDataDestination.Internal;

namespace RawDataDestination.Cli;

/// <summary>
/// Counts the batches the buffer sealed early to keep its open batches within <see cref="BatchBufferOptions.MaxOpenBatches"/>
/// (cause <see cref="SealCause.Capacity"/>), from the library's <c>rawdata.batches.sealed</c> counter: with a spool under
/// a low open-file limit, a backfill in random day order wrote 57,285 objects for 60,000 events, and said nothing of it.
/// </summary>
internal sealed class CapacitySeals : IDisposable
{
    private static readonly string Capacity = SealPolicy.CauseTag(SealCause.Capacity);
    private readonly MeterListener _listener = new();
    private long _count;

    /// <summary>Starts counting: before the buffer is built, so that no seal goes uncounted.</summary>
    public CapacitySeals()
    {
        _listener.InstrumentPublished = static (instrument, listener) =>
        {
            if (ReferenceEquals(instrument, Telemetry.BatchesSealed))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == "cause" && Capacity.Equals(tag.Value))
                {
                    Interlocked.Add(ref _count, value);
                }
            }
        });
        _listener.Start();
    }

    /// <summary>Gets the batches sealed early so far.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>Stops counting.</summary>
    public void Dispose() => _listener.Dispose();
}
