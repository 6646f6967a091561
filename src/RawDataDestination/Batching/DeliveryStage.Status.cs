using RawDataDestination.Internal;

namespace RawDataDestination.Batching;

/// <summary>The delivery stage's status: the counts of the buffer, and the failing lanes.</summary>
internal sealed partial class DeliveryStage
{
    /// <summary>Gets the number of batches delivered.</summary>
    public long DeliveredBatches => Interlocked.Read(ref _deliveredBatches);

    /// <summary>Gets the batches not delivered now.</summary>
    public List<PendingBatch> Snapshot()
    {
        lock (_lock)
        {
            return [.. _pending];
        }
    }

    /// <summary>The status; <paramref name="openEvents"/> is read under the lock that a batch taken from the seals is counted under, so none is counted twice.</summary>
    public DeliveryStatus GetStatus(Func<long> openEvents, int quarantined, int heldPastSchedule)
    {
        var now = ClockReading.Now(_time);
        lock (_lock)
        {
            ClockReading? triedSince = _pending
                .Select(p => p.FailingSince ?? p.AttemptStartedAt)
                .Where(t => t.HasValue)
                .MinBy(t => t!.Value.Timestamp); // null when none was tried
            List<Lane> failing = FailingLanesLocked();
            TimeSpan? roomLeft = SpoolRoomBudgetLeft(now); // appends waiting for spool room that no delivery frees
            return new DeliveryStatus
            {
                DeliveredBatches = _deliveredBatches,
                DeliveredEvents = _deliveredEvents,
                WaitingBatches = _pending.Count(p => p.State == DeliveryState.Waiting),
                UploadingBatches = _pending.Count(p => p.State == DeliveryState.Uploading),
                UploadingEvents = _pending.Where(p => p.State == DeliveryState.Uploading).Sum(p => p.Manifest.EventCount),
                UnansweredEvents = _pending.Where(p => p.State != DeliveryState.Uploading && p.InMemory?.MayHaveBeenWritten == true).Sum(p => p.Manifest.EventCount),
                FailingBatches = _pending.Count(p => p.State == DeliveryState.Failing),
                RefusedBatches = _pending.Count(p => p.State == DeliveryState.Parked),
                UndeliveredEvents = _pending.Sum(p => p.Manifest.EventCount),
                OpenEvents = openEvents(),
                HeldPastSchedule = heldPastSchedule,
                SpooledBatches = _spool?.SealedCount ?? 0,
                SpoolDiskFullSince = _spool?.DiskFullSince,
                SpoolRoomWaitSince = _spool?.AppendsWaitingSince?.UtcTime,
                QuarantinedFiles = quarantined,
                QuarantinedEvents = _quarantinedEvents,
                DeliveredJournalsLeft = [.. _deliveredJournalsLeft],
                FilesLeftInPlace = _quarantine?.LeftInPlace ?? [],
                FailingLaneCount = failing.Count,
                FailingLaneBatches = failing.Sum(l => l.Undelivered),
                FailingLaneEvents = failing.Sum(l => l.UndeliveredEvents),
                FailingLanes = failing
                    .OrderBy(l => l.FailingSince!.Value.Timestamp)
                    .ThenBy(l => l.Key, StringComparer.Ordinal)
                    .Take(DeliveryStatus.MaxFailingLanesListed)
                    .Select(l => new LaneStatus
                    {
                        Key = l.Key,
                        FailingSince = l.FailingSince!.Value.UtcTime,
                        LastError = l.LastError,
                        LastErrorAt = l.LastErrorAt,
                        WaitingBatches = l.Undelivered,
                        WaitingEvents = l.UndeliveredEvents,
                        SpooledBytes = l.SpooledBytes,
                    })
                    .ToList(),
                LastError = _lastError,
                LastErrorAt = _lastErrorAt,
                NextRetryAt = _pending.Where(p => p.State == DeliveryState.Failing).Min(p => p.NextAttemptAt),
                StalledSince = triedSince is { } since && _lastDeliveredAt is { } delivered && delivered.Timestamp > since.Timestamp ? delivered.UtcTime : triedSince?.UtcTime,
                RetryBudgetEndsAt = _pending.Select(p => RetryBudgetLeft(p, now)).Append(roomLeft).Min() is { } left ? now.UtcTime + left : null,
                RetryBudgetSpent = _pending.Any(p => IsPastRetryBudget(p, now)) || roomLeft <= TimeSpan.Zero,
            };
        }
    }

    /// <summary>How many lanes are failing with batches waiting, for the <c>rawdata.lanes.failing</c> gauge.</summary>
    private int FailingLaneCount()
    {
        lock (_lock)
        {
            return FailingLanesLocked().Count;
        }
    }

    private List<Lane> FailingLanesLocked() => [.. _lanes.Values.Where(l => l.FailingSince is not null && l.Undelivered > 0)];
}
