namespace RawDataDestination.Tests.Spool;

/// <summary>
/// QA O1: the spool counted its files in bytes while its file system gives each file whole blocks (4 KB on tmpfs and
/// ext4): on a small disk with many sources, failing customers' small batches (a file and a checksum of a block each)
/// filled the disk while the spool counted them at a fraction of their share, and every healthy append then met the full
/// disk: one S3 object per event. The spool now counts each file at the room it takes.
/// </summary>
public class SpoolBlocksTests : SpoolDirectoryTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private string DiskFolder => Path.Combine(SpoolPath, "disk");

    [Test]
    public async Task Append_WhenManySourcesOfFailingCustomersFillTheirShareWithSmallFiles_HealthyCustomersKeepSealingOnScheduleAndTheDiskNeverFills()
    {
        await using SmallDisk? disk = await SmallDisk.TryMountAsync(DiskFolder, 4 * 1024 * 1024);
        if (disk is null)
        {
            Assert.Ignore("needs Linux and root, to mount a small disk (tmpfs)");
        }

        var time = new FakeTimeProvider(Start);
        var consumer = new CustomersConsumer();
        string[] failing = ["failing-a", "failing-b", "failing-c"];
        string[] healthy = ["healthy-a", "healthy-b", "healthy-c", "healthy-d"];
        foreach (string lane in failing)
        {
            consumer.Set(lane, CustomerHealth.FailsAtOnce);
        }

        // 20 sources per failing customer, 10 per healthy one; a source's lane is its customer.
        string[] failingSources = [.. failing.SelectMany(lane => Enumerable.Range(0, 20).Select(i => $"{lane}-{i}"))];
        string[] healthySources = [.. healthy.SelectMany(lane => Enumerable.Range(0, 10).Select(i => $"{lane}-{i}"))];
        var options = new BatchBufferOptions
        {
            SpoolDirectory = Path.Combine(DiskFolder, "spool"),
            SpoolFullMode = SpoolFullMode.Wait,
            CompressionLevel = CompressionLevel.NoCompression,
            FlushInterval = TimeSpan.FromSeconds(5),
            FlushOffset = TimeSpan.Zero,
            RetryBudget = TimeSpan.FromDays(1),
            ShutdownTimeout = TimeSpan.Zero,
            LaneKey = source => source[..source.LastIndexOf('-')],
        };
        var log = new CapturingLogger();
        await using var buffer = new BatchBuffer(options, consumer, time, new Logger<BatchBuffer>(log));

        // Each second every source appends one event: the failing ones in loops of their own (they wait for their share),
        // the healthy ones here, each acknowledged at once. A failing source's batch of 5 events is 2.5 KB: 8 KB on the disk.
        using var stop = new CancellationTokenSource();
        var tickets = failingSources.ToDictionary(source => source, _ => new SemaphoreSlim(0));
        var failingAccepted = new ConcurrentDictionary<string, int>(failingSources.ToDictionary(source => source, _ => 0));
        Task[] failingLoops = [.. failingSources.Select(source => Task.Run(async () =>
        {
            for (int i = 0; ; i++)
            {
                try
                {
                    await tickets[source].WaitAsync(stop.Token);
                    await buffer.AppendAsync(source, Event(source, i, padding: 400), stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                failingAccepted[source]++;
            }
        }))];

        int healthyEvents = 0;
        int HealthyBatches() => consumer.Delivered.Count(d => healthy.Contains(d.Lane));
        bool HealthyAllDelivered() => healthySources.All(source => consumer.Delivered.Where(d => d.Lane == source[..source.LastIndexOf('-')]).SelectMany(d => d.MessageIds).Count(id => id.StartsWith(source + "-", StringComparison.Ordinal)) == healthyEvents);
        int batchesBefore = 0;
        DateTimeOffset settledAt = Start;
        DateTimeOffset? diskFull = null;
        const int Settled = 40, Seconds = 70; // the failing lanes' share spent at about 30 s
        for (int second = 0; second < Seconds; second++)
        {
            if (second == Settled)
            {
                await time.DriveUntilAsync(HealthyAllDelivered, TimeSpan.Zero);
                batchesBefore = HealthyBatches();
                settledAt = time.GetUtcNow();
            }

            foreach (SemaphoreSlim ticket in tickets.Values)
            {
                ticket.Release();
            }

            foreach (string source in healthySources)
            {
                Task append = buffer.AppendAsync(source, Event(source, healthyEvents, padding: 100)).AsTask();
                if (await Task.WhenAny(append, Task.Delay(TimeSpan.FromMilliseconds(500))) != append)
                {
                    await time.DriveAsync(append, TimeSpan.FromMilliseconds(100)); // waiting for room: it looks again each second
                }
            }

            healthyEvents++;
            diskFull ??= buffer.GetStatus().SpoolDiskFullSince;
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(20);
        }

        await time.DriveUntilAsync(HealthyAllDelivered, TimeSpan.Zero);
        int batchesSettled = HealthyBatches() - batchesBefore;
        int scheduledSeals = (int)((time.GetUtcNow() - settledAt) / options.FlushInterval);
        string said = string.Join("\n", log.Lines.Where(l => !l.StartsWith("Debug:", StringComparison.Ordinal)).Take(30));
        Assert.That(diskFull, Is.Null, "the spool's limit kept its disk from filling:\n" + said);
        Assert.That(buffer.GetStatus().FailingLanes.Select(l => l.Key), Is.EquivalentTo(failing), "the failing customers are failing");
        Assert.That(buffer.GetStatus().FailingLanes.Sum(l => l.SpooledBytes), Is.GreaterThan(1024 * 1024), "they hold about their share (3/4 of 4/5 of 4 MB, their journals in it)");
        Assert.That(batchesSettled, Is.LessThanOrEqualTo(healthySources.Length * (scheduledSeals + 2)), $"about one batch per healthy source per scheduled seal ({scheduledSeals}), not one per event ({healthySources.Length * (Seconds - Settled)} events):\n" + said);

        // The failing customers deliver again: every acknowledged event once.
        await stop.CancelAsync();
        await Task.WhenAll(failingLoops).WaitAsync(Bound);
        foreach (string lane in failing)
        {
            consumer.Set(lane, CustomerHealth.Healthy);
        }

        await time.DriveAsync(buffer.FlushAsync(), TimeSpan.FromSeconds(5));
        foreach (string source in healthySources)
        {
            Assert.That(consumer.MessageIds(source[..source.LastIndexOf('-')]).Where(id => id.StartsWith(source + "-", StringComparison.Ordinal)), Is.EquivalentTo(Enumerable.Range(0, healthyEvents).Select(i => $"{source}-{i}")), "every healthy event once");
        }

        foreach (string source in failingSources)
        {
            string[] ids = [.. consumer.MessageIds(source[..source.LastIndexOf('-')]).Where(id => id.StartsWith(source + "-", StringComparison.Ordinal))];
            Assert.That(ids, Is.Unique, "nothing twice");
            Assert.That(ids, Has.Length.InRange(failingAccepted[source], failingAccepted[source] + 1), "nothing acknowledged lost (a cancelled append may have gone in)");
        }
    }

    [Test]
    public void BlockSize_OnLinux_IsReadFromTheFileSystemNotTakenAsTheFallback()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Ignore("statvfs is read on Linux and macOS; this test knows the answer on Linux");
        }

        // A 1 KB-block file system is not at hand; the page size is what tmpfs gives and /proc reports as its block.
        Assert.That(FileSystemBlocks.Read(SpoolPath), Is.Not.Null, "statvfs read through the C library");
        Assert.That(FileSystemBlocks.Read("/proc"), Is.EqualTo(Environment.SystemPageSize), "procfs's block is a page");
        Assert.That(FileSystemBlocks.Read(Path.Combine(SpoolPath, "no-such-folder")), Is.Null, "statvfs failed: no size made up");
    }

    [Test]
    public void Allocated_RoundsUpToWholeBlocks_AndASealedBatchTakesItsChecksumsBlockToo()
    {
        using var spool = new BatchSpool(SpoolPath, long.MaxValue, SpoolFullMode.Wait);
        long block = spool.BlockSize;
        Assert.That(block, Is.InRange(512, 1024 * 1024), "read from the file system, or 4096");
        Assert.That(spool.Allocated(0), Is.Zero, "an empty file takes no block");
        Assert.That(spool.Allocated(1), Is.EqualTo(block));
        Assert.That(spool.Allocated(block), Is.EqualTo(block));
        Assert.That(spool.Allocated(block + 1), Is.EqualTo(2 * block));
        Assert.That(spool.SealedRoom(200), Is.EqualTo(2 * block), "its file's block and its checksum's");
    }
}
