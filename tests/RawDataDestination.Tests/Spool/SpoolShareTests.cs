namespace RawDataDestination.Tests.Spool;

/// <summary>
/// The failing lanes' share of the spool (QA F5): lanes that are failing together may keep at most 3/4 of
/// <see cref="BatchBufferOptions.MaxSpoolBytes"/>; past that, an append into a failing lane meets
/// <see cref="SpoolFullMode"/>, while a lane that delivers goes on appending and delivering.
/// </summary>
public class SpoolShareTests : SpoolDirectoryTests
{
    private const long MaxSpoolBytes = 1024 * 1024; // the smallest allowed: 3/4 of it is about 25 batches of 30 KB

    /// <summary>The number of events the healthy lane appends beside a failing one (<see cref="AppendHealthyUntilDeliveredAsync"/>).</summary>
    private const int Healthy = 4;

    /// <summary>How long an append that has room may take (real time): past this, it is waiting for room.</summary>
    private static readonly TimeSpan Quick = TimeSpan.FromMilliseconds(500);

    /// <summary>About 30 KB: every append seals the lane's batch before it into the spool.</summary>
    private static byte[] Event(string lane, int i) => TestEvents.Event(lane, i, padding: 30_000);

    private static IEnumerable<string> Ids(string lane, int count) => Enumerable.Range(0, count).Select(i => $"{lane}-{i}");

    /// <summary>
    /// The free bytes of a disk of <paramref name="size"/> bytes that holds the spool's files and <paramref name="othersHold"/>
    /// bytes of someone else's: the spool's own writes and deletes change them, as on a disk, which never refuses a write here.
    /// </summary>
    private Func<long?> DiskOf(long size, Func<long>? othersHold = null) => () => size - (othersHold?.Invoke() ?? 0) - BytesUnder(SpoolPath);

    private static long BytesUnder(string folder)
    {
        while (true)
        {
            try
            {
                return Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Sum(file => new FileInfo(file).Length);
            }
            catch (IOException)
            {
                // a file or folder went while it was counted: count again
            }
        }
    }

    private BatchBufferOptions OneEventPerBatch(SpoolFullMode mode) => new()
    {
        SpoolDirectory = SpoolPath,
        MaxSpoolBytes = MaxSpoolBytes,
        SpoolFullMode = mode,
        MaxBatchBytes = 32 * 1024,
        CompressionLevel = CompressionLevel.NoCompression, // the spool fills at a known pace
        FlushInterval = TimeSpan.FromSeconds(1),
        FlushOffset = TimeSpan.Zero,
        ShutdownTimeout = TimeSpan.Zero,
    };

    /// <summary>
    /// Appends <paramref name="lane"/>'s events numbered from <paramref name="from"/> up to 59, each awaited, until one has
    /// not gone in after <see cref="Quick"/>: returns that event's number and its append still waiting (60 and none when all went in).
    /// </summary>
    private static async Task<(int Accepted, Task? Waiting)> AppendUntilOneWaitsAsync(BatchBuffer buffer, string lane, int from)
    {
        for (int accepted = from; accepted < 60; accepted++)
        {
            Task append = buffer.AppendAsync(lane, Event(lane, accepted)).AsTask();
            if (await Task.WhenAny(append, Task.Delay(Quick, CancellationToken.None)) != append)
            {
                return (accepted, append);
            }

            await append;
        }

        return (60, null);
    }

    /// <summary>
    /// Appends <see cref="Healthy"/> events of the lane "healthy", each within <see cref="TestEvents.Bound"/>, drives the clock until
    /// they are delivered, and asserts each was delivered once (<paramref name="because"/>).
    /// </summary>
    private static async Task AppendHealthyUntilDeliveredAsync(BatchBuffer buffer, CustomersConsumer consumer, FakeTimeProvider time, string because)
    {
        for (int i = 0; i < Healthy; i++)
        {
            await buffer.AppendAsync("healthy", Event("healthy", i)).AsTask().WaitAsync(Bound);
        }

        await time.DriveUntilAsync(() => consumer.MessageIds("healthy").Count() == Healthy, TimeSpan.FromSeconds(1));
        Assert.That(consumer.MessageIds("healthy"), Is.EquivalentTo(Ids("healthy", Healthy)), because);
    }

