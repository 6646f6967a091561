namespace RawDataDestination.Batching;

/// <summary>
/// A snapshot of a <see cref="BatchBuffer"/>'s deliveries, from <see cref="BatchBuffer.GetStatus"/>: cheap to take,
/// for status lines and health checks.
/// </summary>
public sealed class DeliveryStatus
{
    /// <summary>The most lanes <see cref="FailingLanes"/> lists: those failing longest.</summary>
    public const int MaxFailingLanesListed = 100;

    internal DeliveryStatus()
    {
    }

    /// <summary>Gets the number of batches delivered since the buffer was built.</summary>
    public long DeliveredBatches { get; internal init; }

    /// <summary>Gets the number of events in the delivered batches.</summary>
    public long DeliveredEvents { get; internal init; }

    /// <summary>
    /// Gets the number of sealed batches waiting for their first attempt or an upload slot: the healthy backlog and, in a
    /// failing lane, the batches waiting behind the one under retry (<see cref="FailingLaneBatches"/> counts those apart).
    /// </summary>
    public int WaitingBatches { get; internal init; }

    /// <summary>Gets the number of batches being uploaded now.</summary>
    public int UploadingBatches { get; internal init; }

    /// <summary>
    /// Gets the number of events in the batches being uploaded now (<see cref="UploadingBatches"/>): for rawdata's summary
    /// when it quits without waiting for them, whose PUTs may land all the same.
    /// </summary>
    internal long UploadingEvents { get; init; }

    /// <summary>
    /// Gets the number of events in the batches not being uploaded now whose last failed upload may have written them
    /// all the same (<see cref="SealedBatch.MayHaveBeenWritten"/>: sent in full, no answer), for the same summary.
    /// </summary>
    internal long UnansweredEvents { get; init; }

    /// <summary>
    /// Gets the number of batches whose last attempt failed and that wait for their next one (see <see cref="NextRetryAt"/>):
    /// mostly one per failing lane, the batch that probes it. The lane's other batches wait behind it, counted in
    /// <see cref="WaitingBatches"/>; <see cref="FailingLaneBatches"/> counts every batch held by failing lanes.
    /// </summary>
    public int FailingBatches { get; internal init; }

    /// <summary>
    /// Gets the number of batches not delivered in the failing lanes (all <see cref="FailingLaneCount"/> of them, not only
    /// those <see cref="FailingLanes"/> lists): each lane's batch under retry, its refused ones, and the batches waiting
    /// behind them. These are also counted in <see cref="WaitingBatches"/>, <see cref="FailingBatches"/>,
    /// <see cref="RefusedBatches"/> or <see cref="UploadingBatches"/> by their state; what they hold is held behind broken
    /// destinations, not a backlog of the healthy ones. The sum of <see cref="LaneStatus.WaitingBatches"/> over every failing lane.
    /// </summary>
    public int FailingLaneBatches { get; internal init; }

    /// <summary>Gets the number of events in <see cref="FailingLaneBatches"/>: the events held by failing lanes.</summary>
    public long FailingLaneEvents { get; internal init; }

    /// <summary>
    /// Gets the number of batches refused permanently (an <see cref="S3.DestinationException"/> with
    /// <see cref="S3.DestinationException.IsPermanent"/>): kept, and tried again at the next scheduled seal, flush or shutdown.
    /// </summary>
    public int RefusedBatches { get; internal init; }

    /// <summary>Gets the number of events in sealed batches not delivered yet (waiting, uploading, failing or refused).</summary>
    public long UndeliveredEvents { get; internal init; }

    /// <summary>
    /// Gets the number of events not handed to delivery yet: in batches still open or being sealed, and in batches whose
    /// seal failed (logged). With a spool and <see cref="BatchBufferOptions.DurableAppends"/> those stay in their journal,
    /// sealed at the next start; without, they are lost.
    /// </summary>
    public long OpenEvents { get; internal init; }

    /// <summary>
    /// Gets the number of open batches (partitions) that the last scheduled seal passed over, without a spool, because
    /// their lane held its whole share of the in-memory bound (<see cref="BatchBufferOptions.MaxPendingBatchesPerLane"/>,
    /// within <see cref="BatchBufferOptions.MaxPendingBatches"/>), and that are still open: sealed as room comes back,
    /// or at the next scheduled seal; a failing lane's stay open until it delivers again. Zero with a spool.
    /// </summary>
    public int HeldPastSchedule { get; internal init; }

    /// <summary>Gets the number of sealed batches in the spool (zero without one).</summary>
    public int SpooledBatches { get; internal init; }

    /// <summary>
    /// Gets since when the spool's disk has had no room for a write (a journal line or a sealed batch): appends then
    /// wait or throw <see cref="Spool.SpoolFullException"/> by <see cref="BatchBufferOptions.SpoolFullMode"/>, as at
    /// <see cref="BatchBufferOptions.MaxSpoolBytes"/>. Logged when it starts and when writes go through again.
    /// </summary>
    /// <value><see langword="null"/> while the spool's writes go through, and without a spool.</value>
    public DateTimeOffset? SpoolDiskFullSince { get; internal init; }

