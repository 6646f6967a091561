namespace RawDataDestination.Batching;

/// <summary>
/// The upload slots (<see cref="BatchBufferOptions.MaxConcurrentUploads"/>) shared fairly by lanes. A free slot goes to
/// the next lane in turn that waits for one (round-robin over lanes, oldest batch first within a lane), provided the
/// lane holds less than its cap:
/// <list type="bullet">
/// <item><description>a proven lane (<see cref="Lane.IsProven"/>): its fair share of the slots that lanes not proven do
/// not hold, divided among the proven lanes that want one, at least one, and at most
/// <see cref="BatchBufferOptions.MaxConcurrentUploadsPerLane"/>;</description></item>
/// <item><description>a lane not proven (new, or its last attempt failed): one; while it is failing, only for its probe
/// (<see cref="Lane.ProbeSequence"/>) or an older batch. Lanes not proven together hold at most half the slots while a
/// proven lane waits.</description></item>
/// </list>
/// An attempt of a lane not proven that has not ended within <see cref="StepAsideAfter"/> steps aside: it keeps its
/// lane's one slot but gives the shared one back (at most <see cref="StepAsideFactor"/> × <c>MaxConcurrentUploads</c>
/// attempts step aside at once, which bounds the memory of the batches they hold). An endpoint that never answers costs
/// nothing while it waits, so customers whose endpoints hang, up to that many, cannot hold the slots healthy customers
/// need; their attempts still end by their response and attempt timeouts.
/// </summary>
internal sealed class UploadSlots : IDisposable
{
    /// <summary>How long an attempt of a lane not proven may hold a shared slot before it steps aside.</summary>
    internal static readonly TimeSpan StepAsideAfter = TimeSpan.FromSeconds(2);

    /// <summary>How many attempts, per shared slot, may step aside at once.</summary>
    internal const int StepAsideFactor = 4;

    private readonly object _lock = new();
    private readonly LinkedList<Lane> _turns = new();
    private readonly HashSet<Slot> _active = [];
    private readonly int _total;
    private readonly int _perLane;
    private readonly TimeProvider _time;
    private readonly ITimer _stepAside;
    private int _steppedAside;
    private bool _closed;

