namespace RawDataDestination.Tests.Batching;

/// <summary>
/// Without a spool, a scheduled seal passes over the partitions whose lane holds its share of the in-memory bound
/// (more open partitions than MaxPendingBatches, or a customer with more sources than MaxPendingBatchesPerLane), and
/// seals them as their lanes' room comes back, not at some later tick (QA-D F2: each tick sealed 53 of 96 partitions,
/// always the same 53; the other 43 only at the final flush).
/// </summary>
public class SealPolicyScheduleRoomTests
{
    /// <summary>
    /// 48 customers of 2 sources each (96 partitions, over MaxPendingBatches' 32), or 1 customer of 20 sources (over
    /// MaxPendingBatchesPerLane's 8), all healthy: every partition open at one scheduled seal is delivered soon after it,
    /// with the clock still (no later tick, no flush).
    /// </summary>
    [TestCase(48, 2)]
    [TestCase(1, 20)]
    public async Task Schedule_WithMoreOpenPartitionsThanTheBoundHolds_SealsThosePassedOverAsRoomComesBack(int customers, int sourcesEach)
    {
        var time = new FakeTimeProvider(Start);
        var consumer = new GatedConsumer();
        using var release = consumer.ReleaseOnDispose();
        var logger = new CapturingLogger();
        await using var buffer = new BatchBuffer(EverySecond(), consumer, time, new Logger<BatchBuffer>(logger));
        string[] sources = [.. Enumerable.Range(0, customers).SelectMany(c => Enumerable.Range(0, sourcesEach).Select(s => $"c{c:00}.s{s:00}"))];
        foreach (string source in sources)
        {
            await buffer.AppendAsync(source, TestEvents.Event(source, 0)).AsTask().WaitAsync(Bound);
        }

        // One scheduled seal, with every delivery held: the lanes fill their shares and the rest is passed over.
        time.Advance(TimeSpan.FromSeconds(1));
        await WaitUntilStillAsync(() => buffer.GetStatus().OpenEvents);
        long passedOver = buffer.GetStatus().OpenEvents;
        Assert.That(passedOver, Is.InRange(1, sources.Length - 1), "the premise: the bound let the scheduled seal take only part of the partitions");
        Assert.That(buffer.GetStatus().HeldPastSchedule, Is.EqualTo(passedOver), "the status says how many partitions wait for room past the tick (one event each)");

        // The deliveries end (in milliseconds): the partitions passed over are sealed as room comes back, clock still.
        consumer.Release();
        bool all = await WaitForAsync(() => consumer.MessageIds.Count == sources.Length);

        Assert.That(all, Is.True, $"every partition open at the scheduled seal delivered after it, with no later tick; {consumer.MessageIds.Count} of {sources.Length}, {buffer.GetStatus().OpenEvents} events still open");
        Assert.That(consumer.MessageIds, Is.EquivalentTo(sources.Select(source => $"{source}-0")), "each event once");
        Assert.That(time.GetUtcNow(), Is.EqualTo(Start + TimeSpan.FromSeconds(1)), "one scheduled seal");
        Assert.That(buffer.GetStatus().OpenEvents, Is.Zero);
        Assert.That(buffer.GetStatus().HeldPastSchedule, Is.Zero);
        Assert.That(logger.Lines.Where(line => line.Contains("not sealed after the scheduled seal", StringComparison.Ordinal)), Is.Empty, "nothing held past the tick");
    }

    /// <summary>
    /// A slow customer (its uploads never end, but it is not failing) with more sources than its lane may hold: the
    /// scheduled seal waits for its room only until the next one, which still fires on time and seals the other
    /// customers' batches; the partition held past the tick is logged with its source.
    /// </summary>
    [Test]
    public async Task Schedule_WhileWaitingForRoomInASlowLane_TheNextScheduledSealStillSealsTheOthersAndTheHeldPartitionIsLogged()
    {
        await using ThreeSourcesInALaneOfTwo lane = await ThreeSourcesInALaneOfTwo.StartAsync("slow", CustomerHealth.NeverAnswers);
        var (time, consumer, logger, buffer) = lane;

        time.Advance(TimeSpan.FromSeconds(1)); // the first scheduled seal: two of slow's three partitions, the third passed over
        await WaitUntilStillAsync(() => buffer.GetStatus().OpenEvents);
        Assert.That(buffer.GetStatus().OpenEvents, Is.EqualTo(1), "slow's lane holds its two");
        Assert.That(buffer.GetStatus().HeldPastSchedule, Is.EqualTo(1), "one partition waits for room past the tick");

        await buffer.AppendAsync("fast.a", TestEvents.Event("fast.a", 0)).AsTask().WaitAsync(Bound);
        time.Advance(TimeSpan.FromSeconds(1)); // the next scheduled seal, on time
        bool delivered = await WaitForAsync(() => consumer.MessageIds("fast").Any());

        Assert.That(delivered, Is.True, "the next scheduled seal sealed the other customer's batch");
        Assert.That(buffer.GetStatus().OpenEvents, Is.EqualTo(1), "slow's third partition waits for room in its own lane");
        string held = logger.Lines.FirstOrDefault(line => line.Contains("not sealed after the scheduled seal", StringComparison.Ordinal)) ?? string.Empty;
        Assert.That(held, Does.Contain("1 open batches (1 events)").And.Contain("slow.").And.Contain("0 of them in lanes that are failing"), "the partition held past the first tick, logged when the next one began");
    }

