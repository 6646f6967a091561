using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace RawDataDestination.KafkaToS3;

/// <summary>
/// The commit rule: a window is committed once every batch of it is delivered or staged. A commit Kafka refuses while
/// this worker holds the partition (its coordinator moving or silent) is tried again, with a growing pause, until it lands
/// or a later window's commit covers it; a revoke drops it (the partition's next owner rebuilds the same windows onto the
/// same keys). A <see cref="KafkaToS3Options.UntilCaughtUp"/> run is not caught up on a partition while its last commit is
/// refused: it stops trying after <see cref="KafkaToS3Options.RetryTimeLimit"/>, and a run that ends with a commit still
/// refused names it on stderr and exits with <see cref="ExitCodes.Failed"/>, because the next run cuts a last window that
/// was short at this run's end again at another length, and its events already delivered land a second time.
/// </summary>
internal sealed partial class KafkaToS3Worker
{
    /// <summary>The first pause before a refused commit is tried again; it doubles with each refusal, up to <see cref="LongestCommitPause"/>.</summary>
    private static readonly TimeSpan FirstCommitPause = TimeSpan.FromMilliseconds(200);

    private static readonly TimeSpan LongestCommitPause = TimeSpan.FromSeconds(5);

    /// <summary>Gets the number of partitions whose last commit was still refused when the run ended: named on stderr.</summary>
    public int CommitsLeftRefused { get; private set; }

    private void Commit(IConsumer<byte[]?, byte[]?> consumer, PartitionWriter writer, HeldWindow window)
    {
        TopicPartitionOffset commit = window.Commit;
        _hooks.BeforeCommit?.Invoke(commit);
        if (TryCommit(consumer, commit) is not { } refusal)
        {
            writer.RefusedCommit = null; // a commit covers every earlier offset: one refused before is committed now
            Log.Committed(_logger, commit.Topic, commit.Partition.Value, commit.Offset.Value, window.Delivered, window.Staged);
            return;
        }

        TimeSpan firstRefusedAt = writer.RefusedCommit?.FirstRefusedAt ?? Now;
        writer.RefusedCommit = new RefusedCommit(commit, refusal.Reason, firstRefusedAt, Now + FirstCommitPause, 1);
        Log.CommitRefused(_logger, commit.Topic, commit.Partition.Value, commit.Offset.Value, refusal.Reason);
    }

    /// <summary>Commits <paramref name="commit"/>; returns Kafka's refusal, or <see langword="null"/> once it is committed.</summary>
    private Error? TryCommit(IConsumer<byte[]?, byte[]?> consumer, TopicPartitionOffset commit)
    {
        try
        {
            consumer.Commit([commit]);
            Commits++;
            WorkerMetrics.OffsetsCommitted.Add(1);
            return null;
        }
        catch (KafkaException exception)
        {
            return exception.Error;
        }
    }

    /// <summary>Tries each refused commit whose pause is over again; a run until caught up stops trying one after <see cref="KafkaToS3Options.RetryTimeLimit"/>.</summary>
    private void RetryRefusedCommits(IConsumer<byte[]?, byte[]?> consumer)
    {
        foreach (PartitionWriter writer in _writers.Values)
        {
            if (writer.RefusedCommit is not { GivenUp: false } refused || refused.RetryAt > Now)
            {
                continue;
            }

            if (TryRefusedAgain(consumer, writer, refused) is not { } refusal)
            {
                continue;
            }

            TimeSpan pause = TimeSpan.FromTicks(Math.Min(LongestCommitPause.Ticks, FirstCommitPause.Ticks << Math.Min(refused.Tries, 10)));
            bool givenUp = options.UntilCaughtUp && Now - refused.FirstRefusedAt >= options.RetryTimeLimit;
            writer.RefusedCommit = refused with { Reason = refusal.Reason, RetryAt = Now + pause, Tries = refused.Tries + 1, GivenUp = givenUp };
        }
    }

    /// <summary>
    /// Tries <paramref name="refused"/>, the refused commit of <paramref name="writer"/>, again: once it lands, clears it
    /// and logs at which try. Returns Kafka's refusal, or <see langword="null"/> once it is committed.
    /// </summary>
    private Error? TryRefusedAgain(IConsumer<byte[]?, byte[]?> consumer, PartitionWriter writer, RefusedCommit refused)
    {
        TopicPartitionOffset commit = refused.Offset;
        if (TryCommit(consumer, commit) is { } refusal)
        {
            return refusal;
        }

        writer.RefusedCommit = null;
        Log.CommitLanded(_logger, commit.Topic, commit.Partition.Value, commit.Offset.Value, refused.Tries + 1);
        return null;
    }

    /// <summary>How long until the next refused commit is tried again, or <see langword="null"/> when none waits.</summary>
    private TimeSpan? UntilNextCommitRetry()
    {
        TimeSpan? next = _writers.Values.Select(w => w.RefusedCommit).Where(r => r is { GivenUp: false }).Min(r => (TimeSpan?)r!.RetryAt);
        return next is null ? null : next.Value <= Now ? TimeSpan.Zero : next.Value - Now;
    }

