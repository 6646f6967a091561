using System.Globalization;

namespace RawDataDestination.KafkaToS3;

/// <summary>What the worker reads, how it cuts batches and how it delivers them. The tenants are configured separately.</summary>
internal sealed class KafkaToS3Options
{
    /// <summary>The default of <see cref="MaxBatchRecords"/>: about 100 MB of NDJSON with events of 1 KB.</summary>
    public const int DefaultMaxBatchRecords = 100_000;

    /// <summary>Gets or sets the Kafka brokers, <c>host:port[,host:port...]</c>. Required.</summary>
    public string BootstrapServers { get; set; } = "";

    /// <summary>Gets or sets the topic to read. Required.</summary>
    public string Topic { get; set; } = "";

    /// <summary>Gets or sets the consumer group; instances with the same group share the topic's partitions. Required.</summary>
    public string GroupId { get; set; } = "";

    /// <summary>
    /// Gets or sets the width of a batch in offsets: a batch holds the records of one partition whose offsets fall in one
    /// window <c>[k·N, (k+1)·N)</c>, windows aligned on multiples of N. This value must be greater than 0. The default
    /// value is 100,000.
    /// </summary>
    public int MaxBatchRecords { get; set; } = DefaultMaxBatchRecords;

    /// <summary>
    /// Gets or sets the largest record value taken as an event, in bytes: a larger one is refused (reason
    /// <see cref="Ndjson.EventRejectionReason.TooLarge"/>), logged with its position and committed past with its window.
    /// This value must be at least 2. The default value is the library's, 32 KB (Segment's own limit for one event).
    /// </summary>
    public int MaxEventBytes { get; set; } = Ndjson.GzipNdjsonEncoder.DefaultMaxEventBytes;

    /// <summary>
    /// Gets or sets whether the worker stops once every partition assigned to it is read to the end offset it had at
    /// assignment, delivered and committed. The default value is <see langword="false"/>: run until stopped.
    /// </summary>
    public bool UntilCaughtUp { get; set; }