    public UploadSlots(int total, int perLane, TimeProvider time)
    {
        _total = total;
        _perLane = perLane;
        _time = time;
        _stepAside = time.CreateTimer(static slots => ((UploadSlots)slots!).Reconsider(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Waits for a slot for batch number <paramref name="sequence"/> of <paramref name="lane"/>; dispose the result to give it back.</summary>
    public async ValueTask<Slot> AcquireAsync(Lane lane, long sequence, CancellationToken cancellationToken)
    {
        var waiter = new AwaitedWaiter();
        lock (_lock)
        {
            lane.SlotWaiters.Add(sequence, waiter);
            lane.TurnNode ??= _turns.AddLast(lane);
            GrantLocked();
        }

        if (waiter.Task.IsCompleted)
        {
            return await waiter.Task.ConfigureAwait(false);
        }

        using CancellationTokenRegistration registration = cancellationToken.Register(() => Abandon(lane, sequence, waiter));
        try
        {
            return await waiter.Task.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw new OperationCanceledException(cancellationToken);
        }
    }

    /// <summary>
    /// Queues batch number <paramref name="sequence"/> of <paramref name="lane"/> for a slot without a task waiting for it:
    /// <paramref name="granted"/> is called on the thread pool with <paramref name="state"/> and the slot once the batch's turn comes (same order and
    /// caps as <see cref="AcquireAsync"/>), never after <see cref="Close"/>. What such a waiter costs is one entry in its
    /// lane's queue, however long it waits: a batch's attempt machinery is built only once it has a slot.
    /// </summary>
    public void Enqueue<TState>(Lane lane, long sequence, Action<TState, Slot> granted, TState state)
        where TState : class
    {
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            lane.SlotWaiters.Add(sequence, new QueuedWaiter<TState>(granted, state));
            lane.TurnNode ??= _turns.AddLast(lane);
            GrantLocked();
        }
    }

    /// <summary>At shutdown: forgets the waiters queued by <see cref="Enqueue"/> (their batches stay where they are) and queues no more.</summary>
    public void Close()
    {
        lock (_lock)
        {
            _closed = true;
            for (LinkedListNode<Lane>? node = _turns.First; node is not null;)
            {
                LinkedListNode<Lane>? next = node.Next;
                Lane lane = node.Value;
                foreach (long queued in lane.SlotWaiters.Where(w => w.Value is not AwaitedWaiter).Select(w => w.Key).ToList())
                {
                    lane.SlotWaiters.Remove(queued);
                }

                if (lane.SlotWaiters.Count == 0)
                {
                    _turns.Remove(node);
                    lane.TurnNode = null;
                }

                node = next;
            }
        }
    }

    /// <summary>Stops the step-aside timer.</summary>
    public void Dispose() => _stepAside.Dispose();

    /// <summary>Hands free slots out again after a lane's health or probe changed, or an attempt may step aside.</summary>
    public void Reconsider()
    {
        lock (_lock)
        {
            GrantLocked();
        }
    }

    /// <summary>Gives a slot back and hands free slots to the lanes next in turn.</summary>
    private void Release(Slot slot)
    {
        lock (_lock)
        {
            if (!_active.Remove(slot))
            {
                _steppedAside--;
            }

            slot.Lane.SlotsHeld--;
            GrantLocked();
        }
    }

    private void Abandon(Lane lane, long sequence, AwaitedWaiter waiter)
    {
        lock (_lock)
        {
            if (!waiter.Task.IsCompleted && lane.SlotWaiters.TryGetValue(sequence, out Waiter? queued) && queued == waiter && lane.SlotWaiters.Remove(sequence))
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

    /// <summary>Lets long attempts of lanes not proven step aside, then hands free slots out, round-robin, to waiting lanes under their caps.</summary>
    private void GrantLocked()
    {
        StepAsideLocked();
        bool granted = true;
        while (granted && _active.Count < _total)
        {
            granted = false;
            int heldByUnproven = 0;
            var provenHolders = new HashSet<Lane>();
            foreach (Slot held in _active)
            {
                if (held.Lane.IsProven)
                {
                    provenHolders.Add(held.Lane);
                }
                else
                {
                    heldByUnproven++;
                }
            }

            int provenWanting = provenHolders.Count + _turns.Count(w => w.IsProven && !provenHolders.Contains(w));
            bool unprovenMayTake = heldByUnproven < Math.Max(1, _total / 2) || provenWanting == 0;

            // A proven lane's fair share: the slots lanes not proven do not hold, divided among the proven lanes that want one.
            int fairShare = Math.Max(1, (_total - heldByUnproven + provenWanting - 1) / Math.Max(1, provenWanting));
            for (LinkedListNode<Lane>? node = _turns.First; node is not null; node = node.Next)
            {
                Lane lane = node.Value;
                if (NextLocked(lane, fairShare, unprovenMayTake) is not { } next)
                {
                    continue;
                }

                Waiter waiter = lane.SlotWaiters[next];
                lane.SlotWaiters.Remove(next);
                var slot = new Slot(this, lane, _time.GetTimestamp());
                _active.Add(slot);
                lane.SlotsHeld++;
                if (!lane.IsProven)
                {
                    _stepAside.Change(StepAsideAfter, Timeout.InfiniteTimeSpan);
                }

                // Its turn is spent: to the back of the round, or out of it when it waits for nothing more.
                _turns.Remove(node);
                lane.TurnNode = lane.SlotWaiters.Count > 0 ? _turns.AddLast(lane) : null;
                waiter.Grant(slot);
                granted = true;
                break;
            }
        }
    }

    /// <summary>Moves attempts of lanes not proven that have held a shared slot for <see cref="StepAsideAfter"/> out of the shared slots, up to the limit.</summary>
    private void StepAsideLocked()
    {
        TimeSpan? nextDue = null;
        foreach (Slot slot in _active.Where(s => !s.Lane.IsProven).ToList())
        {
            TimeSpan held = _time.GetElapsedTime(slot.GrantedAt);
            if (held >= StepAsideAfter && _steppedAside < StepAsideFactor * _total)
            {
                _active.Remove(slot);
                _steppedAside++;
            }
            else if (held < StepAsideAfter)
            {
                TimeSpan due = StepAsideAfter - held;
                nextDue = nextDue is null || due < nextDue ? due : nextDue;
            }
        }

        _stepAside.Change(nextDue ?? Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
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
            return lane.SlotsHeld < Math.Min(_perLane, fairShare) ? oldest : null;
        }

        // Not proven: one attempt at a time. While failing, only by its probe (the oldest batch that failed) or a batch
        // older than it; younger ones wait for the lane to recover instead of each trying on its own.
        long probe = lane.ProbeSequence;
        return lane.SlotsHeld < 1 && unprovenMayTake && (probe < 0 || oldest <= probe) ? oldest : null;
    }

    /// <summary>A batch waiting for a slot, in its lane's <see cref="Lane.SlotWaiters"/>.</summary>
    public abstract class Waiter
    {
        /// <summary>Hands the slot over; called under the slots' lock, so it runs nothing of the caller's inline.</summary>
        public abstract void Grant(Slot slot);
    }

    /// <summary>An attempt awaiting its slot (<see cref="AcquireAsync"/>).</summary>
    private sealed class AwaitedWaiter : Waiter
    {
        private readonly TaskCompletionSource<Slot> _granted = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<Slot> Task => _granted.Task;

        public override void Grant(Slot slot) => _granted.TrySetResult(slot);

        public void TrySetCanceled() => _granted.TrySetCanceled();
    }

    /// <summary>A batch queued for its first slot with no task waiting (<see cref="Enqueue"/>): its start is queued on the thread pool once granted.</summary>
    private sealed class QueuedWaiter<TState>(Action<TState, Slot> granted, TState state) : Waiter
    {
        public override void Grant(Slot slot) =>
            ThreadPool.UnsafeQueueUserWorkItem(static s => s.Granted(s.State, s.Slot), (Granted: granted, State: state, Slot: slot), preferLocal: false);
    }

    /// <summary>A held slot; disposing it gives it back.</summary>
    public sealed class Slot(UploadSlots owner, Lane lane, long grantedAt) : IDisposable
    {
        private int _released;

        public Lane Lane { get; } = lane;

        /// <summary>Gets when the slot was granted (<see cref="TimeProvider.GetTimestamp"/>).</summary>
        public long GrantedAt { get; } = grantedAt;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                owner.Release(this);
            }
        }
    }
}
