namespace RawDataDestination.Tests.Spool;

/// <summary>
/// The spool on a disk that fills up (a small tmpfs of its own, filled by someone else): the same situation as
/// MaxSpoolBytes reached, so <see cref="SpoolFullMode"/> applies. Every append threw a bare <see cref="IOException"/>
/// ("No space left on device") in either mode, and nothing was logged about the disk.
/// </summary>
public class SpoolDiskFullTests : SpoolDirectoryTests
{
    /// <summary>About 10 KB: a journal line of one needs pages the full disk does not have.</summary>
    private static byte[] Big(int i) => Event(i, padding: 10_000);

    private string DiskFolder => Path.Combine(SpoolPath, "disk");

    private string Filler => Path.Combine(DiskFolder, "someone-elses-file");

    private string SpoolOnDisk => Path.Combine(DiskFolder, "spool");

    [Test]
    public async Task Append_WhenTheSpoolsDiskIsFullAndFailModeSet_ThrowsSpoolFullExceptionThenGoesOnWhenItHasRoom()
    {
        await using SmallDisk disk = await MountAsync(1024 * 1024);
        var log = new CapturingLogger();
        var consumer = new RecordingConsumer();
        string crashed = Directory.CreateTempSubdirectory("rawdata-diskfull-crash-").FullName;
        try
        {
            await using (var buffer = Create(consumer, log, SpoolFullMode.Fail, SpoolOnDisk))
            {
                await buffer.AppendAsync("src", Big(0));
                FillLeavingOnePage();

                // m-1's line needs more than the page left: part of it reaches the journal before the disk refuses the rest.
                var refused = Assert.ThrowsAsync<SpoolFullException>(async () => await buffer.AppendAsync("src", Big(1)));
                Assert.That(refused!.Message, Does.Contain($"The spool's disk at '{SpoolOnDisk}' is full").And.Contain("bytes free").And.Contain("the event was not accepted"), refused.Message);
                Assert.That(refused.InnerException, Is.InstanceOf<IOException>().With.Property(nameof(Exception.HResult)).EqualTo(28), "the disk's own error (ENOSPC) goes with it");
                Assert.ThrowsAsync<SpoolFullException>(async () => await buffer.AppendAsync("src", Big(2)), "still full");
                Assert.That(buffer.GetStatus().SpoolDiskFullSince, Is.Not.Null);
                Assert.That(log.Lines.Count(l => l.StartsWith("Warning: The spool's disk at", StringComparison.Ordinal)), Is.EqualTo(1), "one warning, not one per append:\n" + string.Join("\n", log.Lines));
                Assert.That(log.Lines.Single(l => l.StartsWith("Warning: The spool's disk at", StringComparison.Ordinal)), Does.Contain("now throw SpoolFullException (SpoolFullMode.Fail)"));

                // The state a kill -9 now leaves: the journal must hold m-0 and nothing of the refused lines.
                CopyDirectory(SpoolOnDisk, crashed);

                File.Delete(Filler);
                await buffer.AppendAsync("src", Big(3));
                Assert.That(buffer.GetStatus().SpoolDiskFullSince, Is.Null);
                Assert.That(log.Lines.Count(l => l.Contains("has room again", StringComparison.Ordinal)), Is.EqualTo(1), string.Join("\n", log.Lines));
                await buffer.FlushAsync().WaitAsync(Bound);
            }

            Assert.That(MessageIds(consumer), Is.EqualTo(new[] { "m-0", "m-3" }), "the acknowledged events, once; the refused ones nowhere");

            var recovered = new RecordingConsumer();
            await using (var next = Create(recovered, new CapturingLogger(), SpoolFullMode.Fail, crashed))
            {
                await next.FlushAsync().WaitAsync(Bound);
                Assert.That(next.GetStatus().QuarantinedFiles, Is.Zero, "the journal reads whole after the refused writes");
            }

            Assert.That(MessageIds(recovered), Is.EqualTo(new[] { "m-0" }), "a restart finds what was acknowledged, and no part of a refused line");
        }
        finally
        {
            Directory.Delete(crashed, recursive: true);
        }
    }