    /// <summary>
    /// Gets since when appends have waited for room in the spool without a break (<see cref="Spool.SpoolFullMode.Wait"/>, at
    /// <see cref="BatchBufferOptions.MaxSpoolBytes"/> or on a full disk, <see cref="SpoolDiskFullSince"/>). Only a
    /// delivery frees room: once they have waited for <see cref="BatchBufferOptions.RetryBudget"/> with nothing delivered,
    /// <see cref="RetryBudgetSpent"/> is true.
    /// </summary>
    /// <value><see langword="null"/> while no append waits for room, and without a spool.</value>
    public DateTimeOffset? SpoolRoomWaitSince { get; internal init; }

    /// <summary>
    /// Gets the number of spool files moved to the spool's <c>quarantine/</c> folder: by recovery at start, and sealed
    /// files found changed on disk since their seal when the destination refused their body as not matching its checksum.
    /// Their batches are not delivered, and not counted elsewhere.
    /// </summary>
    public int QuarantinedFiles { get; internal init; }

    /// <summary>
    /// Gets the events of batches this buffer sealed (not those recovered from an earlier run's spool) whose files were
    /// quarantined during their delivery, found changed on disk: read by this process, and neither delivered nor kept
    /// in the spool.
    /// </summary>
    internal long QuarantinedEvents { get; init; }

    /// <summary>
    /// Gets the spool journals of batches this buffer delivered from memory (their save failed) that could be neither
    /// deleted nor marked delivered, the spool's file system refusing writes: each holds events already delivered, and the
    /// next start over the spool would seal it again under a new key. The host says to delete them first.
    /// </summary>
    internal IReadOnlyList<string> DeliveredJournalsLeft { get; init; } = [];

    /// <summary>
    /// Gets the spool files that could be neither delivered (not read, or not trusted) nor moved to <c>quarantine/</c>
    /// (a file that cannot be renamed): left where they are, logged, and counted nowhere else. The next start tries again.
    /// </summary>
    internal IReadOnlyList<string> FilesLeftInPlace { get; init; } = [];

    /// <summary>
    /// Gets the lanes (customers) that are failing and have batches waiting, those failing longest first, at most
    /// <see cref="MaxFailingLanesListed"/> of them: key, since when, the last error and what waits.
    /// </summary>
    public IReadOnlyList<LaneStatus> FailingLanes { get; internal init; } = [];

    /// <summary>Gets how many lanes are failing with batches waiting, all of them (<see cref="FailingLanes"/> lists at most <see cref="MaxFailingLanesListed"/>).</summary>
    public int FailingLaneCount { get; internal init; }

    /// <summary>Gets the last delivery error, or <see langword="null"/> when none failed yet.</summary>
    public Exception? LastError { get; internal init; }

    /// <summary>Gets when the last delivery error happened, or <see langword="null"/>.</summary>
    public DateTimeOffset? LastErrorAt { get; internal init; }

    /// <summary>Gets the earliest time a failing batch is tried again, or <see langword="null"/> when none is failing.</summary>
    public DateTimeOffset? NextRetryAt { get; internal init; }

    /// <summary>
    /// Gets since when deliveries have made no progress: the start of the earliest attempt, or run of failed attempts,
    /// of a batch not delivered yet, or the last delivery if that came later. A status line can say "nothing delivered
    /// for" the time since.
    /// </summary>
    /// <value><see langword="null"/> when no undelivered batch has been tried yet (nothing sealed, or all delivered).</value>
    public DateTimeOffset? StalledSince { get; internal init; }

    /// <summary>
    /// Gets when the batch trying longest spends its retry budget: the start of its first attempt that did not succeed
    /// (failed, or still under way) plus <see cref="BatchBufferOptions.RetryBudget"/>; or, when that comes earlier, when
    /// the appends waiting for room in the spool spend it: since they began to wait (<see cref="SpoolRoomWaitSince"/>),
    /// or since the last delivery if that came later, plus the budget. It may be past (see <see cref="RetryBudgetSpent"/>).
    /// </summary>
    /// <value><see langword="null"/> when no batch is failing or being tried and no append waits for spool room, or the budget is <see cref="Timeout.InfiniteTimeSpan"/>.</value>
    public DateTimeOffset? RetryBudgetEndsAt { get; internal init; }

    /// <summary>
    /// Gets whether a batch is past its retry budget: refused permanently (<see cref="RefusedBatches"/>), or failing (or
    /// hanging in an attempt) without a break since <see cref="RetryBudgetEndsAt"/>. A <see cref="IBatchBuffer.FlushAsync"/> waiting for that
    /// batch throws a <see cref="BatchDeliveryException"/>; this is the same rule, for a program that must decide to give
    /// up before it flushes (such as <c>rawdata ship</c> while it still reads). Also true once appends have waited for room
    /// in the spool for the budget with nothing delivered (<see cref="SpoolRoomWaitSince"/>): no delivery frees room (the
    /// customer's batches keep failing, or a full disk takes no sealed batch), and they would wait for ever. Deliveries go on either way.
    /// </summary>
    public bool RetryBudgetSpent { get; internal init; }
}