    /// <summary>The broken lane's first batch is sealed and its attempt failed: the lane is failing.</summary>
    private static async Task StartFailingAsync(BatchBuffer buffer, FakeTimeProvider time)
    {
        await buffer.AppendAsync("broken", Event("broken", 0));
        await buffer.AppendAsync("broken", Event("broken", 1)); // seals the first
        await time.DriveUntilAsync(() => buffer.GetStatus().FailingLanes.Any(l => l.Key == "broken"), TimeSpan.Zero);
    }

    [Test]
    public async Task Append_FailMode_AFailingLanePastItsShareIsRefusedByName_WhileAHealthyLaneAppendsAndDelivers()
    {
        var time = new FakeTimeProvider(Start);
        var consumer = new CustomersConsumer();
        consumer.Set("broken", CustomerHealth.FailsAtOnce);
        await using var buffer = new BatchBuffer(OneEventPerBatch(SpoolFullMode.Fail), consumer, time);
        await StartFailingAsync(buffer, time);

        int accepted = 2;
        SpoolFullException? refused = null;
        for (; accepted < 60 && refused is null; accepted++) // 60 × 30 KB is well past 1 MB
        {
            try
            {
                await buffer.AppendAsync("broken", Event("broken", accepted)).AsTask().WaitAsync(Bound);
            }
            catch (SpoolFullException exception)
            {
                refused = exception;
                accepted--;
            }
        }

        Assert.That(refused, Is.Not.Null, "60 appends of 30 KB went into a spool of 1 MB");
        Assert.That(refused!.Message, Does.Contain("Lane 'broken' is failing").And.Contain("503 SlowDown").And.Contain("3/4 of MaxSpoolBytes"), "the refusal names the lane and why");
        Assert.That(accepted, Is.InRange(20, 30), "about 3/4 of 1 MB of the failing lane's 30 KB batches was accepted");
        Assert.That(buffer.GetStatus().FailingLanes.Single().SpooledBytes, Is.InRange((MaxSpoolBytes * 3 / 4) - (32 * 1024), (MaxSpoolBytes * 3 / 4) + (32 * 1024)), "the status shows what the failing lane keeps in the spool (its open batch's journal counts in its share too)");

        // The healthy lane appends into the quarter kept for it, and its batches are delivered.
        await AppendHealthyUntilDeliveredAsync(buffer, consumer, time, because: "every healthy event delivered once");
        Assert.That(async () => await buffer.AppendAsync("broken", Event("broken", accepted)), Throws.InstanceOf<SpoolFullException>(), "still failing, still over its share");

        // The lane recovers: what it was acknowledged is delivered once, and it appends again.
        consumer.Set("broken", CustomerHealth.Healthy);
        await time.DriveUntilAsync(() => consumer.MessageIds("broken").Count() == accepted, TimeSpan.FromSeconds(1));
        await buffer.AppendAsync("broken", Event("broken", accepted)).AsTask().WaitAsync(Bound);
        await time.DriveAsync(buffer.FlushAsync(), TimeSpan.FromSeconds(1));

        Assert.That(consumer.MessageIds("broken"), Is.EquivalentTo(Ids("broken", accepted + 1)), "nothing acknowledged lost, nothing twice");
        Assert.That(buffer.GetStatus().DeliveredEvents, Is.EqualTo(accepted + 1 + Healthy), "the counts add up");
    }