    /// <summary>
    /// A failing customer with more sources than its lane may hold: the scheduled seal does not wait for its room (it
    /// would come back only once the customer delivers again); it ends with that partition open, logged as held in a
    /// failing lane, with the clock still at the tick.
    /// </summary>
    [Test]
    public async Task Schedule_WhenTheLaneOfAPartitionPassedOverIsFailing_DoesNotWaitForItAndLogsItAsHeld()
    {
        await using ThreeSourcesInALaneOfTwo lane = await ThreeSourcesInALaneOfTwo.StartAsync("broken", CustomerHealth.FailsAtOnce);
        var (time, _, logger, buffer) = lane;

        time.Advance(TimeSpan.FromSeconds(1)); // one scheduled seal: two sealed (and failing), the third passed over
        bool logged = await WaitForAsync(() => logger.Lines.Any(line => line.Contains("not sealed after the scheduled seal", StringComparison.Ordinal)));

        Assert.That(logged, Is.True, "the seal's catch-up ended at the failing lane, without waiting for the next run");
        string held = logger.Lines.First(line => line.Contains("not sealed after the scheduled seal", StringComparison.Ordinal));
        Assert.That(held, Does.Contain("1 open batches (1 events)").And.Contain("1 of them in lanes that are failing").And.Contain("broken."));
        Assert.That(buffer.GetStatus().HeldPastSchedule, Is.EqualTo(1));
        Assert.That(buffer.GetStatus().OpenEvents, Is.EqualTo(1), "the failing lane's third partition stays open: its share holds what it may");
        Assert.That(time.GetUtcNow(), Is.EqualTo(Start + TimeSpan.FromSeconds(1)), "the clock still at the tick");
    }

    private static BatchBufferOptions EverySecond() => new()
    {
        LaneKey = source => source.Split('.')[0],
        FlushInterval = TimeSpan.FromSeconds(1),
        FlushOffset = TimeSpan.Zero,
        ShutdownTimeout = TimeSpan.Zero,
    };

    /// <summary>
    /// One customer of the given health with three sources (<c>{customer}.a</c>, <c>.b</c>, <c>.c</c>), one event each
    /// appended, in a lane that may hold two pending batches; seals every second (<see cref="EverySecond"/>) on a fake clock at <see cref="TestEvents.Start"/>.
    /// </summary>
    private sealed class ThreeSourcesInALaneOfTwo : IAsyncDisposable
    {
        private ThreeSourcesInALaneOfTwo(BatchBufferOptions options)
        {
            Buffer = new BatchBuffer(options, Consumer, Time, new Logger<BatchBuffer>(Logger));
        }

        public FakeTimeProvider Time { get; } = new(Start);

        public CustomersConsumer Consumer { get; } = new();

        public CapturingLogger Logger { get; } = new();

        public BatchBuffer Buffer { get; }

        public static async Task<ThreeSourcesInALaneOfTwo> StartAsync(string customer, CustomerHealth health)
        {
            BatchBufferOptions options = EverySecond();
            options.MaxPendingBatchesPerLane = 2;
            var lane = new ThreeSourcesInALaneOfTwo(options);
            lane.Consumer.Set(customer, health);
            try
            {
                foreach (string source in new[] { $"{customer}.a", $"{customer}.b", $"{customer}.c" })
                {
                    await lane.Buffer.AppendAsync(source, TestEvents.Event(source, 0)).AsTask().WaitAsync(Bound);
                }

                return lane;
            }
            catch
            {
                await lane.DisposeAsync();
                throw;
            }
        }

        public void Deconstruct(out FakeTimeProvider time, out CustomersConsumer consumer, out CapturingLogger logger, out BatchBuffer buffer) =>
            (time, consumer, logger, buffer) = (Time, Consumer, Logger, Buffer);

        public ValueTask DisposeAsync() => Buffer.DisposeAsync();
    }

    /// <summary>Waits (real time, bounded) until <paramref name="condition"/> holds; returns whether it did.</summary>
    private static async Task<bool> WaitForAsync(Func<bool> condition)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (waited.Elapsed > TimeSpan.FromSeconds(10))
            {
                return false;
            }

            await Task.Delay(10);
        }

        return true;
    }

    /// <summary>Waits (real time, bounded) until <paramref name="value"/> has not changed for 300 ms: the seals under way are over.</summary>
    private static async Task WaitUntilStillAsync(Func<long> value)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        long last = value();
        var still = System.Diagnostics.Stopwatch.StartNew();
        while (still.Elapsed < TimeSpan.FromMilliseconds(300) && waited.Elapsed < Bound)
        {
            await Task.Delay(20);
            long now = value();
            if (now != last)
            {
                last = now;
                still.Restart();
            }
        }
    }
}
