using System.IO.Compression;
using RawDataDestination.Internal;
using RawDataDestination.Ndjson;
using RawDataDestination.Spool;

namespace RawDataDestination.Batching;

/// <summary>Options for <see cref="BatchBuffer"/>. They are copied when the buffer is built.</summary>
public sealed class BatchBufferOptions
{
    /// <summary>The default <see cref="MaxBatchBytes"/>: 100 MB of NDJSON.</summary>
    public const long DefaultMaxBatchBytes = 100L * 1024 * 1024;

    // The bounds of the rules, each written once.
    private const long MinBatchBytes = 1024;

    /// <summary>
    /// The largest <see cref="MaxBatchBytes"/>: S3 takes at most 5 GB (2³⁰ bytes each) in one PutObject, and this library
    /// never uploads in parts; 8 MB is left for gzip, which grows data that does not compress by a little (zlib's bound:
    /// about 0.03 %, plus a header and a trailer per gzip member).
    /// </summary>
    private const long MaxBatchBytesLimit = (5L << 30) - (8L << 20);
    private const int MinEventBytes = 2;
    private const int MaxThreads = 64;
    private const long MinSpoolBytes = 1024 * 1024;

    // Each default is written once, as its property's initial value: the rules' messages read it from this instance.
    private static readonly BatchBufferOptions Defaults = new();
    private static readonly TimeSpan MinFlushInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxFlushInterval = TimeSpan.FromDays(1);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromDays(1);

    /// <summary>The range of <see cref="AttemptTimeout"/>: what the attempt timeout of the retry pipeline (Polly's) accepts.</summary>
    internal static readonly TimeSpan MinAttemptTimeout = TimeSpan.FromMilliseconds(10);

    /// <inheritdoc cref="MinAttemptTimeout"/>
    internal static readonly TimeSpan MaxAttemptTimeout = TimeSpan.FromDays(1);

    /// <summary>The longest <see cref="RetryBudget"/> and <see cref="ShutdownTimeout"/> short of infinite: .NET's timers take at most 49.7 days.</summary>
    internal static readonly TimeSpan MaxWait = TimeSpan.FromDays(30);

    /// <summary>Gets or sets the NDJSON size, before compression, at which a batch is sealed.</summary>
    /// <value>At least 1 KB, at least <see cref="MaxEventBytes"/>, and at most 5112 MB (so that an object stays within S3's 5 GB for one PutObject). The default value is 100 MB.</value>
    public long MaxBatchBytes { get; set; } = DefaultMaxBatchBytes;

    /// <summary>Gets or sets the largest event accepted, in bytes.</summary>
    /// <value>At least 2. The default value is 32 KB, the Segment tracking API's limit per call.</value>
    public int MaxEventBytes { get; set; } = GzipNdjsonEncoder.DefaultMaxEventBytes;

    /// <summary>Gets or sets how often the schedule seals every open batch.</summary>
    /// <value>Between 1 second and 1 day. The default value is 1 hour.</value>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Gets or sets where in each <see cref="FlushInterval"/> (counted from midnight UTC) the schedule fires.</summary>
    /// <value>At least zero and less than <see cref="FlushInterval"/>. The default value is 40 minutes: every hour at minute 40.</value>
    public TimeSpan FlushOffset { get; set; } = TimeSpan.FromMinutes(40);

    /// <summary>Gets or sets the gzip compression level.</summary>
    /// <value>The default value is <see cref="CompressionLevel.Fastest"/>: see the README's Performance section for the trade-off.</value>
    public CompressionLevel CompressionLevel { get; set; } = CompressionLevel.Fastest;

    /// <summary>
    /// Gets or sets how many sealed batches may be held in memory in all until they are delivered (being uploaded,
    /// waiting, or failing and waiting for a retry), without a spool or when saving one to the spool failed. When that
    /// many are held, a lane holding fewer than its fair share (this divided among the lanes holding batches, at least
    /// one) still seals; the others wait, or their appends fail by <see cref="BufferFullMode"/>. So a failing customer
    /// fills its own share, never a healthy one's. With a <see cref="SpoolDirectory"/>, batches saved there do not count:
    /// the disk is the buffer.
    /// </summary>
    /// <value>At least 1. The default value is 32.</value>
    public int MaxPendingBatches { get; set; } = 32;