    [Test]
    public async Task Append_WhenTheSpoolsDiskIsFullInWaitMode_WaitsUntilItHasRoomThenWritesTheEventOnce()
    {
        await using SmallDisk disk = await MountAsync(1024 * 1024);
        var log = new CapturingLogger();
        var consumer = new RecordingConsumer();
        await using (var buffer = Create(consumer, log, SpoolFullMode.Wait, SpoolOnDisk))
        {
            // No batch is open: one would be sealed and delivered to free room (the next test), and the wait would end.
            FillLeavingOnePage();

            using (var patience = new CancellationTokenSource(TimeSpan.FromSeconds(1.5)))
            {
                Assert.That(async () => await buffer.AppendAsync("src", Big(1), patience.Token).AsTask().WaitAsync(Bound), Throws.InstanceOf<OperationCanceledException>(), "the caller's token bounds the wait, as at MaxSpoolBytes");
            }

            Task waiting = buffer.AppendAsync("src", Big(2)).AsTask();
            await Task.WhenAny(waiting, Task.Delay(TimeSpan.FromSeconds(2.5)));
            Assert.That(waiting.IsCompleted, Is.False, waiting.Exception?.ToString() ?? "the append waits for room (it tried again, each second): not refused, not accepted");
            Assert.That(buffer.GetStatus().SpoolDiskFullSince, Is.Not.Null);
            Assert.That(log.Lines.Count(l => l.StartsWith("Warning: The spool's disk at", StringComparison.Ordinal)), Is.EqualTo(1), "one warning, not one per try:\n" + string.Join("\n", log.Lines));

            File.Delete(Filler); // someone else frees room: no delivery tells the spool
            await waiting.WaitAsync(Bound);
            Assert.That(log.Lines.Count(l => l.Contains("has room again", StringComparison.Ordinal)), Is.EqualTo(1), string.Join("\n", log.Lines));
            await buffer.FlushAsync().WaitAsync(Bound);
        }

        Assert.That(MessageIds(consumer), Is.EqualTo(new[] { "m-2" }), "the waiting event went in once, the cancelled one not at all");
    }

    [Test]
    [NonParallelizable] // the meter is the process's: no other test's appends while it counts
    public async Task Metrics_WhileAnAppendWaitsForRoomOnAFullDisk_CountTheEventOnceWhenItIsAccepted()
    {
        // QA-O O3: each try of an append the full disk refused was counted in rawdata.events.appended and
        // rawdata.bytes.in: 15 to 31 times the events accepted while the disk was full.
        await using SmallDisk disk = await MountAsync(1024 * 1024);
        using var metrics = new MetricsRecorder();
        var consumer = new RecordingConsumer();
        await using (var buffer = Create(consumer, new CapturingLogger(), SpoolFullMode.Wait, SpoolOnDisk))
        {
            FillLeavingOnePage();
            Task waiting = buffer.AppendAsync("src", Big(1)).AsTask();
            await Task.WhenAny(waiting, Task.Delay(TimeSpan.FromSeconds(2.5))); // tried again each second
            Assert.That((waiting.IsCompleted, metrics.Sum("rawdata.events.appended")), Is.EqualTo((false, 0L)), "refused tries are not counted");

            File.Delete(Filler);
            await waiting.WaitAsync(Bound);
            await buffer.FlushAsync().WaitAsync(Bound);
        }

        Assert.That(MessageIds(consumer), Is.EqualTo(new[] { "m-1" }));
        Assert.That(metrics.Sum("rawdata.events.appended"), Is.EqualTo(1), "the event, once");
        Assert.That(metrics.Sum("rawdata.bytes.in"), Is.EqualTo(consumer.AllLines.Sum(line => Encoding.UTF8.GetByteCount(line) + 1)), "its line's bytes, once");
    }