    /// <summary>
    /// At the end of a run: tries each refused commit once more, and names on stderr (an error line) each still refused.
    /// Returns whether any is left.
    /// </summary>
    private bool LogCommitsLeftRefused(IConsumer<byte[]?, byte[]?> consumer)
    {
        foreach (PartitionWriter writer in _writers.Values.Where(w => w.RefusedCommit is not null).OrderBy(w => w.Partition.Partition.Value))
        {
            RefusedCommit refused = writer.RefusedCommit!;
            if (TryRefusedAgain(consumer, writer, refused) is not { } refusal)
            {
                continue;
            }

            CommitsLeftRefused++;
            if (IsExpelled(refusal.Code))
            {
                // Not the coordinator's fault, and nothing to run again for: the group no longer counts this worker as a
                // member, and the partition is another's (or the next member's) to read from the last committed offset.
                Log.NotCommittedExpelled(
                    _logger,
                    options.UntilCaughtUp ? LogLevel.Error : LogLevel.Warning,
                    refused.Offset.Topic,
                    refused.Offset.Partition.Value,
                    refused.Offset.Offset.Value,
                    refusal.Reason,
                    options.UntilCaughtUp
                        ? " But a last window this run cut short at the partition's end is cut again at another length by the next reader if records were added since, and the events of it delivered by this run land a second time."
                        : string.Empty,
                    options.UntilCaughtUp ? "The exit code is 1 for that; running again is harmless" : "Nothing is to be done for it");
                continue;
            }

            if (!options.UntilCaughtUp && refusal.Code == ErrorCode.RebalanceInProgress)
            {
                // A stop in a rolling restart: the group rebalances as workers leave and join, and refuses the last
                // commit; the partition's next owner reads from the last committed offset, cut at the same offsets.
                Log.NotCommittedRebalancing(_logger, refused.Offset.Topic, refused.Offset.Partition.Value, refused.Offset.Offset.Value, refusal.Reason);
                continue;
            }

            Log.NotCommitted(_logger, refused.Offset.Topic, refused.Offset.Partition.Value, refused.Offset.Offset.Value, refused.Tries + 1, TenantDelivery.Seconds(Now - refused.FirstRefusedAt), refusal.Reason);
        }

        return CommitsLeftRefused > 0;
    }

    /// <summary>
    /// Whether Kafka refused a commit because this worker is no longer a member of the group's generation (its session
    /// ended: paused or starved past session.timeout.ms), not because the coordinator is away: no retry can land it.
    /// </summary>
    private static bool IsExpelled(ErrorCode code) => code is ErrorCode.UnknownMemberId or ErrorCode.IllegalGeneration or ErrorCode.FencedInstanceId;

    private static partial class Log
    {
        [LoggerMessage(3, LogLevel.Warning, "Commit of {Topic}[{Partition}] at {Offset} refused ({Reason}); tried again while this worker holds the partition (if it is revoked, its next owner rebuilds the same objects)")]
        public static partial void CommitRefused(ILogger logger, string topic, int partition, long offset, string reason);

        [LoggerMessage(24, LogLevel.Information, "Committed {Topic}[{Partition}] at {Offset} at try {Tries}")]
        public static partial void CommitLanded(ILogger logger, string topic, int partition, long offset, int tries);

        [LoggerMessage(EventId = 28, Message = "Not committed: {Topic}[{Partition}] at {Offset}: Kafka refused the commit because this worker was no longer a member of the group ({Reason}): its session ended (no heartbeat within session.timeout.ms: the process was paused, or starved), and the group gave its partitions to another member, or gives them to the next one to join. Nothing is lost: every record before that offset is delivered (or staged), and whoever reads the partition next starts from the last committed offset and writes the windows after it again onto the same keys with the same bytes (cut at the same offsets, so no event lands twice).{CutShort} {Advice}; if it recurs, find what pauses the process, or raise session.timeout.ms in --kafka-config.")]
        public static partial void NotCommittedExpelled(ILogger logger, LogLevel level, string topic, int partition, long offset, string reason, string cutShort, string advice);

        [LoggerMessage(29, LogLevel.Warning, "Not committed: {Topic}[{Partition}] at {Offset}: Kafka refused the commit as this worker stopped, because the group was rebalancing ({Reason}: workers leaving or joining, as in a rolling restart). Nothing is lost, and nothing is to be done: every record before that offset is delivered (or staged), and whoever the group gives the partition to reads it from the last committed offset and writes the windows after it again onto the same keys with the same bytes (cut at the same offsets, so no event lands twice).")]
        public static partial void NotCommittedRebalancing(ILogger logger, string topic, int partition, long offset, string reason);

        [LoggerMessage(25, LogLevel.Error, "Not committed: {Topic}[{Partition}] at {Offset}: Kafka refused the commit {Tries} times over {Seconds} ({Reason}). Every record before it is delivered (or staged); the next run reads them again from the last committed offset and writes their objects again onto the same keys, but a last window this run cut short at the partition's end is cut again at another length if records were added since, and its events land a second time. Run again once the group's coordinator answers.")]
        public static partial void NotCommitted(ILogger logger, string topic, int partition, long offset, int tries, string seconds, string reason);
    }
}