    /// <summary>
    /// Gets or sets how many sealed batches of one lane (see <see cref="LaneKey"/>) may be held in memory until they are
    /// delivered, under <see cref="MaxPendingBatches"/>. When a lane holds that many, its next seal waits (or its append
    /// fails, by <see cref="BufferFullMode"/>) until one of them is delivered.
    /// </summary>
    /// <value>At least 1. The default value is 8.</value>
    public int MaxPendingBatchesPerLane { get; set; } = 8;

    /// <summary>Gets or sets how many delivery attempts (uploads) may be under way at once, over all lanes.</summary>
    /// <value>From 1 to 64. The default value is 16.</value>
    public int MaxConcurrentUploads { get; set; } = 16;

    /// <summary>
    /// Gets or sets how many delivery attempts of one lane may be under way at once. Slots go round-robin to the lanes
    /// that wait for one, and a lane holds at most its fair share (<see cref="MaxConcurrentUploads"/> divided among the
    /// lanes that want slots), capped by this; a lane whose last attempt failed holds one, and failing lanes together
    /// hold at most half the slots while other lanes wait.
    /// </summary>
    /// <value>From 1 to 64. The default value is 4.</value>
    public int MaxConcurrentUploadsPerLane { get; set; } = 4;

    /// <summary>
    /// Gets or sets the lane of a source: the key of the batches delivered to one destination. Batches of one lane share
    /// a retry state and a circuit breaker, a share of <see cref="MaxPendingBatches"/> and a fair share of upload slots,
    /// so a customer whose destination is broken never holds back another's. Give a function when several sources go to
    /// one destination (for example the customer that owns them). It is called for each sealed batch and each append;
    /// keep it fast. A consumer that implements <see cref="IBatchRouter"/> gives the lanes itself, and this is ignored.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: each source is its own lane.</value>
    public Func<string, string>? LaneKey { get; set; }

    /// <summary>
    /// Gets or sets whether the buffer's delivery metrics (<c>rawdata.delivery.retries</c>,
    /// <c>rawdata.batches.delivered</c>) carry the lane as the tag <c>rawdata.lane</c>. With many customers that is one
    /// time series per customer: opt in only when the metrics backend can take it.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool TagMetricsWithLane { get; set; }

