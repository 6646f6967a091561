using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using RawDataDestination.Internal;

namespace RawDataDestination.Staging;

/// <summary>The stage's instruments, on the library's one meter (<see cref="Telemetry.Meter"/>).</summary>
internal static class StagingTelemetry
{
    public static readonly Counter<long> Staged = Telemetry.Meter.CreateCounter<long>("rawdata.staging.staged", "{batch}", "Sealed batches written to the staging bucket.");

    public static readonly Counter<long> Delivered = Telemetry.Meter.CreateCounter<long>("rawdata.staging.delivered", "{batch}", "Staged batches copied to the customer's bucket and removed from staging.");

    public static readonly Counter<long> Parked = Telemetry.Meter.CreateCounter<long>("rawdata.staging.park_events", "{batch}", "Customer writes of staged batches refused for a reason retrying cannot fix; tag 'error.code'.");

    public static readonly Counter<long> CopyFailures = Telemetry.Meter.CreateCounter<long>("rawdata.staging.copy_failures", "{batch}", "Copies of staged batches that failed for a transient reason and wait for the next pass; tag 'error.type'.");

    public static readonly Counter<long> Expiring = Telemetry.Meter.CreateCounter<long>("rawdata.staging.expiring", "{batch}", "Warnings about parked batches near the end of their retention.");

    public static readonly Counter<long> Expired = Telemetry.Meter.CreateCounter<long>("rawdata.staging.expired", "{batch}", "Staged batches deleted undelivered at the end of their retention.");

    public static readonly Counter<long> Unconfirmed = Telemetry.Meter.CreateCounter<long>("rawdata.staging.unconfirmed", "{batch}", "Staged objects a copier will not send because nothing confirms they were staged for its destination; left for a person.");

    private static readonly ConditionalWeakTable<StagedBatchCopier, object> LiveCopiers = new();

    public static readonly ObservableGauge<int> ParkedNow = Telemetry.Meter.CreateObservableGauge(
        "rawdata.staging.parked", ObserveParked, "{batch}", "Parked batches at each copier's last pass; tag 'aws.s3.bucket' (the customer's bucket).");

    /// <summary>Adds a copier to <c>rawdata.staging.parked</c> for as long as it lives.</summary>
    public static void Track(StagedBatchCopier copier) => LiveCopiers.AddOrUpdate(copier, Telemetry.Name);

    /// <summary>Removes a disposed copier from <c>rawdata.staging.parked</c>.</summary>
    public static void Untrack(StagedBatchCopier copier) => LiveCopiers.Remove(copier);

    private static IEnumerable<Measurement<int>> ObserveParked()
    {
        foreach (KeyValuePair<StagedBatchCopier, object> entry in LiveCopiers)
        {
            yield return new Measurement<int>(entry.Key.ParkedBatchCount, Telemetry.Tag("aws.s3.bucket", entry.Key.Destination.Location.BucketName));
        }
    }
}
