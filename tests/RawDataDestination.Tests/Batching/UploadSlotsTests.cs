using Polly;

namespace RawDataDestination.Tests.Batching;

/// <summary>The upload slots' fair shares: round-robin over lanes, oldest batch first within a lane, one slot for a lane not proven.</summary>
public class UploadSlotsTests
{
    private static Lane NewLane(string key, bool proven = true) => new(key, ResiliencePipeline.Empty, ResiliencePipeline.Empty) { IsProven = proven };

    /// <summary>Upload slots with one slot in all, held by <paramref name="lane"/>'s batch 0: every other acquire waits.</summary>
    private static async Task<(UploadSlots Slots, UploadSlots.Slot Held)> OneSlotHeldByAsync(Lane lane, int perLane)
    {
        var slots = new UploadSlots(total: 1, perLane: perLane, TimeProvider.System);
        return (slots, await slots.AcquireAsync(lane, 0, CancellationToken.None));
    }

    [Test]
    public async Task Acquire_WhenOneLaneHasManyWaitingAndAnotherOne_GivesTheFreedSlotsInTurn()
    {
        Lane busy = NewLane("busy");
        Lane other = NewLane("other");
        var (slots, held) = await OneSlotHeldByAsync(busy, perLane: 4);
        var order = new List<string>();
        var waiting = new List<Task>();
        for (long i = 1; i <= 3; i++)
        {
            waiting.Add(Take(busy, i));
        }

        waiting.Add(Take(other, 10));
        held.Dispose();
        await Task.WhenAll(waiting).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.That(order, Is.EqualTo(new[] { "busy-1", "other-10", "busy-2", "busy-3" }), "the lane with one batch waits for one turn, not three");

        async Task Take(Lane lane, long sequence)
        {
            using UploadSlots.Slot slot = await slots.AcquireAsync(lane, sequence, CancellationToken.None);
            lock (order)
            {
                order.Add($"{lane.Key}-{sequence}");
            }
        }
    }

    [Test]
    public async Task Acquire_WithinALane_GivesTheOldestBatchFirst()
    {
        var slots = new UploadSlots(total: 1, perLane: 1, TimeProvider.System);
        Lane lane = NewLane("acme");
        UploadSlots.Slot held = await slots.AcquireAsync(lane, 0, CancellationToken.None);
        Task<UploadSlots.Slot> younger = slots.AcquireAsync(lane, 7, CancellationToken.None).AsTask();
        Task<UploadSlots.Slot> older = slots.AcquireAsync(lane, 3, CancellationToken.None).AsTask();

        held.Dispose();

        Assert.That(await Task.WhenAny(older, younger).WaitAsync(TimeSpan.FromSeconds(10)), Is.SameAs(older), "batch 3 before batch 7");
        Assert.That(younger.IsCompleted, Is.False, "one slot: batch 7 waits for batch 3's");
        (await older).Dispose();
        (await younger.WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
    }

    [Test]
    public async Task Acquire_ForALaneNotProven_GivesOneSlotAtATimeAndLeavesTheRestToOthers()
    {
        var slots = new UploadSlots(total: 4, perLane: 4, TimeProvider.System);
        Lane hanging = NewLane("hanging", proven: false);
        Lane healthy = NewLane("healthy");
        UploadSlots.Slot first = await slots.AcquireAsync(hanging, 1, CancellationToken.None);
        ValueTask<UploadSlots.Slot> second = slots.AcquireAsync(hanging, 2, CancellationToken.None);

        var others = new List<UploadSlots.Slot>();
        for (long i = 0; i < 3; i++)
        {
            others.Add(await slots.AcquireAsync(healthy, i, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        }

        Assert.That(second.IsCompleted, Is.False, "a lane not proven holds one slot while its attempt has not answered");
        first.Dispose();
        (await second.AsTask().WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
        others.ForEach(s => s.Dispose());
    }

    [Test]
    public async Task Acquire_WhenFailing_LetsOnlyItsProbeOrAnOlderBatchTry()
    {
        var slots = new UploadSlots(total: 4, perLane: 4, TimeProvider.System);
        Lane failing = NewLane("failing", proven: false);
        failing.ProbeSequence = 5;
        ValueTask<UploadSlots.Slot> younger = slots.AcquireAsync(failing, 9, CancellationToken.None);
        Assert.That(younger.IsCompleted, Is.False, "batch 9 waits for the lane's probe (batch 5)");

        UploadSlots.Slot probe = await slots.AcquireAsync(failing, 5, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        failing.IsProven = true; // the probe delivered: the lane recovered
        probe.Dispose();

        (await younger.AsTask().WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
    }

    [Test]
    public async Task Acquire_WhenLanesNotProvenHangPastStepAsideAfter_TheirSharedSlotsGoToOthers()
    {
        var time = new FakeTimeProvider();
        using var slots = new UploadSlots(total: 2, perLane: 4, time);
        Lane first = NewLane("hanging-1", proven: false);
        Lane second = NewLane("hanging-2", proven: false);
        UploadSlots.Slot hung1 = await slots.AcquireAsync(first, 1, CancellationToken.None);
        UploadSlots.Slot hung2 = await slots.AcquireAsync(second, 2, CancellationToken.None);
        Task<UploadSlots.Slot> healthy = slots.AcquireAsync(NewLane("healthy", proven: false), 3, CancellationToken.None).AsTask();
        Task<UploadSlots.Slot> moreOfFirst = slots.AcquireAsync(first, 4, CancellationToken.None).AsTask();
        Assert.That(await Task.WhenAny(healthy, Task.Delay(300)), Is.Not.SameAs(healthy), "both shared slots are held by attempts that have not answered");

        time.Advance(UploadSlots.StepAsideAfter);

        (await healthy.WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
        Assert.That(moreOfFirst.IsCompleted, Is.False, "a lane not proven keeps one attempt at a time: its hung one");
        hung1.Dispose();
        (await moreOfFirst.WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
        hung2.Dispose();
    }

    [Test]
    public async Task Acquire_WhenCancelledWhileWaiting_ThrowsAndGivesTheTurnAway()
    {
        Lane lane = NewLane("acme");
        Lane other = NewLane("other");
        var (slots, held) = await OneSlotHeldByAsync(lane, perLane: 1);
        using var cancel = new CancellationTokenSource();
        ValueTask<UploadSlots.Slot> cancelled = slots.AcquireAsync(lane, 1, cancel.Token);
        ValueTask<UploadSlots.Slot> next = slots.AcquireAsync(other, 2, CancellationToken.None);

        await cancel.CancelAsync();
        Assert.CatchAsync<OperationCanceledException>(async () => await cancelled);
        held.Dispose();

        (await next.AsTask().WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
    }
}
