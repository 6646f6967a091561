using RawDataDestination.Internal;

namespace RawDataDestination.Batching;

/// <summary>The delivery stage's waits: the shutdown and its wait for everything, the wait for given batches (a flush), and the retry budget's rule (for batches, and for appends waiting for spool room).</summary>
internal sealed partial class DeliveryStage
{
    /// <summary>
    /// At shutdown: tries parked batches once more, waits for every delivery until <paramref name="deadline"/> fires,
    /// but not for a lane that has a batch past its retry budget (the rule a flush gives up by: the batches of that lane,
    /// but those just tried again and an attempt under way when the stop began, which is let end, are given up at once), then cancels the
    /// deliveries still under way and waits for them to stop, at most <see cref="AbandonAfter"/> more: an attempt that
    /// ignores its cancellation is left behind (its batch stays in the spool, or is handed over as a copy by
    /// <see cref="TakeUndelivered"/>). What is not delivered stays in the spool, or in memory for <see cref="TakeUndelivered"/>.
    /// </summary>
    public async Task StopAsync(CancellationToken deadline)
    {
        StopSpoolShareWaits();
        HashSet<PendingBatch> triedAgain = RetryRefused();
        Dictionary<PendingBatch, int> underWay;
        lock (_lock)
        {
            underWay = _pending.Where(p => p.State == DeliveryState.Uploading).ToDictionary(p => p, p => p.FailedAttempts);
        }

        try
        {
            await WaitAllAsync(triedAgain, underWay, deadline).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
        }

        await _cancel.CancelAsync().ConfigureAwait(false);
        _slots.Close(); // the batches still queued for a slot start no run now: they stay in the spool, or go to the host

        // Only the attempts under way (holding a slot, in the consumer's call: at most the slots and the attempts stepped
        // aside) are waited for. The other batches' runs (waiting for a slot or a retry, thousands with a large spool)
        // end by their cancellation at once, and need no wait: waiting for them all made the stop outlast its deadline
        // while they unwound, and counted each one not yet unwound as an attempt left behind.
        List<PendingBatch> inFlight;
        lock (_lock)
        {
            inFlight = [.. _pending.Where(p => p.State == DeliveryState.Uploading)];
        }

        using (var grace = new CancellationTokenSource(AbandonAfter, _time))
        {
            while (true)
            {
                Task changed;
                lock (_lock)
                {
                    if (inFlight.TrueForAll(p => p.State != DeliveryState.Uploading))
                    {
                        break;
                    }

                    changed = _changed.Task;
                }

                await changed.WaitAsync(grace.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (grace.IsCancellationRequested)
                {
                    break;
                }
            }
        }

        lock (_lock)
        {
            int abandoned = inFlight.Count(p => p.State == DeliveryState.Uploading);
            if (abandoned > 0)
            {
                LogEvents.AttemptsAbandoned(_logger, abandoned, AbandonAfter, _pending.Count - abandoned);
            }
        }
    }

    /// <summary>
    /// Waits until every batch of <paramref name="batches"/> is delivered (or quarantined: its file changed on disk; or taken by the host), or is in a lane given up: a lane one of whose
    /// batches is refused permanently, or has been failing (or hanging in an attempt) without a break for
    /// <see cref="BatchBufferOptions.RetryBudget"/>. A broken lane neither ends the wait for the other lanes early nor,
    /// once given up, holds it: the others are waited for, its own batches are not. Then, if any batch is left, throws
    /// <see cref="BatchDeliveryException"/> naming the lanes given up; the batches are kept and their delivery goes on.
    /// </summary>
    public Task WaitDeliveredAsync(List<PendingBatch> batches, CancellationToken cancellationToken) =>
        WaitAsync(
            () =>
            {
                batches.RemoveAll(p => p.State is DeliveryState.Delivered or DeliveryState.Quarantined or DeliveryState.TakenByHost);
                return batches;
            },
            untilDelivered: true,
            cancellationToken);

    /// <summary>
    /// Throws <see cref="BatchDeliveryException"/> as soon as one of the batches not delivered (those taken meanwhile
    /// included) is refused permanently or spends <see cref="BatchBufferOptions.RetryBudget"/>; runs until cancelled
    /// otherwise. A flush's seals that wait for room in a full lane are watched by it (the flush reports the lane by
    /// <see cref="WaitDeliveredAsync"/>, not by this exception).
    /// </summary>
    public Task ThrowWhenAnyGivenUpAsync(CancellationToken cancellationToken) =>
        WaitAsync(() => [.. _pending.Where(p => p.State != DeliveryState.Delivered)], untilDelivered: false, cancellationToken);

    /// <summary>The one loop of both waits: <paramref name="batchesNow"/> (called with the lock held) gives the batches to watch.</summary>
    private async Task WaitAsync(Func<List<PendingBatch>> batchesNow, bool untilDelivered, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            TimeSpan? nextBudgetEnds = null;
            lock (_lock)
            {
                List<PendingBatch> batches = batchesNow();
                if (untilDelivered && batches.Count == 0)
                {
                    return;
                }

                var now = ClockReading.Now(_time);
                var givenUp = new List<PendingBatch>();
                var lanesGivenUp = new HashSet<Lane>();
                foreach (PendingBatch batch in batches)
                {
                    if (IsPastRetryBudget(batch, now))
                    {
                        givenUp.Add(batch);
                        lanesGivenUp.Add(batch.Lane!);
                    }

                    if (RetryBudgetLeft(batch, now) is { } left)
                    {
                        nextBudgetEnds = nextBudgetEnds is null || left < nextBudgetEnds ? left : nextBudgetEnds;
                    }
                }

                // A flush ends once what is left is all in lanes given up (the healthy lanes delivered); the watch, at the first.
                if (givenUp.Count > 0 && (!untilDelivered || batches.TrueForAll(b => lanesGivenUp.Contains(b.Lane!))))
                {
                    // The batches given up are counted apart from those still being delivered (uploading, waiting, or
                    // failing within the budget), which were not: the message said all of them were refused or failing.
                    Exception? last = givenUp.Select(b => b.LastError).LastOrDefault(e => e is not null) ?? _lastError;
                    List<string> lanes = untilDelivered ? [.. lanesGivenUp.Select(l => l.Key).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)] : [];
                    throw new BatchDeliveryException(batches.Count, batches.Sum(b => b.Manifest.EventCount), givenUp.Count, givenUp.Sum(b => b.Manifest.EventCount), last, lanes);
                }

                changed = _changed.Task;
            }

            await WaitForChangeAsync(changed, nextBudgetEnds, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// How much of the retry budget <paramref name="batch"/> has left at <paramref name="now"/> (zero or less: spent), or
    /// <see langword="null"/> when no budget runs for it. The budget counts from the start of its first attempt that did
    /// not succeed, failed or still under way (a hung call counts, from its start), on the monotonic clock: a wall clock
    /// set back or forward neither stretches nor shortens it. Call with the lock held.
    /// </summary>
    private TimeSpan? RetryBudgetLeft(PendingBatch batch, ClockReading now)
    {
        if (batch.State == DeliveryState.Parked || _retryBudget == Timeout.InfiniteTimeSpan)
        {
            return null;
        }

        ClockReading? since = batch.FailingSince ?? (batch.State == DeliveryState.Uploading ? batch.AttemptStartedAt : null);
        return since is { } start ? _retryBudget - now.Since(start, _time) : null;
    }

    /// <summary>
    /// How much of the retry budget the appends waiting for room in the spool have left at <paramref name="now"/>, or
    /// <see langword="null"/> when none waits (or no budget runs). Only a delivery frees room, so the budget counts from
    /// when they began to wait, or from the last delivery if that came later: appends that have waited for it with nothing
    /// delivered would wait for ever (the customer's batches keep failing; journals an earlier run left on a full disk
    /// cannot even be sealed, so nothing is tried). Call with the lock held.
    /// </summary>
    private TimeSpan? SpoolRoomBudgetLeft(ClockReading now)
    {
        if (_retryBudget == Timeout.InfiniteTimeSpan || _spool?.AppendsWaitingSince is not { } since)
        {
            return null;
        }

        ClockReading start = _lastDeliveredAt is { } delivered && delivered.Timestamp > since.Timestamp ? delivered : since;
        return _retryBudget - now.Since(start, _time);
    }

    /// <summary>The one rule of giving up on a batch (a flush's, and the status'): refused, or trying for the retry budget. Call with the lock held.</summary>
    private bool IsPastRetryBudget(PendingBatch batch, ClockReading now) =>
        batch.State == DeliveryState.Parked || RetryBudgetLeft(batch, now) <= TimeSpan.Zero;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>Waits until the stage changes (<paramref name="changed"/>) or, when there is one, <paramref name="budgetEnds"/> has passed: the time until the next retry budget ends.</summary>
    private async Task WaitForChangeAsync(Task changed, TimeSpan? budgetEnds, CancellationToken cancellationToken)
    {
        if (budgetEnds is null)
        {
            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        using var wake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task timer = Task.Delay(Max(budgetEnds.Value, TimeSpan.Zero), _time, wake.Token);
        await Task.WhenAny(changed, timer).ConfigureAwait(false);
        await wake.CancelAsync().ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// Waits until every batch left is parked, or in a lane given up (one of its batches, not of
    /// <paramref name="triedAgain"/>, is past its retry budget: a flush has given up on it already, or would) and not in
    /// the attempt it was in when the stop began, and nothing else runs. A batch of <paramref name="triedAgain"/> (parked,
    /// tried again by the shutdown) and an attempt under way when the stop began (<paramref name="underWay"/>: each such
    /// batch with its failed attempts then) are waited for; a later attempt in a lane given up is not, or lanes that each
    /// retry a silent endpoint would keep one attempt or another under way until the deadline.
    /// </summary>
    private async Task WaitAllAsync(HashSet<PendingBatch> triedAgain, Dictionary<PendingBatch, int> underWay, CancellationToken cancellationToken)
    {
        List<Lane> givenUp;
        while (true)
        {
            Task changed;
            TimeSpan? nextBudgetEnds = null;
            lock (_lock)
            {
                var now = ClockReading.Now(_time);
                var budgetSpent = new HashSet<Lane>();
                foreach (PendingBatch batch in _pending)
                {
                    if (batch.State != DeliveryState.Parked && !triedAgain.Contains(batch) && RetryBudgetLeft(batch, now) is { } left)
                    {
                        if (left <= TimeSpan.Zero)
                        {
                            budgetSpent.Add(batch.Lane!);
                        }
                        else
                        {
                            nextBudgetEnds = nextBudgetEnds is null || left < nextBudgetEnds ? left : nextBudgetEnds;
                        }
                    }
                }

                // An attempt under way when the stop began is let end (within the deadline), given up or not: it may still
                // deliver, and its error (an STS that never answered, say) is what tells the host why.
                bool waitsForAny = _pending.Any(p => p.State != DeliveryState.Parked
                    && (triedAgain.Contains(p) || !budgetSpent.Contains(p.Lane!) || (p.State == DeliveryState.Uploading && underWay.TryGetValue(p, out int failed) && p.FailedAttempts == failed)));
                givenUp = [.. budgetSpent.Where(l => l.Undelivered > 0)];
                if (!waitsForAny && (givenUp.Count > 0 || _running.Count == 0))
                {
                    break;
                }

                changed = _changed.Task;
            }

            await WaitForChangeAsync(changed, nextBudgetEnds, cancellationToken).ConfigureAwait(false);
        }

        if (givenUp.Count > 0)
        {
            LogEvents.LanesGivenUpAtShutdown(_logger, givenUp.Count, LogEvents.Lanes(givenUp.Select(l => l.Key).Order(StringComparer.Ordinal).ToList(), key => key), _retryBudget);
        }
    }

    /// <summary>
    /// Whether a lane may hold one more sealed batch of <paramref name="sourceId"/> in memory now (the rule of
    /// <see cref="HasRoomFor"/>), and if not, whether that lane is failing. A lane found full or failing is kept in
    /// <paramref name="seen"/> by its key, so a round over many partitions asks the bound once per lane, not once per partition.
    /// </summary>
    public LaneRoom RoomFor(string sourceId, Dictionary<string, LaneRoom> seen)
    {
        LaneId laneId = RouteOf(sourceId).Lane;
        if (laneId.Unrouted)
        {
            return LaneRoom.Room;
        }

        if (seen.TryGetValue(laneId.Key, out LaneRoom known))
        {
            return known;
        }

        lock (_lock)
        {
            _lanes.TryGetValue(laneId, out Lane? lane);
            int held = lane?.InMemory ?? 0;
            if (HasRoomLocked(held, held > 0))
            {
                return LaneRoom.Room;
            }

            LaneRoom room = lane?.FailingSince is not null ? LaneRoom.Failing : LaneRoom.Full;
            seen[laneId.Key] = room;
            return room;
        }
    }

    /// <summary>A task that completes at the stage's next change (a batch taken, delivered, failed or refused): when room in a lane may have come back.</summary>
    public Task NextChange()
    {
        lock (_lock)
        {
            return _changed.Task;
        }
    }
}