    /// <summary>
    /// Gets or sets the first retry's delay ceiling for a failed delivery. Each retry doubles it, up to
    /// <see cref="RetryMaxDelay"/>, and waits a random time between zero and it (full jitter). A failing batch is retried
    /// this way until it is delivered, while the others go on.
    /// </summary>
    /// <value>Greater than zero and at most <see cref="RetryMaxDelay"/>. The default value is 1 second.</value>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets the largest delay ceiling between two delivery attempts of one batch.</summary>
    /// <value>At least <see cref="RetryBaseDelay"/> and at most 1 day. The default value is 1 minute.</value>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Gets or sets how long one delivery attempt may take before it is cancelled and counted as failed.</summary>
    /// <value>From 10 milliseconds to 1 day, or <see cref="Timeout.InfiniteTimeSpan"/>. The default value is 5 minutes.</value>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Gets or sets how long <see cref="IBatchBuffer.FlushAsync"/> waits for a batch that keeps failing: once a batch it
    /// waits for has failed without a break for this long (counted from the start of its first attempt that did not
    /// succeed, so an attempt that hangs counts from its start), the flush gives up on the batch's lane and, once every
    /// other lane's batches are delivered, throws a <see cref="BatchDeliveryException"/> naming the lanes given up, with
    /// the counts. The batch is kept and its retries go on. This is the retry budget of a program that must stop by
    /// itself, such as <c>rawdata ship</c>.
    /// </summary>
    /// <value>From zero to 30 days, or <see cref="Timeout.InfiniteTimeSpan"/> to wait for ever. The default value is 5 minutes.</value>
    public TimeSpan RetryBudget { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Gets or sets how many batches may be open at once (one per source and UTC day). Opening one more seals the
    /// batch that has gone longest without an append (cause <see cref="SealCause.Capacity"/>). An open batch costs
    /// the NDJSON it holds plus about 9 KB (measured: <c>benchmarks --sources</c>), so the default lets 5,000 sources
    /// each spread over 4 UTC days stay open. With <see cref="DurableAppends"/>, each open batch also holds its
    /// journal's file handle: keep this under the process's open-file limit (<c>ulimit -n</c>). With a spool the bound
    /// is strict and counts a batch until its seal is over (its journal closed, its sealed file saved): a new batch
    /// waits for one to end, so open and sealing batches together hold at most this many files.
    /// </summary>
    /// <value>At least 1. The default value is 20,000.</value>
    public int MaxOpenBatches { get; set; } = 20_000;

    /// <summary>
    /// Gets or sets how long dispose may take in all, from its start: the last deliveries are cancelled when it passes.
    /// Seals are not cut short: a scheduled seal under way ends, and each open batch is sealed, even past it (unless an
    /// append still holds its partition then). What is not delivered stays in the spool, or is reported with counts.
    /// </summary>
    /// <value>From zero to 30 days. The default value is 30 seconds.</value>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets a directory where sealed batches are kept from before their first upload attempt until S3 confirms
    /// them, so a crash or a missed shutdown deadline loses nothing: the next start uploads them with their original keys.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: no spool; batches not delivered at shutdown are reported with counts.</value>
    public string? SpoolDirectory { get; set; }

    /// <summary>
    /// Gets or sets whether, with a <see cref="SpoolDirectory"/>, each event is written to the open batch's journal on
    /// disk before its append completes (several appends share one disk flush). After a crash, even <c>kill -9</c>,
    /// every acknowledged event is recovered.
    /// </summary>
    /// <value>The default value is <see langword="true"/>. Ignored without a spool.</value>
    public bool DurableAppends { get; set; } = true;

    /// <summary>
    /// Gets or sets the most bytes the spool may hold (sealed batches and journals); when its disk has less room, its limit
    /// is 4/5 of that room. Lanes that are failing together may keep at most 3/4 of the limit; past that, an append into a
    /// failing lane meets <see cref="SpoolFullMode"/> while lanes that deliver go on up to the whole limit.
    /// </summary>
    /// <value>At least 1 MB. The default value is 10 GB.</value>
    public long MaxSpoolBytes { get; set; } = 10L * 1024 * 1024 * 1024;

    /// <summary>
    /// Gets or sets how many threads may compress one batch at once. With 1, an append compresses on the appending
    /// thread (no extra threads, the least memory); with more, a batch's lines are gathered into 1 MB blocks that are
    /// compressed as independent gzip members on the thread pool and joined in order into one valid gzip object, so a
    /// single busy source can use several cores. Each extra thread adds about 2 MB of buffers per open batch.
    /// </summary>
    /// <value>From 1 to 64. The default value is 1: hosts with many sources already compress their batches in parallel.</value>
    public int CompressionThreads { get; set; } = 1;

    /// <summary>
    /// Gets or sets what is called with each receipt the consumer returns, once per delivered batch, on the delivering
    /// thread: how a host learns what was written without wrapping the consumer. It must be quick and must not throw.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: receipts are not reported.</value>
    public Action<BatchReceipt>? BatchDelivered { get; set; }

    /// <summary>
    /// Gets or sets what is told of each journal round before it is written, with the marks of its appends
    /// (<see cref="BatchBuffer.AppendAsync(string, ReadOnlyMemory{byte}, long, CancellationToken)"/>): how rawdata knows,
    /// after <c>kill -9</c>, exactly which lines of its input the spool holds.
    /// </summary>
    internal IJournalRoundObserver? JournalRounds { get; set; }

    /// <summary>
    /// Gets or sets what is called once the buffer holds the <see cref="SpoolDirectory"/> (its lock taken), before the spool
    /// lists what earlier runs left and recovery seals the journals a crash left: the journals are still as the crash left
    /// them, no other process changes them, and a file moved away now is not listed (rawdata sets aside a journal that
    /// changed since it was written).
    /// </summary>
    internal Action? SpoolHeld { get; set; }

    /// <summary>
    /// Gets or sets what is called as a batch's gzip stream is completed at its seal, with the seal's cause, after its
    /// journal is closed: a test throws here as a compressor does that cannot be loaded (a process out of files).
    /// </summary>
    internal Action<SealCause>? Completing { get; set; }

    /// <summary>
    /// Gets or sets what reads the free bytes of the spool's file system (<see langword="null"/> returned: unknown), in
    /// place of the file system's own count: a test gives the spool a disk of the room it needs.
    /// </summary>
    internal Func<long?>? SpoolFreeBytes { get; set; }

    /// <summary>
    /// Gets or sets what an append does when the spool is full, or when its lane is failing and the failing lanes'
    /// batches hold their share of the spool (3/4 of its limit, <see cref="MaxSpoolBytes"/> or less): wait for room (a delivery, or the lane
    /// delivering again; the append's token and the shutdown end the wait), or throw <see cref="Spool.SpoolFullException"/>.
    /// </summary>
    /// <value>The default value is <see cref="Spool.SpoolFullMode.Wait"/>.</value>
    public Spool.SpoolFullMode SpoolFullMode { get; set; } = Spool.SpoolFullMode.Wait;

    /// <summary>Gets or sets what an append does when its lane may not hold another sealed batch in memory (<see cref="MaxPendingBatches"/>, <see cref="MaxPendingBatchesPerLane"/>).</summary>
    /// <value>The default value is <see cref="BufferFullMode.Wait"/>.</value>
    public BufferFullMode BufferFullMode { get; set; } = BufferFullMode.Wait;

    /// <summary>
    /// Every problem with these options, each naming the setting, the value given, the valid range and the default: the
    /// one home of these rules, used by the buffer's constructor and by the options validator at a host's start.
    /// </summary>
    /// <param name="words">How messages name settings; the default is their property names.</param>
    /// <returns>The problems, each with its setting's property name; empty when the options are valid.</returns>
    internal List<SettingProblem> Problems(SettingWords? words = null)
    {
        var check = new SettingChecks(words);
        check.Require(MaxEventBytes >= MinEventBytes, "MaxEventBytes", SettingChecks.Given(MaxEventBytes), $"at least {SettingChecks.Size(MinEventBytes)}", SettingChecks.Size(Defaults.MaxEventBytes));
        check.Require(
            MaxBatchBytes >= MinBatchBytes && MaxBatchBytes >= MaxEventBytes,
            "MaxBatchBytes",
            SettingChecks.Given(MaxBatchBytes),
            $"at least {SettingChecks.Size(MinBatchBytes)} and at least {check.Name("MaxEventBytes")}, which is {SettingChecks.Given(MaxEventBytes)}",
            SettingChecks.Size(Defaults.MaxBatchBytes));
        check.Require(
            MaxBatchBytes <= MaxBatchBytesLimit,
            "MaxBatchBytes",
            SettingChecks.Given(MaxBatchBytes),
            $"at most {SettingChecks.Size(MaxBatchBytesLimit)}, so that a batch's object stays within S3's 5 GB for one PutObject (this library never uploads in parts), with room for gzip's growth of data that does not compress",
            SettingChecks.Size(Defaults.MaxBatchBytes));
        check.Require(
            FlushInterval >= MinFlushInterval && FlushInterval <= MaxFlushInterval,
            "FlushInterval",
            FlushInterval,
            $"between {SettingChecks.Duration(MinFlushInterval)} and {SettingChecks.Duration(MaxFlushInterval)}",
            Defaults.FlushInterval);
        check.Require(
            FlushOffset >= TimeSpan.Zero && FlushOffset < FlushInterval,
            "FlushOffset",
            FlushOffset,
            $"at least zero and less than {check.Name("FlushInterval")}, which is {SettingChecks.Given(FlushInterval)}",
            Defaults.FlushOffset);
        check.Require(CompressionThreads is >= 1 and <= MaxThreads, "CompressionThreads", CompressionThreads, $"from 1 to {MaxThreads}", Defaults.CompressionThreads);
        check.Require(MaxPendingBatches >= 1, "MaxPendingBatches", MaxPendingBatches, "at least 1", Defaults.MaxPendingBatches);
        check.Require(MaxPendingBatchesPerLane >= 1, "MaxPendingBatchesPerLane", MaxPendingBatchesPerLane, "at least 1", Defaults.MaxPendingBatchesPerLane);
        check.Require(MaxConcurrentUploads is >= 1 and <= MaxThreads, "MaxConcurrentUploads", MaxConcurrentUploads, $"from 1 to {MaxThreads}", Defaults.MaxConcurrentUploads);
        check.Require(MaxConcurrentUploadsPerLane is >= 1 and <= MaxThreads, "MaxConcurrentUploadsPerLane", MaxConcurrentUploadsPerLane, $"from 1 to {MaxThreads}", Defaults.MaxConcurrentUploadsPerLane);
        check.Require(RetryBaseDelay > TimeSpan.Zero, "RetryBaseDelay", RetryBaseDelay, "greater than zero", Defaults.RetryBaseDelay);
        check.Require(
            RetryMaxDelay >= RetryBaseDelay && RetryMaxDelay <= MaxRetryDelay,
            "RetryMaxDelay",
            RetryMaxDelay,
            $"at least {check.Name("RetryBaseDelay")}, which is {SettingChecks.Given(RetryBaseDelay)}, and at most {SettingChecks.Duration(MaxRetryDelay)}",
            Defaults.RetryMaxDelay);
        check.Require(
            (AttemptTimeout >= MinAttemptTimeout && AttemptTimeout <= MaxAttemptTimeout) || AttemptTimeout == Timeout.InfiniteTimeSpan,
            "AttemptTimeout",
            AttemptTimeout,
            $"from {SettingChecks.Duration(MinAttemptTimeout)} to {SettingChecks.Duration(MaxAttemptTimeout)}, or Timeout.InfiniteTimeSpan",
            Defaults.AttemptTimeout);
        check.Require(
            (RetryBudget >= TimeSpan.Zero && RetryBudget <= MaxWait) || RetryBudget == Timeout.InfiniteTimeSpan,
            "RetryBudget",
            RetryBudget,
            $"from zero to {SettingChecks.Duration(MaxWait)}, or Timeout.InfiniteTimeSpan to wait for ever",
            Defaults.RetryBudget);
        check.Require(MaxOpenBatches >= 1, "MaxOpenBatches", MaxOpenBatches, "at least 1", Defaults.MaxOpenBatches);
        check.Require(MaxSpoolBytes >= MinSpoolBytes, "MaxSpoolBytes", SettingChecks.Given(MaxSpoolBytes), $"at least {SettingChecks.Size(MinSpoolBytes)}", SettingChecks.Size(Defaults.MaxSpoolBytes));
        check.Require(SpoolDirectory is not { Length: 0 }, "SpoolDirectory", "empty", "a directory path, or null for no spool", "null: no spool");
        check.Require(ShutdownTimeout >= TimeSpan.Zero && ShutdownTimeout <= MaxWait, "ShutdownTimeout", ShutdownTimeout, $"from zero to {SettingChecks.Duration(MaxWait)}", Defaults.ShutdownTimeout);
        return check.Problems;
    }
}
