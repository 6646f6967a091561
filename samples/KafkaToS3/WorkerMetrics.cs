using System.Diagnostics.Metrics;

namespace RawDataDestination.KafkaToS3;

/// <summary>
/// The worker's own <see cref="Meter"/>, <c>RawDataDestination.KafkaToS3</c>, next to the library's
/// <c>RawDataDestination</c> meter (uploads, attempts, bytes out).
/// </summary>
internal static class WorkerMetrics
{
    public const string MeterName = "RawDataDestination.KafkaToS3";

    public static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> RecordsRead = Meter.CreateCounter<long>("kafkatos3.records.read", "{record}", "Records read from the topic.");

    public static readonly Counter<long> RecordsRejected = Meter.CreateCounter<long>("kafkatos3.records.rejected", "{record}", "Records refused; tag 'reason'.");

    public static readonly Counter<long> RecordsWithoutTenant = Meter.CreateCounter<long>("kafkatos3.records.no_tenant", "{record}", "Records whose source no tenant lists: refused, sent nowhere, committed past with their window (also in kafkatos3.records.rejected, reason NoDestination).");

    public static readonly Counter<long> BatchesStaged = Meter.CreateCounter<long>("kafkatos3.batches.staged", "{batch}", "Batches a customer's bucket did not take (or whose tenant's circuit was open), written to the staging bucket.");

    public static readonly Counter<long> StagedCopied = Meter.CreateCounter<long>("kafkatos3.staged.copied", "{object}", "Staged batches the worker's copiers delivered to customers' buckets.");

    public static readonly Counter<long> WindowsHeld = Meter.CreateCounter<long>("kafkatos3.windows.held", "{window}", "Windows held because batches were neither delivered nor staged; their partition waits and they are tried again.");

    public static readonly Counter<long> ObjectsUploaded = Meter.CreateCounter<long>("kafkatos3.objects.uploaded", "{object}", "Objects S3 confirmed in customers' buckets, delivered directly.");

    public static readonly Counter<long> OffsetsCommitted = Meter.CreateCounter<long>("kafkatos3.commits", "{commit}", "Offsets committed after their batch's objects were confirmed.");

    public static readonly Counter<long> BatchesDropped = Meter.CreateCounter<long>("kafkatos3.batches.dropped", "{batch}", "Open batches dropped uncommitted; tag 'cause' (revoked, lost, shutdown). The next owner rebuilds them.");
}