    [Test]
    public async Task Append_FailMode_WhenTheSpoolsDiskHasLessRoomThanMaxSpoolBytes_AFailingLaneIsRefusedAtItsShareOfTheRoomTheDiskHas()
    {
        // QA F5: MaxSpoolBytes (10 GB by default) past the room of the spool's disk: the failing lanes' share, 3/4 of
        // MaxSpoolBytes, was never spent, their batches filled the disk itself, and every healthy customer's append then
        // sealed its batch at once (one S3 object per event).
        var time = new FakeTimeProvider(Start);
        var consumer = new CustomersConsumer();
        consumer.Set("broken", CustomerHealth.FailsAtOnce);
        BatchBufferOptions options = OneEventPerBatch(SpoolFullMode.Fail);
        options.MaxSpoolBytes = 10L * 1024 * 1024 * 1024;
        options.SpoolFreeBytes = DiskOf(MaxSpoolBytes * 5 / 4); // the spool's limit is 4/5 of it: the 1 MB of the other tests
        await using var buffer = new BatchBuffer(options, consumer, time);
        await StartFailingAsync(buffer, time);

        int accepted = 2;
        SpoolFullException? refused = null;
        for (; accepted < 60 && refused is null; accepted++) // 60 × 30 KB is well past the disk's 1.25 MB
        {
            try
            {
                await buffer.AppendAsync("broken", Event("broken", accepted)).AsTask().WaitAsync(Bound);
            }
            catch (SpoolFullException exception)
            {
                refused = exception;
                accepted--;
            }
        }

        Assert.That(refused, Is.Not.Null, "60 appends of 30 KB went into a spool whose disk has room for 1.25 MB");
        Assert.That(refused!.Message, Does.Contain("Lane 'broken' is failing").And.Contain("3/4 of 4/5 of the room on its disk"), "the refusal names the lane and the room that sets its share");
        Assert.That(accepted, Is.InRange(20, 30), "about 3/4 of 4/5 of 1.25 MB of the failing lane's 30 KB batches was accepted");

        await AppendHealthyUntilDeliveredAsync(buffer, consumer, time, because: "the healthy lane appends into the room kept for it, and delivers");

        consumer.Set("broken", CustomerHealth.Healthy);
        await time.DriveUntilAsync(() => consumer.MessageIds("broken").Count() == accepted, TimeSpan.FromSeconds(1));
        await time.DriveAsync(buffer.FlushAsync(), TimeSpan.FromSeconds(1));
        Assert.That(consumer.MessageIds("broken"), Is.EquivalentTo(Ids("broken", accepted)), "nothing acknowledged lost, nothing twice");
    }

    [Test]
    public async Task Append_WaitMode_AtTheLimitTheDisksRoomSets_GoesOnWhenSomeoneElseFreesRoomThereWithoutADelivery()
    {
        var time = new FakeTimeProvider(Start);
        var consumer = new CustomersConsumer();
        consumer.Set("silent", CustomerHealth.NeverAnswers); // nothing it seals is delivered: no delivery frees room
        long othersHold = 600 * 1024;
        BatchBufferOptions options = OneEventPerBatch(SpoolFullMode.Wait);
        options.MaxSpoolBytes = 10L * 1024 * 1024 * 1024;
        options.FlushInterval = TimeSpan.FromHours(1);
        options.AttemptTimeout = TimeSpan.FromSeconds(10);
        options.RetryBudget = TimeSpan.FromDays(1); // not given up while the test drives the clock
        options.SpoolFreeBytes = DiskOf(2 * 1024 * 1024, () => Volatile.Read(ref othersHold)); // 1.4 MB for the spool: its limit about 1.1 MB
        var log = new CapturingLogger();
        await using var buffer = new BatchBuffer(options, consumer, time, new Logger<BatchBuffer>(log));

        (int accepted, Task? waiting) = await AppendUntilOneWaitsAsync(buffer, "silent", from: 0);

        Assert.That(waiting, Is.Not.Null, "60 appends of 30 KB went into a spool whose disk has room for 1.4 MB");
        Assert.That(accepted, Is.InRange(25, 40), "about 4/5 of 1.4 MB was accepted");
        Assert.That(log.Lines.Count(l => l.Contains("(4/5 of the room on its disk", StringComparison.Ordinal) && l.Contains("appends wait for room", StringComparison.Ordinal)), Is.EqualTo(1), "one line, naming the room that sets the limit:\n" + string.Join("\n", log.Lines));

        time.Advance(BatchSpool.DiskFullRetryInterval);
        await Task.WhenAny(waiting!, Task.Delay(Quick, CancellationToken.None));
        Assert.That(waiting!.IsCompleted, Is.False, "the disk has no more room: the append still waits");

        Volatile.Write(ref othersHold, 0); // someone else deletes a file: no delivery says so
        await time.DriveAsync(waiting, BatchSpool.DiskFullRetryInterval);
        await buffer.AppendAsync("silent", Event("silent", accepted + 1)).AsTask().WaitAsync(Bound);

        consumer.Set("silent", CustomerHealth.Healthy);
        await time.DriveAsync(buffer.FlushAsync(), TimeSpan.FromSeconds(10));
        Assert.That(consumer.MessageIds("silent"), Is.EquivalentTo(Ids("silent", accepted + 2)), "every acknowledged event once");
    }

