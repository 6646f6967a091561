using System.Runtime.CompilerServices;
using RawDataDestination.Internal;
using RawDataDestination.Spool;

namespace RawDataDestination.Batching;

/// <summary>The delivery stage's attempts: a run per batch through its lane's pipeline, and what each outcome does.</summary>
internal sealed partial class DeliveryStage
{
    private Action<PendingBatch, UploadSlots.Slot>? _beginRun;

    /// <summary>The one retry rule of a buffer's deliveries: everything but a permanent refusal or the caller's cancellation is tried again.</summary>
    private static bool IsRetryable(Exception error, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested && !IsPermanent(error);

    /// <summary>
    /// The exception a lane's failing warning carries: none for a refusal the destination explained
    /// (<see cref="IDeliveryRefusal"/>: its message says it all, and its stack trace and inner AWS errors made each line
    /// several KB), the exception otherwise (a consumer's own error, a bug). Every attempt's Debug line carries it anyway.
    /// </summary>
    private static Exception? StackWorthAWarning(Exception error) => error is IDeliveryRefusal ? null : error;

    private static bool IsPermanent(Exception error) => error is IDeliveryRefusal { IsPermanent: true } or SpoolDamagedException;

    /// <summary>
    /// Starts a delivery run for a batch not running: queues it for its lane's upload slot, with no task or attempt
    /// machinery until the slot is granted (<see cref="BeginRun"/>), so a batch waiting behind a failing customer costs
    /// only its description and its place in the queue. Call with the lock held.
    /// </summary>
    private void Start(PendingBatch batch)
    {
        batch.State = DeliveryState.Waiting;
        _beginRun ??= BeginRun; // one delegate for the stage: a queued batch holds no closure of its own
        _slots.Enqueue(batch.Lane!, batch.Sequence, _beginRun, batch);
        SignalLocked();
    }

    /// <summary>The batch's first slot is granted: its run starts with it, through its lane's pipeline (on the thread pool).</summary>
    private void BeginRun(PendingBatch batch, UploadSlots.Slot slot)
    {
        lock (_lock)
        {
            // Stopped (the batch stays in the spool, or goes to the host), or no longer this stage's to deliver.
            if (!_cancel.IsCancellationRequested && batch.State == DeliveryState.Waiting && _pending.Contains(batch))
            {
                Task run = Task.Run(() => RunAsync(batch, slot));
                _running.Add(run);
                _ = run.ContinueWith(
                    finished =>
                    {
                        lock (_lock)
                        {
                            _running.Remove(finished);
                            SignalLocked();
                        }
                    },
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
                return;
            }

            SignalLocked();
        }

        slot.Dispose();
    }

    private async Task RunAsync(PendingBatch batch, UploadSlots.Slot granted)
    {
        var first = new StrongBox<UploadSlots.Slot?>(granted);
        try
        {
            try
            {
                await RetryPipelines.ExecuteAsync(
                    batch.Lane!.Retry,
                    static async (s, ct) =>
                    {
                        await s.Stage.AttemptAsync(s.Batch, s.First, ct).ConfigureAwait(false);
                        return true;
                    },
                    (Stage: this, Batch: batch, First: first),
                    new RetryLog(this, batch),
                    _time,
                    _cancel.Token).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Exchange(ref first.Value, null)?.Dispose(); // the first attempt never began (stopped)
            }
        }
        catch (Exception) when (_cancel.IsCancellationRequested)
        {
            lock (_lock)
            {
                batch.State = DeliveryState.Waiting; // shutdown: stays in the spool, or goes to the host
                SignalLocked();
            }

            return;
        }
#pragma warning disable CA1031 // Only permanent refusals leave the pipeline: the batch is parked, never dropped.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            if (batch.QuarantinedTo is not null)
            {
                SetAside(batch);
            }
            else
            {
                Park(batch, exception);
            }

            return;
        }

        await DeliveredAsync(batch).ConfigureAwait(false);
    }

    /// <summary>One attempt: a fair upload slot for its lane, the bytes (from the spool if not in memory), one call to the consumer.</summary>
    /// <remarks>The run's first attempt uses the slot granted when it was queued (<paramref name="first"/>); each retry waits for one again.</remarks>
    private async Task AttemptAsync(PendingBatch batch, StrongBox<UploadSlots.Slot?> first, CancellationToken cancellationToken)
    {
        UploadSlots.Slot? granted = Interlocked.Exchange(ref first.Value, null);
        try
        {
            RouteHeldBatch(batch);
        }
        catch
        {
            granted?.Dispose();
            throw;
        }

        using UploadSlots.Slot slot = granted ?? await _slots.AcquireAsync(batch.Lane!, batch.Sequence, cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            batch.State = DeliveryState.Uploading;
            batch.AttemptStartedAt = ClockReading.Now(_time);
            SignalLocked();
        }

        // The lane's breaker, then the attempt's timeout: only an attempt that holds a slot counts, or probes a half-open breaker.
        SealedBatch? loaded = await batch.Lane!.Breaker.ExecuteAsync(
            static (s, ct) => s.Stage._attemptTimeout.ExecuteAsync(
                static async (s, ct) =>
                {
                    SealedBatch? fromDisk = null;
                    try
                    {
                        SealedBatch content = s.Batch.InMemory ?? (fromDisk = await SpooledBatchFiles.LoadAsync(s.Batch, ct).ConfigureAwait(false));
                        BatchReceipt receipt = await s.Stage._consumer.ConsumeAsync(content, ct).ConfigureAwait(false);
                        s.Stage._batchDelivered?.Invoke(receipt);
                        return fromDisk;
                    }
                    catch (Exception refusal) when (fromDisk is not null)
                    {
                        fromDisk.Dispose();
                        await SpooledBatchFiles.ThrowIfDamagedAsync(s.Batch, refusal, s.Stage._quarantine, ct).ConfigureAwait(false);
                        throw;
                    }
                },
                s,
                ct),
            (Stage: this, Batch: batch),
            cancellationToken).ConfigureAwait(false);
        loaded?.Dispose();
    }

    private async Task DeliveredAsync(PendingBatch batch)
    {
        string? journalLeft = await SpooledBatchFiles.RemoveAfterDeliveryAsync(batch, _spool, _logger).ConfigureAwait(false);
        Lane lane = batch.Lane!;
        var now = ClockReading.Now(_time);
        ClockReading? recoveredFrom;
        bool provenNow;
        lock (_lock)
        {
            batch.State = DeliveryState.Delivered;
            batch.FailingSince = null;
            batch.NextAttemptAt = null;
            RemoveLocked(batch);
            batch.TakeInMemory()?.Dispose();
            _deliveredBatches++;
            _deliveredEvents += batch.Manifest.EventCount;
            if (journalLeft is not null)
            {
                _deliveredJournalsLeft.Add(journalLeft);
            }

            _lastDeliveredAt = now;
            recoveredFrom = lane.FailingSince;
            SetFailingSinceLocked(lane, null);
            lane.ReportedParked = 0;
            provenNow = !lane.IsProven;
            lane.IsProven = true;
            lane.ProbeSequence = -1;
            SignalLocked();
        }

        if (provenNow)
        {
            _slots.Reconsider(); // the lane may take its fair share of slots now, its backlog oldest first
        }

        Telemetry.BatchesDelivered.Add(1, LaneTag(lane));
        if (recoveredFrom is { } since)
        {
            LogEvents.LaneRecovered(_logger, lane.Key, now.Since(since, _time), batch.Manifest.SourceId, batch.Manifest.FileName);
        }

        LogEvents.BatchDelivered(_logger, batch.Manifest.SourceId, batch.Manifest.FileName, batch.Manifest.EventCount, batch.FailedAttempts + 1);
    }

    /// <summary>
    /// Forgets a batch whose file was quarantined (logged and counted there): not delivered, never tried again, and no
    /// failure of its lane, whose destination did nothing wrong.
    /// </summary>
    private void SetAside(PendingBatch batch)
    {
        lock (_lock)
        {
            batch.State = DeliveryState.Quarantined;
            batch.NextAttemptAt = null;
            if (batch.Manifest.Cause != SealCause.Recovered)
            {
                _quarantinedEvents += batch.Manifest.EventCount; // read by this process: in none of its other counts now
            }

            if (batch.Lane!.ProbeSequence == batch.Sequence)
            {
                batch.Lane.ProbeSequence = -1; // the oldest batch waiting probes next
            }

            RemoveLocked(batch);
            SignalLocked();
        }

        _slots.Reconsider();
    }

    private void Park(PendingBatch batch, Exception exception)
    {
        bool laneStartsFailing;
        lock (_lock)
        {
            batch.State = DeliveryState.Parked;
            batch.LastError = exception;
            batch.NextAttemptAt = null;
            laneStartsFailing = RecordFailureLocked(batch.Lane!, exception, ClockReading.Now(_time), batch.AttemptStartedAt);
            if (batch.Lane!.ProbeSequence == batch.Sequence)
            {
                batch.Lane.ProbeSequence = -1; // parked: the oldest batch waiting probes next
            }

            SignalLocked();
        }

        _slots.Reconsider();

        if (laneStartsFailing)
        {
            LogEvents.LaneRefused(_logger, batch.Lane!.Key, exception.Message, StackWorthAWarning(exception));
        }

        if (batch.Lane!.Unrouted)
        {
            // One line per source would be a thousand for a removed customer: each at Debug, their count per cause in UnroutedKept.
            LogEvents.RefusedUnrouted(_logger, exception, batch.Manifest.SourceId, batch.Manifest.FileName, batch.Manifest.EventCount, batch.Lane.Key);
        }
        else
        {
            LogEvents.Refused(_logger, exception, batch.Manifest.SourceId, batch.Manifest.FileName, batch.Manifest.EventCount);
        }
    }

    /// <summary>
    /// For each lane of batches with no route whose parked batches are not as many as its last summary said, the counts
    /// of one summary line (one warning per cause, not one per source). Call with the lock held.
    /// </summary>
    private static List<(Lane Lane, int Batches, long Events, int Sources)> UnroutedChangedLocked(List<PendingBatch> parked)
    {
        var changed = new List<(Lane, int, long, int)>();
        foreach (IGrouping<Lane, PendingBatch> lane in parked.Where(p => p.Lane!.Unrouted).GroupBy(p => p.Lane!))
        {
            int batches = lane.Count();
            if (batches != lane.Key.ReportedParked)
            {
                lane.Key.ReportedParked = batches;
                changed.Add((lane.Key, batches, lane.Sum(p => p.Manifest.EventCount), lane.Select(p => p.Manifest.SourceId).Distinct(StringComparer.Ordinal).Count()));
            }
        }

        return changed;
    }

    /// <summary>Records a failed or refused attempt on its lane; returns whether the lane was healthy until now (one log line per run of failures).</summary>
    private bool RecordFailureLocked(Lane lane, Exception error, ClockReading now, ClockReading? attemptStartedAt)
    {
        _lastError = error;
        _lastErrorAt = now.UtcTime;
        lane.LastError = error;
        lane.LastErrorAt = now.UtcTime;
        lane.LastActiveTimestamp = now.Timestamp;
        lane.IsProven = false;
        if (lane.FailingSince is not null)
        {
            return false;
        }

        SetFailingSinceLocked(lane, attemptStartedAt ?? now);
        return true;
    }

    private KeyValuePair<string, object?>[] LaneTag(Lane lane) =>
        _tagLanes ? [Telemetry.Tag("rawdata.lane", lane.Key)] : [];

    /// <summary>Records each failed attempt of one batch: its state, its lane's health, the status, a log line and a metric.</summary>
    private sealed class RetryLog(DeliveryStage stage, PendingBatch batch) : IRetryObserver
    {
        public void OnRetry(int failedAttempt, Exception error, TimeSpan delay)
        {
            var now = ClockReading.Now(stage._time);
            Lane lane = batch.Lane!;
            Exception cause = RetryPipelines.Cause(error); // the customer's error, also while the lane's breaker is open
            bool laneStartsFailing;
            lock (stage._lock)
            {
                batch.State = DeliveryState.Failing;
                batch.FailedAttempts++;
                batch.FailingSince ??= batch.AttemptStartedAt ?? now; // the failed attempt's own time counts
                batch.NextAttemptAt = now.UtcTime + delay;
                batch.LastError = cause;
                laneStartsFailing = stage.RecordFailureLocked(lane, cause, now, batch.AttemptStartedAt);
                lane.ProbeSequence = lane.ProbeSequence < 0 ? batch.Sequence : Math.Min(lane.ProbeSequence, batch.Sequence); // the oldest failed batch probes
                stage.SignalLocked();
            }

            Telemetry.DeliveryRetries.Add(1, stage.LaneTag(lane));
            if (laneStartsFailing)
            {
                LogEvents.LaneFailing(stage._logger, lane.Key, cause.Message, StackWorthAWarning(cause));
            }

            LogEvents.AttemptFailed(stage._logger, error, batch.Manifest.SourceId, batch.Manifest.FileName, batch.Manifest.EventCount, batch.FailedAttempts, error.Message, now.UtcTime + delay);
        }
    }
}