    /// <summary>
    /// Gets or sets how long a worker with <see cref="UntilCaughtUp"/> waits for its first partition. None assigned by
    /// then (the brokers do not answer, the topic does not exist, the group's other members hold every partition), it
    /// leaves the group and exits with <see cref="ExitCodes.Failed"/>, naming Kafka's last error: a run meant to end
    /// must not wait forever. A worker that runs until stopped waits as long as it runs. The default value is 2 minutes,
    /// room for a rebalance that waits out a member that died (librdkafka's session timeout is 45 seconds).
    /// </summary>
    public TimeSpan AssignTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Gets or sets how long a held window of a worker with <see cref="UntilCaughtUp"/> may keep failing for a reason
    /// retrying may fix (a customer whose endpoint never answers, throttling, a 5xx; a staging bucket that fails) before
    /// its partition is given up for the run, counted from the window's first hold: nothing of the window is committed,
    /// the other partitions go on, and the run ends with <see cref="ExitCodes.Failed"/> naming it. A run meant to end must
    /// not wait for a customer forever; the next run reads the window again. A worker that runs until stopped retries as
    /// long as it runs. This value must be zero or more and at most 1 day (as <c>--retry-time-limit</c>). The default
    /// value is 5 minutes, the library's <c>RetryBudget</c>.
    /// </summary>
    public TimeSpan RetryTimeLimit { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Gets or sets how many batches of one window are delivered at once (each to its own tenant). This value must be
    /// greater than 0. The default value is 8.
    /// </summary>
    public int MaxConcurrentDeliveries { get; set; } = 8;

    /// <summary>
    /// Gets or sets how many times a direct delivery is tried again at once after an error S3 answered quickly (a 503
    /// SlowDown, a 5xx, a reset), before the batch is staged or its window held: 0 for none. This value must be 0 or
    /// more. The default value is 1.
    /// </summary>
    public int DirectRetries { get; set; } = 1;

    /// <summary>
    /// Gets or sets the delay before that retry (exponential, with jitter). This value must be zero or more and at most 1
    /// day (Polly's range). The default value is 200 milliseconds.
    /// </summary>
    public TimeSpan DirectRetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Gets or sets how long a window waits for a tenant's direct attempt before it stages the batch instead (with no
    /// staging bucket: before the window is held, its partition paused and the batch tried again later): the attempt goes
    /// on, and its outcome still counts for the tenant's circuit, but the window no longer waits for it. So a customer
    /// whose endpoint never answers (from the start, or after delivering for a while) costs the worker this long, not its
    /// response timeout. An upload that takes longer is staged (or tried again) too, and the later PUT finds the object
    /// there: raise it when batches take longer than this to upload. A write to the staging bucket is waited for this long
    /// too, whether the staging bucket took the last one or not; then the window is held and the write goes on without it. This
    /// value must be greater than zero and at most 1 hour (as <c>--direct-step-aside</c>). The default value is 2 seconds, the
    /// library's step-aside time for lanes not proven.
    /// </summary>
    public TimeSpan DirectStepAside { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Gets or sets how long a tenant's circuit stays open once its direct attempts keep failing: its batches skip the
    /// direct attempt (staged, or their window held) until one attempt probes the customer's bucket again. This value must
    /// be at least 500 milliseconds and at most 1 day (Polly's circuit breaker refuses any other break, at every attempt).
    /// The default value is 1 minute.
    /// </summary>
    public TimeSpan TenantBreakDuration { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Gets or sets how long a held window (not every batch delivered or staged) waits before its first retry; each
    /// retry doubles it, up to <see cref="HoldRetryMaxDelay"/>. This value must be greater than zero and at most 1 day. The
    /// default value is 1 second.
    /// </summary>
    public TimeSpan HoldRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Gets or sets the longest wait between two retries of a held window. This value must be greater than zero and at
    /// most 1 day. The default value is 1 minute.
    /// </summary>
    public TimeSpan HoldRetryMaxDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Gets extra librdkafka settings, applied last (for example <c>session.timeout.ms</c>). Empty by default.</summary>
    public Dictionary<string, string> ConsumerSettings { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Throws when a setting is out of its range, one line per setting, each naming it, its value, its range and its
    /// default. Polly checks its options only when a tenant's pipeline is built, at every direct attempt, so a break
    /// shorter than it allows failed every attempt instead of the start; <c>Task.Delay</c> and <c>Parallel</c> likewise.
    /// </summary>
    /// <exception cref="ArgumentException">A setting is out of its range.</exception>
    public void ThrowIfInvalid()
    {
        var defaults = new KafkaToS3Options();
        var problems = new List<string>();
        Require(MaxBatchRecords > 0, nameof(MaxBatchRecords), Count(MaxBatchRecords), "greater than 0", Count(defaults.MaxBatchRecords));
        Require(MaxConcurrentDeliveries > 0, nameof(MaxConcurrentDeliveries), Count(MaxConcurrentDeliveries), "greater than 0", Count(defaults.MaxConcurrentDeliveries));
        Require(DirectRetries >= 0, nameof(DirectRetries), Count(DirectRetries), "0 or more", Count(defaults.DirectRetries));
        Require(DirectRetryDelay >= TimeSpan.Zero && DirectRetryDelay <= OneDay, nameof(DirectRetryDelay), Given(DirectRetryDelay), "zero or more and at most 1 day", Spoken(defaults.DirectRetryDelay));
        Require(DirectStepAside > TimeSpan.Zero && DirectStepAside <= TimeSpan.FromHours(1), nameof(DirectStepAside), Given(DirectStepAside), "greater than zero and at most 1 hour", Spoken(defaults.DirectStepAside));
        Require(TenantBreakDuration >= TimeSpan.FromMilliseconds(500) && TenantBreakDuration <= OneDay, nameof(TenantBreakDuration), Given(TenantBreakDuration), "at least 500 milliseconds and at most 1 day", Spoken(defaults.TenantBreakDuration));
        Require(HoldRetryDelay > TimeSpan.Zero && HoldRetryDelay <= OneDay, nameof(HoldRetryDelay), Given(HoldRetryDelay), "greater than zero and at most 1 day", Spoken(defaults.HoldRetryDelay));
        Require(RetryTimeLimit >= TimeSpan.Zero && RetryTimeLimit <= OneDay, nameof(RetryTimeLimit), Given(RetryTimeLimit), "zero or more and at most 1 day", Spoken(defaults.RetryTimeLimit));
        Require(HoldRetryMaxDelay > TimeSpan.Zero && HoldRetryMaxDelay <= OneDay, nameof(HoldRetryMaxDelay), Given(HoldRetryMaxDelay), "greater than zero and at most 1 day", Spoken(defaults.HoldRetryMaxDelay));
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(Environment.NewLine, problems));
        }

        void Require(bool valid, string setting, string given, string rule, string defaultValue)
        {
            if (!valid)
            {
                problems.Add($"{setting} is {given}; it must be {rule} (the default is {defaultValue}).");
            }
        }
    }

    private static TimeSpan OneDay => TimeSpan.FromDays(1);

    private static string Given(TimeSpan value) => value.ToString("c", CultureInfo.InvariantCulture);

    /// <summary>A default duration in words, from the default itself: <c>1 minute</c>, <c>2 seconds</c>, <c>200 milliseconds</c>.</summary>
    private static string Spoken(TimeSpan value) =>
        value.Ticks % TimeSpan.TicksPerMinute == 0 ? Unit(value.TotalMinutes, "minute")
        : value.Ticks % TimeSpan.TicksPerSecond == 0 ? Unit(value.TotalSeconds, "second")
        : Unit(value.TotalMilliseconds, "millisecond");

    private static string Unit(double count, string unit) =>
        count.ToString(CultureInfo.InvariantCulture) + " " + unit + (count == 1 ? string.Empty : "s");

    private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