    [Test]
    public async Task Append_WaitMode_AFailingLanePastItsShareWaitsUntilItRecovers_WhileAHealthyLaneAppendsAndDelivers()
    {
        var time = new FakeTimeProvider(Start);
        var consumer = new CustomersConsumer();
        consumer.Set("broken", CustomerHealth.FailsAtOnce);
        await using var buffer = new BatchBuffer(OneEventPerBatch(SpoolFullMode.Wait), consumer, time);
        await StartFailingAsync(buffer, time);

        (int accepted, Task? waiting) = await AppendUntilOneWaitsAsync(buffer, "broken", from: 2);

        Assert.That(waiting, Is.Not.Null, "60 appends of 30 KB went into a spool of 1 MB");
        Assert.That(accepted, Is.InRange(20, 30), "about 3/4 of 1 MB of the failing lane's 30 KB batches was accepted before its append waited");

        await AppendHealthyUntilDeliveredAsync(buffer, consumer, time, because: "every healthy event delivered once while the failing lane waits");
        Assert.That(waiting!.IsCompleted, Is.False, "the failing lane's append still waits");

        consumer.Set("broken", CustomerHealth.Healthy);
        await time.DriveAsync(waiting, TimeSpan.FromSeconds(1)); // its backlog goes out, and the wait ends
        await time.DriveAsync(buffer.FlushAsync(), TimeSpan.FromSeconds(1));

        Assert.That(consumer.MessageIds("broken"), Is.EquivalentTo(Ids("broken", accepted + 1)), "the waiting event went in once the lane recovered; nothing lost, nothing twice");
        Assert.That(buffer.GetStatus().DeliveredEvents, Is.EqualTo(accepted + 1 + Healthy), "the counts add up");
    }

    [Test]
    public async Task Append_WaitMode_AFailingLaneWaitingForItsShare_EndsWithItsTokenAndWithTheShutdown()
    {
        var time = new FakeTimeProvider(Start);
        var consumer = new CustomersConsumer();
        consumer.Set("broken", CustomerHealth.FailsAtOnce);
        var buffer = new BatchBuffer(OneEventPerBatch(SpoolFullMode.Wait), consumer, time);
        await StartFailingAsync(buffer, time);
        int accepted = 2;
        while (await buffer.AppendAsync("broken", Event("broken", accepted)).AsTask().WaitAsync(Quick).ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default) && accepted < 60)
        {
            accepted++;
        }

        Assert.That(accepted, Is.InRange(20, 30), "the failing lane's share was filled");
        using var patience = new CancellationTokenSource();
        Task cancelled = buffer.AppendAsync("broken", Event("broken", 100), patience.Token).AsTask();
        Task atShutdown = buffer.AppendAsync("broken", Event("broken", 101)).AsTask();
        await patience.CancelAsync();
        Assert.That(async () => await cancelled.WaitAsync(Bound), Throws.InstanceOf<OperationCanceledException>(), "the token ends the wait");