    [Test]
    public async Task Status_WhileAnAppendWaitsForRoomOnAFullDiskWithNothingDelivered_SaysSinceWhenAndSpendsTheRetryBudget()
    {
        // QA: rawdata ship over a spool whose disk was full, the customer's S3 failing, waited for room without a word
        // until a signal: nothing was delivered, so nothing freed room, and no batch's retry budget ran (the journals an
        // earlier run left could not even be sealed). The status now tells since when appends wait, and counts that
        // wait with nothing delivered against the retry budget, the rule a program gives up by.
        await using SmallDisk disk = await MountAsync(1024 * 1024);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 10, 0, 0, TimeSpan.Zero));
        var options = new BatchBufferOptions { SpoolDirectory = SpoolOnDisk, SpoolFullMode = SpoolFullMode.Wait, RetryBudget = TimeSpan.FromMinutes(1), ShutdownTimeout = TimeSpan.FromSeconds(5) };
        var consumer = new RecordingConsumer();
        await using (var buffer = new BatchBuffer(options, consumer, time, new Logger<BatchBuffer>(new CapturingLogger())))
        {
            FillLeavingOnePage(); // no batch is open: none to seal and deliver
            DateTimeOffset start = time.GetUtcNow();
            Task waiting = buffer.AppendAsync("src", Big(1)).AsTask();
            var polled = Stopwatch.StartNew();
            while (buffer.GetStatus().SpoolRoomWaitSince is null && !waiting.IsCompleted && polled.Elapsed < Bound)
            {
                await Task.Delay(10);
            }

            DeliveryStatus before = buffer.GetStatus();
            Assert.That((before.SpoolRoomWaitSince, before.RetryBudgetEndsAt, before.RetryBudgetSpent), Is.EqualTo(((DateTimeOffset?)start, (DateTimeOffset?)(start + options.RetryBudget), false)), waiting.Exception?.ToString());

            time.Advance(options.RetryBudget);
            Assert.That(buffer.GetStatus().RetryBudgetSpent, Is.True, "waited the whole budget, nothing delivered");
            Assert.That(waiting.IsCompleted, Is.False, "the append still waits: giving up is the program's call");

            File.Delete(Filler); // room again: the append's next try goes through, and the wait is over
            await time.DriveAsync(waiting, TimeSpan.FromSeconds(1));
            DeliveryStatus after = buffer.GetStatus();
            Assert.That((after.SpoolRoomWaitSince, after.RetryBudgetSpent), Is.EqualTo(((DateTimeOffset?)null, false)));
            await time.DriveAsync(buffer.FlushAsync(), TimeSpan.FromSeconds(1));
        }

        Assert.That(MessageIds(consumer), Is.EqualTo(new[] { "m-1" }));
    }

    [Test]
    public async Task Append_WhenTheDiskFillsBeforeAnyBatchIsFullInWaitMode_SealsTheOpenBatchesWhoseDeliveryFreesRoom()
    {
        // QA-E F-high-1: rawdata ship on a small disk: the journals of the open days filled it before any batch reached
        // MaxBatchBytes, and the appends waited, silent, for the next scheduled seal (31 minutes), though S3 was healthy.
        await using SmallDisk disk = await MountAsync(1024 * 1024);
        var log = new CapturingLogger();
        var consumer = new RecordingConsumer();
        await using (var buffer = Create(consumer, log, SpoolFullMode.Wait, SpoolOnDisk))
        {
            await buffer.AppendAsync("day-1", Event("a", 0, padding: 10_000));
            await buffer.AppendAsync("day-2", Event("b", 0, padding: 10_000));
            FillLeavingOnePage();

            // The open batches are sealed (the disk may refuse their sealed files: then delivered from memory), and
            // the room of their journals, deleted once delivered, is the waiting append's.
            await buffer.AppendAsync("day-1", Event("a", 1, padding: 10_000)).AsTask().WaitAsync(Bound);
            Assert.That(log.Lines.Count(l => l.StartsWith("Warning: The spool's disk at", StringComparison.Ordinal)), Is.EqualTo(1), string.Join("\n", log.Lines));
            await buffer.FlushAsync().WaitAsync(Bound);
        }

        Assert.That(MessageIds(consumer), Is.EquivalentTo(new[] { "a-0", "b-0", "a-1" }), "each acknowledged event once");
    }

    [Test]
    public async Task Flush_WhenTheSealedBatchesCannotBeSavedOnAFullDisk_LogsOneErrorPerSpellOfTheFullDiskAndTheRestAtDebug()
    {
        // QA: healthy customers' batches sealed one event each on a full disk: one Error line with a stack trace per
        // batch, 6,292 in a minute, each saying the same thing.
        await using SmallDisk disk = await MountAsync(1024 * 1024);
        var log = new CapturingLogger();
        var consumer = new RecordingConsumer();
        string[] sources = [.. Enumerable.Range(0, 20).Select(i => string.Create(CultureInfo.InvariantCulture, $"s{i}"))];
        await using (var buffer = Create(consumer, log, SpoolFullMode.Fail, SpoolOnDisk))
        {
            foreach (string source in sources)
            {
                await buffer.AppendAsync(source, Event(source, 0));
            }

            FillLeavingOnePage(pagesLeft: 0);
            await buffer.FlushAsync().WaitAsync(Bound); // every sealed file refused: each batch delivered from memory
        }

        int errors = log.Lines.Count(l => l.StartsWith("Error: Saving sealed batch", StringComparison.Ordinal));
        int again = log.Lines.Count(l => l.StartsWith("Debug: Saving sealed batch", StringComparison.Ordinal) && l.Contains("its disk still full", StringComparison.Ordinal));
        int spells = 1 + log.Lines.Count(l => l.Contains("has room again", StringComparison.Ordinal));
        Assert.That(errors + again, Is.InRange(sources.Length / 2, sources.Length), "the saves failed (a journal deleted after its delivery may give one room): " + string.Join("\n", log.Lines));
        Assert.That(errors, Is.InRange(1, spells), "one in full per spell of the full disk: " + string.Join("\n", log.Lines));
        Assert.That(MessageIds(consumer), Is.EquivalentTo(sources.Select(source => source + "-0")), "each event once, from memory");
    }

    [Test]
    public async Task Append_WhenTheFullDiskStillTakesASmallLineIntoAFilesLastPage_StillSaysItIsFullAndWarnsOnce()
    {
        await using SmallDisk disk = await MountAsync(1024 * 1024);
        var log = new CapturingLogger();
        var consumer = new RecordingConsumer();
        await using (var buffer = Create(consumer, log, SpoolFullMode.Fail, SpoolOnDisk))
        {
            await buffer.AppendAsync("small", Event("small", 0)); // its journal's one page has room for many more
            await buffer.AppendAsync("big", Big(0));
            FillLeavingOnePage(pagesLeft: 0);

            for (int round = 1; round <= 3; round++)
            {
                Assert.ThrowsAsync<SpoolFullException>(async () => await buffer.AppendAsync("big", Big(round)));
                await buffer.AppendAsync("small", Event("small", round)); // goes through: no new page needed
                Assert.That(buffer.GetStatus().SpoolDiskFullSince, Is.Not.Null, "a line into a page already there is not room again");
            }

            Assert.That(log.Lines.Count(l => l.StartsWith("Warning: The spool's disk at", StringComparison.Ordinal)), Is.EqualTo(1), "one warning, not one per refusal:\n" + string.Join("\n", log.Lines));
            Assert.That(log.Lines, Has.None.Contains("has room again"));

            File.Delete(Filler);
            await buffer.AppendAsync("big", Big(4));
            Assert.That(buffer.GetStatus().SpoolDiskFullSince, Is.Null);
            await buffer.FlushAsync().WaitAsync(Bound);
        }

        Assert.That(log.Lines.Count(l => l.Contains("has room again", StringComparison.Ordinal)), Is.EqualTo(1), string.Join("\n", log.Lines));
        Assert.That(MessageIds(consumer), Is.EquivalentTo(new[] { "small-0", "small-1", "small-2", "small-3", "m-0", "m-4" }));
    }

    [Test]
    public async Task Start_WhenTheDiskIsTooFullToSealAnEarlierRunsJournal_SealsAndDeliversItOnceRoomComesBackWithoutARestart()
    {
        // QA: journals the start could not seal (a full disk) waited for the next start, though room came back during the run.
        await using SmallDisk disk = await MountAsync(1024 * 1024);
        string earlierRun = Directory.CreateTempSubdirectory("rawdata-diskfull-earlier-").FullName;
        try
        {
            await using (Create(new RecordingConsumer(), new CapturingLogger(), SpoolFullMode.Fail, SpoolOnDisk))
            {
                // the spool's folders and lock file, made while the disk has room
            }

            await using (var earlier = Create(new RecordingConsumer(), new CapturingLogger(), SpoolFullMode.Fail, earlierRun))
            {
                for (int i = 0; i < 3; i++)
                {
                    await earlier.AppendAsync("src", Event(i, padding: 100));
                }

                CopyDirectory(Path.Combine(earlierRun, "journal"), Path.Combine(SpoolOnDisk, "journal")); // what a kill -9 leaves
            }

            FillLeavingOnePage(pagesLeft: 0);
            var log = new CapturingLogger();
            var consumer = new RecordingConsumer();
            await using (var buffer = Create(consumer, log, SpoolFullMode.Fail, SpoolOnDisk))
            {
                await buffer.FlushAsync().WaitAsync(Bound);
                Assert.That(consumer.AllLines, Is.Empty, "no room to seal it yet");
                Assert.That(log.Lines, Has.Some.Contains("could not be sealed now"), string.Join("\n", log.Lines));

                File.Delete(Filler);
                await buffer.FlushAsync().WaitAsync(Bound);

                Assert.That(MessageIds(consumer), Is.EqualTo(new[] { "m-0", "m-1", "m-2" }), "sealed and delivered in this run, once");
            }

            Assert.That(Directory.EnumerateFiles(Path.Combine(SpoolOnDisk, "journal"), "*", SearchOption.AllDirectories), Is.Empty, "the journal is gone once its batch is delivered");
        }
        finally
        {
            Directory.Delete(earlierRun, recursive: true);
        }
    }

    [Test]
    public async Task Constructor_WhenMaxSpoolBytesExceedsTheFreeSpaceOfTheSpoolsDisk_WarnsOnce()
    {
        await using SmallDisk disk = await MountAsync(4 * 1024 * 1024);
        var log = new CapturingLogger();

        await using (Create(new RecordingConsumer(), log, SpoolFullMode.Wait, SpoolOnDisk, maxSpoolBytes: 1024 * 1024))
        {
            Assert.That(log.Lines, Has.None.Contains("MaxSpoolBytes"), "1 MB fits a 4 MB disk");
        }

        await using (Create(new RecordingConsumer(), log, SpoolFullMode.Wait, SpoolOnDisk))
        {
            Assert.That(log.Lines.Single(l => l.Contains("MaxSpoolBytes", StringComparison.Ordinal)), Does.StartWith($"Warning: MaxSpoolBytes 10737418240 is more than the spool at {SpoolOnDisk} can take"));
        }
    }

    [Test]
    public async Task Append_WhenSilentCustomersWouldFillTheDisk_HealthyCustomersKeepTheirRoomAndTheirBatchesAreSealedOnScheduleNotOnePerEvent()
    {
        // QA F5: silent customers' 20 KB events filled the spool's 4 MB disk (MaxSpoolBytes left at its 10 GB): every
        // healthy append then met the full disk and sealed its batch at once, delivered from memory: about one S3 object
        // per event for every healthy customer (15 times the PUTs), as long as the silent ones stayed silent.
        await using SmallDisk disk = await MountAsync(4 * 1024 * 1024);
        var time = new FakeTimeProvider(Start);
        var consumer = new CustomersConsumer();
        string[] silent = ["silent-a", "silent-b"];
        string[] healthy = ["healthy-a", "healthy-b", "healthy-c", "healthy-d"];
        foreach (string lane in silent)
        {
            consumer.Set(lane, CustomerHealth.NeverAnswers);
        }

        var options = new BatchBufferOptions
        {
            SpoolDirectory = SpoolOnDisk,
            SpoolFullMode = SpoolFullMode.Wait,
            CompressionLevel = CompressionLevel.NoCompression, // the silent lanes' sealed files as large as their journals
            FlushInterval = TimeSpan.FromSeconds(5),
            FlushOffset = TimeSpan.Zero,
            AttemptTimeout = TimeSpan.FromSeconds(5), // a silent lane is failing 5 s after its first batch is sealed
            RetryBudget = TimeSpan.FromDays(1),
            ShutdownTimeout = TimeSpan.Zero,
        };
        var log = new CapturingLogger();
        await using var buffer = new BatchBuffer(options, consumer, time, new Logger<BatchBuffer>(log));

        // Each second (of the fake clock) every lane appends 5 events: the silent ones 20 KB each, in loops of their own
        // (their appends may wait for room), the healthy ones small, here, each acknowledged at once.
        const int PerSecond = 5;
        using var stop = new CancellationTokenSource();
        var tickets = silent.ToDictionary(lane => lane, _ => new SemaphoreSlim(0));
        var silentAccepted = new ConcurrentDictionary<string, int>(silent.ToDictionary(lane => lane, _ => 0));
        Task[] silentLoops = [.. silent.Select(lane => Task.Run(async () =>
        {
            for (int i = 0; ; i++)
            {
                try
                {
                    await tickets[lane].WaitAsync(stop.Token);
                    await buffer.AppendAsync(lane, Event(lane, i, padding: 20_000), stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                silentAccepted[lane]++;
            }
        }))];

        int healthyEvents = 0;
        int HealthyBatches() => consumer.Delivered.Count(d => healthy.Contains(d.Lane));
        int batchesBefore = 0;
        DateTimeOffset settledAt = Start;
        const int Settled = 20, Seconds = 50; // the silent lanes fail at about 10 s; from 20 s to 50 s, 6 scheduled seals
        for (int second = 0; second < Seconds; second++)
        {
            if (second == Settled)
            {
                await time.DriveUntilAsync(() => consumer.MessageIds("healthy-a").Count() == healthyEvents, TimeSpan.Zero);
                batchesBefore = HealthyBatches();
                settledAt = time.GetUtcNow();
            }

            foreach (SemaphoreSlim ticket in tickets.Values)
            {
                ticket.Release(PerSecond);
            }

            for (int k = 0; k < PerSecond; k++, healthyEvents++)
            {
                foreach (string lane in healthy)
                {
                    Task append = buffer.AppendAsync(lane, Event(lane, healthyEvents, padding: 200)).AsTask();
                    if (await Task.WhenAny(append, Task.Delay(TimeSpan.FromMilliseconds(500))) != append)
                    {
                        await time.DriveAsync(append, TimeSpan.FromMilliseconds(100)); // waiting for room on a full disk: it looks again each second
                    }
                }
            }

            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(20);
        }

        await time.DriveUntilAsync(() => consumer.MessageIds("healthy-a").Count() == healthyEvents, TimeSpan.Zero);
        int batchesSettled = HealthyBatches() - batchesBefore;
        int scheduledSeals = (int)((time.GetUtcNow() - settledAt) / options.FlushInterval);
        Assert.That(buffer.GetStatus().FailingLanes.Select(l => l.Key), Is.EquivalentTo(silent), "the silent lanes are failing");
        Assert.That(scheduledSeals, Is.LessThan(healthy.Length * PerSecond * (Seconds - Settled) / healthy.Length / 4), "the clock went on about as the test drove it");
        Assert.That(batchesSettled, Is.LessThanOrEqualTo(healthy.Length * (scheduledSeals + 2)), $"about one batch per healthy lane per scheduled seal ({scheduledSeals}), not one per event ({healthy.Length * PerSecond * (Seconds - Settled)} events); disk full since {buffer.GetStatus().SpoolDiskFullSince}:\n" + string.Join("\n", log.Lines.Where(l => !l.StartsWith("Debug: Deliver", StringComparison.Ordinal)).Take(30)));

        // The silent customers answer again: every acknowledged event is delivered once.
        await stop.CancelAsync();
        await Task.WhenAll(silentLoops).WaitAsync(Bound);
        foreach (string lane in silent)
        {
            consumer.Set(lane, CustomerHealth.Healthy);
        }

        await time.DriveAsync(buffer.FlushAsync(), TimeSpan.FromSeconds(5));
        foreach (string lane in healthy)
        {
            Assert.That(consumer.MessageIds(lane), Is.EquivalentTo(Enumerable.Range(0, healthyEvents).Select(i => $"{lane}-{i}")), "every healthy event once");
        }

        foreach (string lane in silent)
        {
            Assert.That(consumer.MessageIds(lane), Is.Unique, "nothing twice");
            Assert.That(consumer.MessageIds(lane).Count(), Is.InRange(silentAccepted[lane], silentAccepted[lane] + 1), "nothing acknowledged lost (a cancelled append may have gone in)");
        }
    }

    private static BatchBuffer Create(ISealedBatchConsumer consumer, CapturingLogger log, SpoolFullMode mode, string directory, long maxSpoolBytes = 10L * 1024 * 1024 * 1024) =>
        new(new BatchBufferOptions { SpoolDirectory = directory, SpoolFullMode = mode, MaxSpoolBytes = maxSpoolBytes, ShutdownTimeout = TimeSpan.FromSeconds(5) }, consumer, TimeProvider.System, new Logger<BatchBuffer>(log));

    private static string[] MessageIds(RecordingConsumer consumer) => [.. consumer.AllLines.Select(l => l.Split('"')[3])];

    private async Task<SmallDisk> MountAsync(long bytes)
    {
        SmallDisk? disk = await SmallDisk.TryMountAsync(DiskFolder, bytes);
        if (disk is null)
        {
            Assert.Ignore("needs Linux and root, to mount a small disk (tmpfs) and fill it");
        }

        return disk!;
    }

    /// <summary>Someone else fills the disk, then gives back <paramref name="pagesLeft"/> pages of 4 KB: less than one big event's line.</summary>
    private void FillLeavingOnePage(int pagesLeft = 1) => SmallDisk.Fill(Filler, pagesLeft);

    private static void CopyDirectory(string from, string to)
    {
        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories).Where(f => Path.GetFileName(f) != "spool.lock"))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
