using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;

namespace RawDataDestination.Internal;

/// <summary>The library's one <see cref="Meter"/> and <see cref="ActivitySource"/>, both named <c>RawDataDestination</c>.</summary>
internal static class Telemetry
{
    public const string Name = "RawDataDestination";

    private static readonly string? Version = typeof(Telemetry).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;

    public static readonly Meter Meter = new(Name, Version);

    public static readonly ActivitySource ActivitySource = new(Name, Version);

    public static readonly Counter<long> EventsAppended = Meter.CreateCounter<long>("rawdata.events.appended", "{event}", "Events accepted into a batch.");

    public static readonly Counter<long> EventsRejected = Meter.CreateCounter<long>("rawdata.events.rejected", "{event}", "Events refused; tag 'reason'.");

    public static readonly Counter<long> BytesIn = Meter.CreateCounter<long>("rawdata.bytes.in", "By", "NDJSON bytes written into batches, before compression.");

    public static readonly Counter<long> BytesOut = Meter.CreateCounter<long>("rawdata.bytes.out", "By", "Compressed bytes uploaded.");

    public static readonly Counter<long> BatchesSealed = Meter.CreateCounter<long>("rawdata.batches.sealed", "{batch}", "Batches sealed; tag 'cause' (size, schedule, flush, shutdown).");

    public static readonly Histogram<double> BatchAge = Meter.CreateHistogram<double>("rawdata.batch.age", "s", "Time from a batch's first event to its seal.");

    public static readonly Counter<long> ObjectsUploaded = Meter.CreateCounter<long>("rawdata.objects.uploaded", "{object}", "Objects written to S3 (a 412 on a conditional retry counts: the object is there).");

    public static readonly Counter<long> UploadAttempts = Meter.CreateCounter<long>("rawdata.upload.attempts", "{attempt}", "PutObject attempts.");

    public static readonly Counter<long> UploadFailures = Meter.CreateCounter<long>("rawdata.upload.failures", "{attempt}", "Failed PutObject attempts; tag 'error.code'.");

    public static readonly Histogram<double> UploadDuration = Meter.CreateHistogram<double>("rawdata.upload.duration", "s", "Time to upload one batch, retries included; tag 'outcome' (uploaded, already-present, failed, cancelled).");

    public static readonly Counter<long> UploadFallbacks = Meter.CreateCounter<long>("rawdata.upload.fallbacks", "{fallback}", "Fallbacks inside an upload attempt, not failures; tag 'fallback' (already-present, no-conditional-writes, acl-not-supported, token-refresh).");

    public static readonly Counter<long> DeliveryRetries = Meter.CreateCounter<long>("rawdata.delivery.retries", "{retry}", "Failed delivery attempts of a buffer's batches that will be retried; tag 'rawdata.lane' when the buffer opts in.");

    public static readonly Counter<long> BatchesDelivered = Meter.CreateCounter<long>("rawdata.batches.delivered", "{batch}", "Batches a buffer delivered; tag 'rawdata.lane' when the buffer opts in.");

    public static readonly Counter<long> SpoolQuarantined = Meter.CreateCounter<long>("rawdata.spool.quarantined", "{file}", "Spool files recovery could not read, or sealed files found changed on disk when S3 refused their checksum, moved to the spool's quarantine folder (the log says which and why).");

    public static readonly Counter<long> CredentialRefreshes = Meter.CreateCounter<long>("rawdata.credentials.refreshes", "{refresh}", "Credentials issued by STS AssumeRole.");

    public static readonly Counter<long> CredentialFailures = Meter.CreateCounter<long>("rawdata.credentials.failures", "{failure}", "Failed AssumeRole calls; tag 'error.code'.");

    // Internal/ knows no feature folder: the gauges observe their owners through delegates.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, ExpiryGauge> LiveCredentials = new();

    public static readonly ObservableGauge<double> CredentialsExpiry = Meter.CreateObservableGauge(
        "rawdata.credentials.expiry", ObserveCredentialsExpiry, "s", "Seconds until the assumed-role credentials expire; tag 'aws.iam.role'.");

    /// <summary>Adds credentials to <c>rawdata.credentials.expiry</c> for as long as <paramref name="credentials"/> lives.</summary>
    /// <param name="credentials">The credentials; held weakly.</param>
    /// <param name="roleArn">The role they are for, the gauge's tag.</param>
    /// <param name="secondsUntilExpiry">Reads the seconds until they expire, or <see langword="null"/> before the first refresh.</param>
    public static void TrackCredentials<T>(T credentials, string roleArn, Func<T, double?> secondsUntilExpiry)
        where T : class =>
        LiveCredentials.AddOrUpdate(credentials, new ExpiryGauge(roleArn, owner => secondsUntilExpiry((T)owner)));

    private static IEnumerable<Measurement<double>> ObserveCredentialsExpiry()
    {
        foreach (KeyValuePair<object, ExpiryGauge> entry in LiveCredentials)
        {
            if (entry.Value.SecondsUntilExpiry(entry.Key) is { } seconds)
            {
                yield return new Measurement<double>(seconds, Tag("aws.iam.role", entry.Value.RoleArn));
            }
        }
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, DepthGauge> LiveSpools = new();

    public static readonly ObservableGauge<int> SpoolDepth = Meter.CreateObservableGauge(
        "rawdata.spool.depth", ObserveSpoolDepth, "{batch}", "Sealed batches in the spool, waiting for delivery; tag 'rawdata.spool.directory'.");

    /// <summary>Adds a spool to <c>rawdata.spool.depth</c> for as long as <paramref name="spool"/> lives.</summary>
    /// <param name="spool">The spool; held weakly.</param>
    /// <param name="directory">The spool's directory, the gauge's tag.</param>
    /// <param name="sealedCount">Reads how many sealed batches wait in the spool.</param>
    public static void TrackSpool<T>(T spool, string directory, Func<T, int> sealedCount)
        where T : class =>
        LiveSpools.AddOrUpdate(spool, new DepthGauge(directory, owner => sealedCount((T)owner)));

    private static IEnumerable<Measurement<int>> ObserveSpoolDepth()
    {
        foreach (KeyValuePair<object, DepthGauge> entry in LiveSpools)
        {
            yield return new Measurement<int>(entry.Value.SealedCount(entry.Key), Tag("rawdata.spool.directory", entry.Value.Directory));
        }
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, Func<object, int>> LiveStages = new();

    public static readonly ObservableGauge<int> FailingLanes = Meter.CreateObservableGauge(
        "rawdata.lanes.failing", ObserveFailingLanes, "{lane}", "Lanes (customers) whose deliveries are failing with batches waiting, over every buffer.");

    /// <summary>Adds a delivery stage to <c>rawdata.lanes.failing</c> for as long as <paramref name="stage"/> lives.</summary>
    /// <param name="stage">The stage; held weakly.</param>
    /// <param name="failingLanes">Reads how many of its lanes are failing.</param>
    public static void TrackLanes<T>(T stage, Func<T, int> failingLanes)
        where T : class =>
        LiveStages.AddOrUpdate(stage, owner => failingLanes((T)owner));

    private static Measurement<int> ObserveFailingLanes()
    {
        int failing = 0;
        foreach (KeyValuePair<object, Func<object, int>> entry in LiveStages)
        {
            failing += entry.Value(entry.Key);
        }

        return new Measurement<int>(failing);
    }

    public static KeyValuePair<string, object?> Tag(string name, object? value) => new(name, value);

    private sealed record ExpiryGauge(string RoleArn, Func<object, double?> SecondsUntilExpiry);

    private sealed record DepthGauge(string Directory, Func<object, int> SealedCount);
}