        await buffer.DisposeAsync().AsTask().WaitAsync(Bound);
        Assert.That(async () => await atShutdown.WaitAsync(Bound), Throws.InstanceOf<ObjectDisposedException>(), "the shutdown ends the wait: nothing will give it room");
    }
    [Test]
    public async Task Append_WaitMode_LanesThatNeverAnswerFillTheSpoolBeforeTheyFail_HealthyLanesStillAppendAndDeliver()
    {
        // QA-D F1: silent customers' large events filled the spool (their journals and sealed batches) while their first
        // attempts were still under way, so not failing; then every append waited at MaxSpoolBytes, held its partition's
        // gate, the schedule sealed nothing, and no customer's intake went on until a restart.
        var time = new FakeTimeProvider(Start);
        var consumer = new CustomersConsumer();
        string[] silent = ["silent-a", "silent-b"];
        string[] healthy = ["healthy-a", "healthy-b"];
        foreach (string lane in silent)
        {
            consumer.Set(lane, CustomerHealth.NeverAnswers);
        }

        var log = new CapturingLogger();
        var options = new BatchBufferOptions
        {
            SpoolDirectory = SpoolPath,
            MaxSpoolBytes = MaxSpoolBytes,
            SpoolFullMode = SpoolFullMode.Wait,
            MaxBatchBytes = 256 * 1024, // the silent lanes keep much of the spool in journals, as open batches
            CompressionLevel = CompressionLevel.NoCompression,
            FlushInterval = TimeSpan.FromHours(1), // the schedule frees nothing within the test
            FlushOffset = TimeSpan.Zero,
            AttemptTimeout = TimeSpan.FromSeconds(10),
            RetryBudget = TimeSpan.FromDays(1), // the silent lanes are not given up while the test drives the clock
            ShutdownTimeout = TimeSpan.Zero,
        };
        await using var buffer = new BatchBuffer(options, consumer, time, new Logger<BatchBuffer>(log));

        var accepted = silent.ToDictionary(lane => lane, _ => 0);
        Task? silentWaiting = null;
        for (int round = 0; silentWaiting is null && round < 40; round++) // 80 × 30 KB is well past 1 MB
        {
            foreach (string lane in silent)
            {
                Task append = buffer.AppendAsync(lane, Event(lane, accepted[lane])).AsTask();
                if (await Task.WhenAny(append, Task.Delay(Quick, CancellationToken.None)) != append)
                {
                    silentWaiting = append;
                    break;
                }

                await append;
                accepted[lane]++;
            }
        }

        Assert.That(silentWaiting, Is.Not.Null, "the silent lanes filled the spool");
        Assert.That(buffer.GetStatus().FailingLanes, Is.Empty, "their first attempts are still under way: not failing yet");

        // The healthy lanes' appends meet the full spool: they seal open batches, whose delivery frees room, and once the
        // silent lanes' attempts time out, what those keep past their share (3/4) is the healthy lanes' quarter.
        const int Healthy = 10; // 2 × 10 × 4 KB: more than the room the silent lanes left
        Task healthyAppends = Task.Run(async () =>
        {
            for (int i = 0; i < Healthy; i++)
            {
                foreach (string lane in healthy)
                {
                    await buffer.AppendAsync(lane, TestEvents.Event(lane, i, padding: 4000));
                }
            }
        });
        await time.DriveAsync(healthyAppends, TimeSpan.FromSeconds(1));
        await time.DriveUntilAsync(() => healthy.All(lane => consumer.MessageIds(lane).Count() == Healthy), TimeSpan.FromMinutes(1));
        foreach (string lane in healthy)
        {
            Assert.That(consumer.MessageIds(lane), Is.EquivalentTo(Ids(lane, Healthy)), "every healthy event delivered once, while the silent lanes still hang");
        }

        Assert.That(log.Lines.Count(l => l.Contains("(MaxSpoolBytes): appends wait for room", StringComparison.Ordinal)), Is.EqualTo(1), "one line when appends start waiting for the spool:\n" + string.Join("\n", log.Lines));

        // The silent lanes answer again: what they were acknowledged is delivered once, and the waiting append goes in.
        foreach (string lane in silent)
        {
            consumer.Set(lane, CustomerHealth.Healthy);
        }

        await time.DriveAsync(silentWaiting!, TimeSpan.FromSeconds(10));
        await time.DriveUntilAsync(() => silent.Sum(lane => consumer.MessageIds(lane).Count()) >= accepted.Values.Sum(), TimeSpan.FromSeconds(10));
        await time.DriveAsync(buffer.FlushAsync(), TimeSpan.FromSeconds(10));
        int silentDelivered = silent.Sum(lane => consumer.MessageIds(lane).Count());
        Assert.That(silentDelivered, Is.EqualTo(accepted.Values.Sum() + 1), "the acknowledged events and the waiting one");
        foreach (string lane in silent)
        {
            Assert.That(consumer.MessageIds(lane), Is.Unique, "nothing twice");
            Assert.That(consumer.MessageIds(lane).Count(), Is.InRange(accepted[lane], accepted[lane] + 1), "nothing lost");
        }

        Assert.That(log.Lines.Count(l => l.Contains("has room again, after appends waited", StringComparison.Ordinal)), Is.EqualTo(1), "and one when they go on:\n" + string.Join("\n", log.Lines));
    }
}
