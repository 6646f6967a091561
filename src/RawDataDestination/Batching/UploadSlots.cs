namespace RawDataDestination.Batching;

/// <summary>
/// The upload slots (<see cref="BatchBufferOptions.MaxConcurrentUploads"/>) shared fairly by lanes. A free slot goes to
/// the next lane in turn that waits for one (round-robin over lanes, first come first served within a lane), provided
/// the lane holds less than its cap:
/// <list type="bullet">
/// <item><description>its fair share: the slots divided among the lanes that hold or want one, at least one, and at most
/// <see cref="BatchBufferOptions.MaxConcurrentUploadsPerLane"/>;</description></item>
/// <item><description>one, for a lane not proven (<see cref="Lane.IsProven"/>: new, or its last attempt failed), and
/// while it is failing only for its probe (<see cref="Lane.ProbeSequence"/>) or an older batch; lanes not proven
/// together hold at most half the slots while a proven lane waits.</description></item>
/// </list>
/// Within a lane, the oldest batch (lowest sequence number) goes first. So a customer whose endpoint hangs holds one slot
/// until the response timeout frees it, never all of them, and its backlog goes out in order once it recovers.
/// </summary>
internal sealed class UploadSlots(int total, int perLane)
{
    private readonly object _lock = new();
    private readonly LinkedList<Lane> _turns = new();
    private readonly HashSet<Lane> _holders = [];
    private int _held;

    /// <summary>Waits for a slot for batch number <paramref name="sequence"/> of <paramref name="lane"/>; dispose the result to give it back.</summary>
    public async ValueTask<Slot> AcquireAsync(Lane lane, long sequence, CancellationToken cancellationToken)
    {
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            lane.SlotWaiters.Add(sequence, waiter);
            lane.TurnNode ??= _turns.AddLast(lane);
            GrantLocked();
        }

        if (!waiter.Task.IsCompleted)
        {
            using CancellationTokenRegistration registration = cancellationToken.Register(() => Abandon(lane, sequence, waiter));
            try
            {
                await waiter.Task.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw new OperationCanceledException(cancellationToken);
            }
        }

        return new Slot(this, lane);
    }

    /// <summary>Hands free slots out again after a lane's health or probe changed.</summary>
    public void Reconsider()
    {
        lock (_lock)
        {
            GrantLocked();
        }
    }

    /// <summary>Gives <paramref name="lane"/>'s slot back and hands free slots to the lanes next in turn.</summary>
    private void Release(Lane lane)
    {
        lock (_lock)
        {
            _held--;
            if (--lane.SlotsHeld == 0)
            {
                _holders.Remove(lane);
            }

            GrantLocked();
        }
    }

    private void Abandon(Lane lane, long sequence, TaskCompletionSource waiter)
    {
        lock (_lock)
        {
            if (!waiter.Task.IsCompleted && lane.SlotWaiters.Remove(sequence))
            {
                waiter.TrySetCanceled();
                if (lane.SlotWaiters.Count == 0 && lane.TurnNode is { } node)
                {
                    _turns.Remove(node);
                    lane.TurnNode = null;
                }

                GrantLocked();
            }
        }
    }

    /// <summary>Hands free slots out, round-robin, to waiting lanes under their caps.</summary>
    private void GrantLocked()
    {
        bool granted = true;
        while (granted && _held < total)
        {
            granted = false;
            int heldByUnproven = _holders.Where(h => !h.IsProven).Sum(h => h.SlotsHeld);
            int provenWanting = _holders.Count(h => h.IsProven) + _turns.Count(w => w.IsProven && w.SlotsHeld == 0);
            bool unprovenMayTake = heldByUnproven < Math.Max(1, total / 2) || provenWanting == 0;

            // A proven lane's fair share: the slots lanes not proven do not hold, divided among the proven lanes that want one.
            int fairShare = Math.Max(1, (total - heldByUnproven + provenWanting - 1) / Math.Max(1, provenWanting));
            for (LinkedListNode<Lane>? node = _turns.First; node is not null; node = node.Next)
            {
                Lane lane = node.Value;
                if (NextLocked(lane, fairShare, unprovenMayTake) is not { } next)
                {
                    continue;
                }

                TaskCompletionSource waiter = lane.SlotWaiters[next];
                lane.SlotWaiters.Remove(next);
                _held++;
                lane.SlotsHeld++;
                _holders.Add(lane);

                // Its turn is spent: to the back of the round, or out of it when it waits for nothing more.
                _turns.Remove(node);
                lane.TurnNode = lane.SlotWaiters.Count > 0 ? _turns.AddLast(lane) : null;
                waiter.TrySetResult();
                granted = true;
                break;
            }
        }
    }

    /// <summary>The waiter of <paramref name="lane"/> that may take a slot now (its sequence number), or <see langword="null"/>.</summary>
    /// <param name="lane">The lane.</param>
    /// <param name="fairShare">A proven lane's fair share of the slots now.</param>
    /// <param name="unprovenMayTake">Whether lanes not proven may take a slot now: they hold less than half, or no proven lane waits.</param>
    private long? NextLocked(Lane lane, int fairShare, bool unprovenMayTake)
    {
        if (lane.SlotWaiters.Count == 0)
        {
            return null;
        }
        long oldest = lane.SlotWaiters.Keys.First();
        if (lane.IsProven)
        {
            return lane.SlotsHeld < Math.Min(perLane, fairShare) ? oldest : null;
        }

        // Not proven: one attempt at a time. While failing, only by its probe (the oldest batch that failed) or a batch
        // older than it; younger ones wait for the lane to recover instead of each trying on its own.
        long probe = lane.ProbeSequence;
        return lane.SlotsHeld < 1 && unprovenMayTake && (probe < 0 || oldest <= probe) ? oldest : null;
    }

    /// <summary>A held slot; disposing it gives it back.</summary>
    public readonly struct Slot(UploadSlots owner, Lane lane) : IDisposable
    {
        public void Dispose() => owner.Release(lane);
    }
}
