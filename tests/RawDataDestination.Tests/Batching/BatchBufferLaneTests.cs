namespace RawDataDestination.Tests.Batching;

/// <summary>
/// Many customers on one buffer, some broken: each customer is a lane, and a broken lane never slows, blocks or stalls
/// the others (issue: many customers in one process).
/// </summary>
public class BatchBufferLaneTests
{
    private static byte[] Event(string lane, int i) => TestEvents.Event(lane, i, padding: 80);

    /// <summary>Batches of about 1 KB, two pending per lane, sealed every second on the fake clock.</summary>
    internal static BatchBufferOptions TwoBatchShares() => KilobyteBatches.SealedEvery(TimeSpan.FromSeconds(1), maxPendingBatchesPerLane: 2);

    private static IEnumerable<string> Ids(string lane, int count) => Enumerable.Range(0, count).Select(i => $"{lane}-{i}");

    [TestCase(CustomerHealth.FailsAtOnce, false)]
    [TestCase(CustomerHealth.NeverAnswers, false)]
    [TestCase(CustomerHealth.FailsAtOnce, true)]
    [TestCase(CustomerHealth.NeverAnswers, true)]
    public async Task Deliver_WithFourOfFiftyFourCustomersBroken_HealthyOnesAreDeliveredAtOnceAndTheBrokenOnesOnceTheyRecover(CustomerHealth broken, bool withSpool)
    {
        var time = new FakeTimeProvider(Start);
        var consumer = new CustomersConsumer();
        string[] brokenLanes = [.. Enumerable.Range(0, 4).Select(i => $"broken-{i}")];
        string[] healthyLanes = [.. Enumerable.Range(0, 50).Select(i => $"healthy-{i}")];
        foreach (string lane in brokenLanes)
        {
            consumer.Set(lane, broken);
        }

        using var spool = withSpool ? new TempDirectory() : null;
        BatchBufferOptions options = KilobyteBatches.SealedEvery(TimeSpan.FromSeconds(1), spool); // about 8 events a batch; the schedule seals what is open every second
        await using var buffer = new BatchBuffer(options, consumer, time);
        const int PerLane = 100; // about 10 batches per customer

        // The broken customers go first and fill whatever they may; their own appends may wait for their own share.
        Task brokenAppends = Task.WhenAll(brokenLanes.Select(async lane =>
        {
            for (int i = 0; i < PerLane; i++)
            {
                await buffer.AppendAsync(lane, Event(lane, i));
            }
        }));
        await time.DriveUntilAsync(() => consumer.Attempts(brokenLanes[^1]) > 0, TimeSpan.Zero);

        // A healthy customer's append never waits on another customer: each one returns promptly, with the clock still.
        foreach (int i in Enumerable.Range(0, PerLane))
        {
            foreach (string lane in healthyLanes)
            {
                await buffer.AppendAsync(lane, Event(lane, i)).AsTask().WaitAsync(Bound);
            }
        }

        // The schedule seals the last, partly filled batches (a lane whose previous batch is still in flight waits for
        // the next second's run): the clock moves a second at a time until every healthy event is in.
        await TickUntilAsync(time, () => healthyLanes.All(lane => consumer.MessageIds(lane).Count() >= PerLane), () => consumer.Delivered.Count);

        Assert.That(time.GetUtcNow() - Start, Is.LessThanOrEqualTo(TimeSpan.FromSeconds(5)), "delivered within 5 s of the appends, on the buffer's clock");
        foreach (string lane in healthyLanes)
        {
            Assert.That(consumer.MessageIds(lane), Is.EquivalentTo(Ids(lane, PerLane)), $"{lane}: every event once");
        }

        Assert.That(brokenLanes.SelectMany(consumer.MessageIds), Is.Empty, "nothing of a broken customer landed anywhere");
        Assert.That(brokenLanes.Max(consumer.MaxInFlight), Is.EqualTo(1), "a broken customer is probed one attempt at a time");
        DeliveryStatus status = buffer.GetStatus();
        Assert.That(status.FailingLanes.Select(l => l.Key), Is.EquivalentTo(brokenLanes).Or.SubsetOf(brokenLanes), "only broken customers are listed as failing");

        // They recover: their backlog is delivered once, oldest batch first.
        foreach (string lane in brokenLanes)
        {
            consumer.Set(lane, CustomerHealth.Healthy);
        }

        await time.DriveAsync(brokenAppends, TimeSpan.FromSeconds(30));
        await time.DriveUntilAsync(() => brokenLanes.All(lane => consumer.MessageIds(lane).Count() >= PerLane), TimeSpan.FromSeconds(30));
        foreach (string lane in brokenLanes)
        {
            Assert.That(consumer.MessageIds(lane), Is.EquivalentTo(Ids(lane, PerLane)), $"{lane}: every event once after it recovered");
        }

        Assert.That(buffer.GetStatus().FailingLaneCount, Is.Zero);
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task Deliver_WithMoreHangingCustomersThanUploadSlots_TheHealthyOnesStillLandWithinSeconds(bool withSpool)
    {
        var time = new FakeTimeProvider(Start);
        var consumer = new CustomersConsumer();
        string[] hanging = [.. Enumerable.Range(0, 12).Select(i => $"hanging-{i}")];
        string[] healthy = [.. Enumerable.Range(0, 12).Select(i => $"healthy-{i}")];
        foreach (string lane in hanging)
        {
            consumer.Set(lane, CustomerHealth.NeverAnswers);
        }

        using var spool = withSpool ? new TempDirectory() : null;
        var options = new BatchBufferOptions
        {
            MaxConcurrentUploads = 4, // three hanging customers for every slot
            FlushInterval = TimeSpan.FromSeconds(1),
            FlushOffset = TimeSpan.Zero,
            SpoolDirectory = spool?.Path,
            ShutdownTimeout = TimeSpan.Zero,
        };
        await using var buffer = new BatchBuffer(options, consumer, time);

        // The hanging customers' batches are sealed first, so they are the first to take the slots.
        foreach (string lane in hanging)
        {
            await buffer.AppendAsync(lane, Event(lane, 0)).AsTask().WaitAsync(Bound);
        }

        time.Advance(TimeSpan.FromSeconds(1));
        await WaitForAsync(() => hanging.Sum(consumer.Attempts) >= options.MaxConcurrentUploads);
        foreach (string lane in healthy)
        {
            await buffer.AppendAsync(lane, Event(lane, 0)).AsTask().WaitAsync(Bound);
        }

        await TickUntilAsync(time, () => healthy.All(lane => consumer.MessageIds(lane).Any()), () => consumer.Delivered.Count);

        // Three rounds of hanging attempts take the four slots and step aside 2 s later each; then the healthy ones go.
        Assert.That(time.GetUtcNow() - Start, Is.LessThanOrEqualTo(TimeSpan.FromSeconds(10)), "attempts that have not answered step aside after 2 s: the healthy customers are not held for the 5-minute attempt timeout");
        Assert.That(hanging.Max(consumer.MaxInFlight), Is.EqualTo(1), "each hanging customer holds one attempt");
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task Deliver_WhenABrokenCustomerRecovers_SendsItsBacklogOnceOldestBatchFirst(bool withSpool)
    {
        var time = new FakeTimeProvider(Start);
        var consumer = new CustomersConsumer();
        consumer.Set("acme", CustomerHealth.FailsAtOnce);
        using var spool = withSpool ? new TempDirectory() : null;
        var options = new BatchBufferOptions { MaxBatchBytes = 1024, MaxEventBytes = 1024, MaxConcurrentUploadsPerLane = 1, SpoolDirectory = spool?.Path, ShutdownTimeout = TimeSpan.Zero };
        await using var buffer = new BatchBuffer(options, consumer, time);
        for (int i = 0; i < 40; i++) // about 7 batches: within the lane's share of memory without a spool
        {
            await buffer.AppendAsync("acme", Event("acme", i)).AsTask().WaitAsync(Bound);
            time.Advance(TimeSpan.FromMilliseconds(10)); // seal times, and so file names, in order
        }

        using var stopWaiting = new CancellationTokenSource();
        Task flush = buffer.FlushAsync(stopWaiting.Token);
        await time.DriveUntilAsync(() => consumer.Attempts("acme") >= 5, TimeSpan.FromSeconds(1)); // a few probes fail

        consumer.Set("acme", CustomerHealth.Healthy);
        await time.DriveAsync(flush, TimeSpan.FromSeconds(1));

        string[] files = [.. consumer.Delivered.Select(d => d.FileName)];
        Assert.That(files, Is.Ordered.Using((IComparer<string>)StringComparer.Ordinal), "oldest batch first, within the customer's source and day");
        Assert.That(consumer.MessageIds("acme"), Is.EqualTo(Ids("acme", 40)), "every event once, in order");
    }

    [Test]
    public async Task Schedule_WhenABrokenLaneHoldsItsWholeShare_LeavesItOpenAndSealsAndDeliversEveryOtherLane()
    {
        var time = new FakeTimeProvider(Start);
        var consumer = new CustomersConsumer();
        consumer.Set("broken", CustomerHealth.FailsAtOnce);
        await using var buffer = new BatchBuffer(TwoBatchShares(), consumer, time);

        // Two sealed batches (the lane's whole share) and an open one, with no append waiting: the partition is free.
        await FillShareAsync(buffer, "broken", 2);
        long open = buffer.GetStatus().OpenEvents;
        string[] healthy = [.. Enumerable.Range(0, 20).Select(i => $"healthy-{i}")];
        foreach (string lane in healthy)
        {
            await buffer.AppendAsync(lane, Event(lane, 0)).AsTask().WaitAsync(Bound);
        }

        time.Advance(TimeSpan.FromSeconds(1)); // one scheduled seal
        await TickUntilAsync(time, () => healthy.All(lane => consumer.MessageIds(lane).Any()), () => consumer.Delivered.Count);

        Assert.That(time.GetUtcNow() - Start, Is.LessThanOrEqualTo(TimeSpan.FromSeconds(2)), "every other lane was sealed at the first scheduled run");
        Assert.That(buffer.GetStatus().OpenEvents, Is.EqualTo(open), "the broken lane's open batch waits for room in its own share");
    }

    [Test]
    public async Task Append_WithFailModeSet_RefusesOnlyTheLaneThatHoldsItsShare()
    {
        var time = new FakeTimeProvider(Start);
        var consumer = new CustomersConsumer();
        consumer.Set("broken", CustomerHealth.FailsAtOnce);
        BatchBufferOptions options = TwoBatchShares();
        options.MaxPendingBatches = 2; // the broken lane alone fills the total
        options.BufferFullMode = BufferFullMode.Fail;
        await using var buffer = new BatchBuffer(options, consumer, time);
        int appended = await FillShareAsync(buffer, "broken", 2);

        Assert.ThrowsAsync<BufferFullException>(async () => await buffer.AppendAsync("broken", Event("broken", appended)).AsTask().WaitAsync(Bound));
        for (int i = 0; i < 3; i++)
        {
            await buffer.AppendAsync("healthy", Event("healthy", i)).AsTask().WaitAsync(Bound); // its own share is free
        }

        await TickUntilAsync(time, () => consumer.MessageIds("healthy").Count() == 3, () => consumer.Delivered.Count);
    }

    [Test]
    public async Task LaneKey_PutsTheSourcesOfOneCustomerInOneLane()
    {
        var time = new FakeTimeProvider(Start);
        var consumer = new CustomersConsumer();
        consumer.Set("acme", CustomerHealth.FailsAtOnce);
        var options = new BatchBufferOptions { LaneKey = source => source.Split('.')[0], ShutdownTimeout = TimeSpan.Zero };
        await using var buffer = new BatchBuffer(options, consumer, time);
        await buffer.AppendAsync("acme.web", Event("acme.web", 0));
        await buffer.AppendAsync("acme.ios", Event("acme.ios", 0));
        await buffer.AppendAsync("globex.web", Event("globex.web", 0));

        using var stopWaiting = new CancellationTokenSource();
        Task flush = buffer.FlushAsync(stopWaiting.Token);
        await TickUntilAsync(time, () => consumer.MessageIds("globex").Any() && buffer.GetStatus().FailingLaneCount == 1, () => consumer.Delivered.Count);

        LaneStatus acme = buffer.GetStatus().FailingLanes.Single();
        Assert.That((acme.Key, acme.WaitingBatches, acme.WaitingEvents), Is.EqualTo(("acme", 2, 2L)), "one lane for both of acme's sources");
        Assert.That(acme.LastError, Is.InstanceOf<IOException>());
        Assert.That(acme.FailingSince, Is.InRange(Start, time.GetUtcNow()), "since its first failed attempt");
        Assert.That(consumer.MaxInFlight("acme"), Is.EqualTo(1), "one probe at a time for the lane, not one per source");
        await stopWaiting.CancelAsync();
        Assert.CatchAsync<OperationCanceledException>(async () => await flush);
    }

    [TestCase(CustomerHealth.Refuses)]
    [TestCase(CustomerHealth.NeverAnswers)]
    public async Task Flush_WhenABrokenCustomerHasMoreSourcesThanItsLaneMayHold_ThrowsInsteadOfWaitingForRoomForever(CustomerHealth broken)
    {
        // acme has five sources, one lane, room for two sealed batches; its customer is broken. Its flush seals two,
        // and the other three wait for room that a refused (parked) or failing batch never gives back.
        var time = new FakeTimeProvider(Start);
        var consumer = new CustomersConsumer();
        consumer.Set("acme", broken);
        var options = new BatchBufferOptions
        {
            LaneKey = source => source.Split('.')[0],
            MaxPendingBatchesPerLane = 2,
            RetryBudget = TimeSpan.FromSeconds(30),
            ShutdownTimeout = TimeSpan.Zero,
        };
        await using var buffer = new BatchBuffer(options, consumer, time);
        for (int s = 0; s < 5; s++)
        {
            await buffer.AppendAsync($"acme.s{s}", Event($"acme.s{s}", 0));
            await buffer.AppendAsync($"globex.s{s}", Event($"globex.s{s}", 0));
        }

        Task flush = buffer.FlushAsync();
        await TickUntilAsync(time, () => flush.IsCompleted, () => consumer.Delivered.Count + consumer.Attempts("acme"));

        Assert.ThrowsAsync<BatchDeliveryException>(async () => await flush, "the flush gives up on the broken customer, as promise 6 says");
        Assert.That(time.GetUtcNow() - Start, Is.LessThanOrEqualTo(options.RetryBudget + TimeSpan.FromSeconds(5)), "within the retry budget, on the buffer's clock");
        Assert.That(consumer.MessageIds("globex"), Is.EquivalentTo(Enumerable.Range(0, 5).Select(s => $"globex.s{s}-0")), "the healthy customer's five batches delivered");
        DeliveryStatus status = buffer.GetStatus();
        Assert.That(status.DeliveredEvents + status.UndeliveredEvents + status.OpenEvents, Is.EqualTo(10), "every event accounted for");
        Assert.That(status.DeliveredEvents, Is.EqualTo(5));
    }

    [Test]
    public async Task Flush_WhileOneCustomerIsRefusedAndAnotherFailsForAWhile_WaitsForTheOneThatRecoversAndNamesOnlyTheRefused()
    {
        // initech refuses at once; globex fails (503s) for a while, within the retry budget, then recovers. The refusal
        // must neither end the flush before globex is delivered nor be held up by it past the budget.
        var time = new FakeTimeProvider(Start);
        var consumer = new CustomersConsumer();
        consumer.Set("initech", CustomerHealth.Refuses);
        consumer.Set("globex", CustomerHealth.FailsAtOnce);
        var options = new BatchBufferOptions { RetryBudget = TimeSpan.FromMinutes(2), RetryMaxDelay = TimeSpan.FromSeconds(5), ShutdownTimeout = TimeSpan.Zero };
        await using var buffer = new BatchBuffer(options, consumer, time);
        foreach (string customer in new[] { "acme", "globex", "initech" })
        {
            for (int i = 0; i < 3; i++)
            {
                await buffer.AppendAsync(customer, Event(customer, i));
            }
        }

        Task flush = buffer.FlushAsync();
        await TickUntilAsync(time, () => consumer.Attempts("globex") >= 3 && buffer.GetStatus().RefusedBatches == 1, () => consumer.Attempts("globex"));
        Assert.That(flush.IsCompleted, Is.False, "initech's refusal does not end the flush while globex may still be delivered");
        Assert.That(consumer.MessageIds("acme").Count(), Is.EqualTo(3), "acme delivered meanwhile");

        consumer.Set("globex", CustomerHealth.Healthy);
        await TickUntilAsync(time, () => flush.IsCompleted, () => consumer.Attempts("globex"));

        var error = Assert.ThrowsAsync<BatchDeliveryException>(async () => await flush);
        Assert.That(error!.GivenUpLanes, Is.EqualTo(new[] { "initech" }), "only the refused customer is named");
        Assert.That((error.GivenUpEvents, error.UndeliveredEvents), Is.EqualTo((3L, 3L)));
        Assert.That(consumer.MessageIds("globex"), Is.EquivalentTo(Enumerable.Range(0, 3).Select(i => $"globex-{i}")), "globex delivered before the flush threw");
        Assert.That(time.GetUtcNow() - Start, Is.LessThan(options.RetryBudget), "within globex's budget: nothing waited for it to run out");
    }

    [Test]
    public async Task GetStatus_WithMoreFailingLanesThanItLists_ListsThoseFailingLongestAndCountsThemAll()
    {
        var time = new FakeTimeProvider(Start);
        var consumer = new CustomersConsumer();
        const int Lanes = DeliveryStatus.MaxFailingLanesListed + 5;
        await using var buffer = new BatchBuffer(new BatchBufferOptions { ShutdownTimeout = TimeSpan.Zero, MaxPendingBatches = 1000 }, consumer, time);
        for (int i = 0; i < Lanes; i++)
        {
            consumer.Set($"lane-{i:000}", CustomerHealth.Refuses);
            await buffer.AppendAsync($"lane-{i:000}", Event($"lane-{i:000}", 0));
        }

        Assert.ThrowsAsync<BatchDeliveryException>(async () => await buffer.FlushAsync().WaitAsync(Bound));
        await time.DriveUntilAsync(() => buffer.GetStatus().FailingLaneCount == Lanes, TimeSpan.Zero);
        DeliveryStatus status = buffer.GetStatus();

        Assert.That(status.FailingLaneCount, Is.EqualTo(Lanes));
        Assert.That(status.FailingLanes, Has.Count.EqualTo(DeliveryStatus.MaxFailingLanesListed));
        Assert.That(status.FailingLanes.Select(l => l.FailingSince), Is.Ordered);
        Assert.That(status.FailingLanes.All(l => l is { WaitingBatches: 1, WaitingEvents: 1, LastError: RawDataDestination.S3.DestinationException }), Is.True);
    }

    [Test]
    public async Task GetStatus_WithMoreFailingLanesThanItLists_CountsEveryBatchAndEventHeldBehindThemAll()
    {
        // QA (L2): FailingBatches counted each failing lane's batch under retry (51) while 1,318 were held behind them,
        // in WaitingBatches, and summing FailingLanes stops at MaxFailingLanesListed.
        var time = new FakeTimeProvider(Start);
        var consumer = new CustomersConsumer();
        const int Lanes = DeliveryStatus.MaxFailingLanesListed + 5;
        var options = new BatchBufferOptions { ShutdownTimeout = TimeSpan.Zero, MaxPendingBatches = 1000, RetryBudget = TimeSpan.FromMinutes(1), LaneKey = source => source.Split('.')[0] };
        await using var buffer = new BatchBuffer(options, consumer, time);
        for (int i = 0; i < Lanes; i++)
        {
            consumer.Set($"lane-{i:000}", CustomerHealth.FailsAtOnce);
            foreach (string source in new[] { "a", "b", "c" })
            {
                await buffer.AppendAsync($"lane-{i:000}.{source}", Event($"lane-{i:000}-{source}", 0));
            }
        }

        await buffer.AppendAsync("healthy.a", Event("healthy", 0));
        Task flush = buffer.FlushAsync();
        await time.DriveUntilAsync(() => flush.IsCompleted, TimeSpan.FromSeconds(1));
        Assert.ThrowsAsync<BatchDeliveryException>(async () => await flush);
        DeliveryStatus status = buffer.GetStatus();

        Assert.That(status.FailingLaneCount, Is.EqualTo(Lanes));
        Assert.That((status.FailingLaneBatches, status.FailingLaneEvents), Is.EqualTo((Lanes * 3, Lanes * 3L)), "every failing lane's batches, the unlisted lanes' too");
        Assert.That(status.FailingBatches, Is.LessThan(status.FailingLaneBatches), "the batches under retry are a part of what failing lanes hold");
        Assert.That(status.WaitingBatches + status.FailingBatches + status.UploadingBatches + status.RefusedBatches, Is.EqualTo(status.FailingLaneBatches), "the healthy lane delivered: everything left is held by failing lanes");
    }

    [Test]
    public async Task GetStatus_WhenAFailingLanesCircuitBreakerOpens_StillReportsTheCustomersOwnError()
    {
        // Retries every few milliseconds: eight failures within 30 s open the lane's breaker, whose refusals are no
        // error of the customer's. The status and the flush must keep naming what the customer's S3 answered.
        var time = new FakeTimeProvider(Start);
        var consumer = new CustomersConsumer();
        consumer.Set("acme", CustomerHealth.FailsAtOnce);
        var options = new BatchBufferOptions
        {
            RetryBaseDelay = TimeSpan.FromMilliseconds(10),
            RetryMaxDelay = TimeSpan.FromMilliseconds(50),
            RetryBudget = TimeSpan.FromSeconds(10),
            ShutdownTimeout = TimeSpan.Zero,
        };
        await using var buffer = new BatchBuffer(options, consumer, time);
        await buffer.AppendAsync("acme", Event("acme", 0));
        Task flush = buffer.FlushAsync();

        var reported = new HashSet<Type>();
        int attempts = 0;
        await time.DriveUntilAsync(
            () =>
            {
                DeliveryStatus status = buffer.GetStatus();
                foreach (Exception? error in status.FailingLanes.Select(l => l.LastError).Append(status.LastError))
                {
                    if (error is not null)
                    {
                        reported.Add(error.GetType());
                    }
                }

                attempts = consumer.Attempts("acme");
                return flush.IsCompleted;
            },
            TimeSpan.FromMilliseconds(20));

        Assert.That(attempts, Is.LessThan(100), "the breaker opened and held attempts back (the case under test; a retry every 25 ms on average would be 400)");
        Assert.That(reported, Is.EquivalentTo(new[] { typeof(IOException) }), "the lane's and the buffer's last error are the customer's 503, never the breaker's own refusal");
        var given = Assert.ThrowsAsync<BatchDeliveryException>(async () => await flush)!;
        Assert.That(given.InnerException, Is.InstanceOf<IOException>());
        Assert.That(given.Message, Does.Contain("503 SlowDown from acme's bucket"));
    }

    [Test]
    public async Task Log_SaysOnceWhenALaneStartsFailingAndOnceWhenItRecovers()
    {
        await using var lane = new LoggedLane(CustomerHealth.FailsAtOnce);
        var (time, consumer, logger, buffer) = lane;
        for (int i = 0; i < 3; i++)
        {
            await buffer.AppendAsync("acme", Event("acme", i));
            await buffer.AppendAsync("acme", Event("acme", i)); // two events, one batch, three flushes below: three batches
            _ = buffer.FlushAsync(); // seals; the flush itself is not awaited
        }

        await time.DriveUntilAsync(() => consumer.Attempts("acme") >= 6, TimeSpan.FromSeconds(5));
        consumer.Set("acme", CustomerHealth.Healthy);
        await time.DriveUntilAsync(() => consumer.MessageIds("acme").Count() == 6 && logger.Lines.Any(l => l.Contains("recovered", StringComparison.Ordinal)), TimeSpan.FromSeconds(5));

        Assert.That(logger.Lines.Count(l => l.StartsWith("Warning: Lane acme is failing", StringComparison.Ordinal)), Is.EqualTo(1), string.Join("\n", logger.Lines));
        Assert.That(logger.Lines.Count(l => l.StartsWith("Information: Lane acme recovered", StringComparison.Ordinal)), Is.EqualTo(1));
        Assert.That(lane.Loud, Has.Count.EqualTo(1), "no line per attempt above Debug");
        Assert.That(lane.Loud[0], Does.Contain("IOException"), "an error no destination explained keeps its exception on the warning");
    }

    [Test]
    public async Task Log_WhenALaneIsRefusedPermanently_NamesItOnceNotOncePerBatchOrRetryRound()
    {
        // A customer whose trust was revoked, with three batches, tried again at two flushes: one warning for the lane,
        // not an error per batch and per round (a thousand batches were a thousand errors at every scheduled seal).
        await using var lane = new LoggedLane(CustomerHealth.Refuses);
        var (time, consumer, logger, buffer) = lane;
        for (int i = 0; i < 3; i++)
        {
            await buffer.AppendAsync("acme", Event("acme", i));
            Assert.ThrowsAsync<BatchDeliveryException>(async () => await buffer.FlushAsync().WaitAsync(Bound), "refused: the flush gives up at once");

            // The flush gives up at the first refusal; an older batch it tried again may still be in its attempt, and a
            // batch still in an attempt is not tried again by the next flush. Each round ends with all of them refused.
            int refused = i + 1;
            await time.DriveUntilAsync(() => buffer.GetStatus().RefusedBatches == refused, TimeSpan.Zero);
        }

        consumer.Set("acme", CustomerHealth.Healthy);
        await buffer.FlushAsync().WaitAsync(Bound);

        Assert.That(consumer.MessageIds("acme"), Is.EquivalentTo(new[] { "acme-0", "acme-1", "acme-2" }));
        Assert.That(consumer.Attempts("acme"), Is.GreaterThanOrEqualTo(6), "each flush tried the refused batches again");
        IReadOnlyList<string> loud = lane.Loud;
        Assert.That(loud, Has.Count.EqualTo(1), string.Join("\n", logger.Lines));
        Assert.That(loud[0], Does.StartWith("Warning: Lane acme is failing (acme's role no longer trusts the service.)"));
        Assert.That(loud[0], Does.EndWith("| "), "an explained refusal's warning is one line: its stack trace only at Debug (QA: 6 to 8 KB a line)");
        Assert.That(loud[0], Does.Contain("the refusal is permanent, so its batches are kept and tried again at each scheduled seal, flush and shutdown"), "not 'retried with backoff': a refused batch waits for the next seal, flush or shutdown");
        Assert.That(logger.Lines.Count(l => l.StartsWith("Debug: Delivery of batch", StringComparison.Ordinal) && l.Contains("refused permanently", StringComparison.Ordinal)), Is.GreaterThanOrEqualTo(6), "each refusal still at Debug");
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task Metrics_CarryTheLaneOnlyWhenTheHostOptsIn(bool optIn)
    {
        var time = new FakeTimeProvider(Start);
        var consumer = new CustomersConsumer();
        using var metrics = new MetricsRecorder();
        consumer.Set("acme", CustomerHealth.FailsAtOnce);
        await using var buffer = new BatchBuffer(new BatchBufferOptions { TagMetricsWithLane = optIn, ShutdownTimeout = TimeSpan.Zero }, consumer, time);
        string source = "acme";
        await buffer.AppendAsync(source, Event(source, 0));
        _ = buffer.FlushAsync();
        await time.DriveUntilAsync(() => consumer.Attempts("acme") >= 2, TimeSpan.FromSeconds(5));
        consumer.Set("acme", CustomerHealth.Healthy);
        await time.DriveUntilAsync(() => consumer.MessageIds("acme").Any(), TimeSpan.FromSeconds(5));
        await time.DriveUntilAsync(() => metrics.Named("rawdata.batches.delivered").Any(m => !m.Tags.ContainsKey("rawdata.lane") || m.Tags["rawdata.lane"] == "acme"), TimeSpan.Zero);

        string?[] tags = [.. metrics.Named("rawdata.delivery.retries").Concat(metrics.Named("rawdata.batches.delivered")).Select(m => m.Tags.GetValueOrDefault("rawdata.lane"))];
        Assert.That(tags, Is.Not.Empty);
        Assert.That(tags, optIn ? Has.Some.EqualTo("acme") : Has.All.Null);
    }

    /// <summary>
    /// Lane <c>acme</c> of a buffer whose log is kept (no shutdown grace), its customer set to a health: what the tests of
    /// what a lane logs start from.
    /// </summary>
    private sealed class LoggedLane : IAsyncDisposable
    {
        public LoggedLane(CustomerHealth health)
        {
            Consumer.Set("acme", health);
            Buffer = new BatchBuffer(new BatchBufferOptions { ShutdownTimeout = TimeSpan.Zero }, Consumer, Time, new Logger<BatchBuffer>(Logger));
        }

        public FakeTimeProvider Time { get; } = new(Start);

        public CustomersConsumer Consumer { get; } = new();

        public CapturingLogger Logger { get; } = new();

        public BatchBuffer Buffer { get; }

        /// <summary>Gets the lines logged above Information: warnings and errors.</summary>
        public IReadOnlyList<string> Loud =>
            [.. Logger.Lines.Where(l => l.StartsWith("Warning", StringComparison.Ordinal) || l.StartsWith("Error", StringComparison.Ordinal))];

        public void Deconstruct(out FakeTimeProvider time, out CustomersConsumer consumer, out CapturingLogger logger, out BatchBuffer buffer) =>
            (time, consumer, logger, buffer) = (Time, Consumer, Logger, Buffer);

        public ValueTask DisposeAsync() => Buffer.DisposeAsync();
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        using var deadline = new CancellationTokenSource(Bound);
        while (!condition())
        {
            await Task.Delay(10, deadline.Token);
        }
    }

    /// <summary>Appends to <paramref name="lane"/> until it holds <paramref name="batches"/> sealed batches; returns how many events that took.</summary>
    private static async Task<int> FillShareAsync(BatchBuffer buffer, string lane, int batches)
    {
        int appended = 0;
        while (buffer.GetStatus() is var status && status.WaitingBatches + status.UploadingBatches + status.FailingBatches < batches)
        {
            await buffer.AppendAsync(lane, Event(lane, appended++)).AsTask().WaitAsync(Bound);
        }

        return appended;
    }

    /// <summary>
    /// Moves the clock a second at a time, but only once deliveries have stopped moving (nothing new for 100 ms of real
    /// time), so the clock measures the buffer's waits and not this machine's speed; bounded by 30 s of real time.
    /// </summary>
    private static async Task TickUntilAsync(FakeTimeProvider time, Func<bool> done, Func<int> progress)
    {
        using var deadline = new CancellationTokenSource(Bound);
        while (!done())
        {
            time.Advance(TimeSpan.FromSeconds(1));
            int before;
            do
            {
                before = progress();
                await Task.Delay(100, deadline.Token);
            }
            while (!done() && progress() != before);
        }
    }
}
