namespace RawDataDestination.Tests.Spool;

/// <summary>
/// A disk that other programs fill after the spool started: the spool's room on it (and so its limit, 4/5 of that room
/// when less than MaxSpoolBytes) is read again at each seal, so the limit follows the disk and the lanes that deliver
/// keep room on it, where the room read at start let failing lanes fill the disk itself and every healthy append then
/// sealed its batch at once (one event each).
/// </summary>
public class SpoolDiskFullRoomAtSealTests : SpoolDirectoryTests
{
    private const string BatchId = "0190f0a0-0000-7000-8000-000000000003";

    [Test]
    public async Task SaveSealed_AfterOthersFilledTheDisk_ReadsItsRoomAgainSoTheLimitFollowsIt()
    {
        long free = 1_000_000_000;
        using var spool = new BatchSpool(SpoolPath, long.MaxValue, SpoolFullMode.Wait, freeBytes: () => Interlocked.Read(ref free));
        Assert.That(spool.Limit, Is.EqualTo(800_000_000L), "4/5 of the room read at start");

        Interlocked.Exchange(ref free, 10_000_000); // another program takes nearly all of the disk
        await spool.SaveSealedAsync("src", DateOnly.FromDateTime(Start.UtcDateTime), $"1700820001234.{BatchId}.gz", new MemoryStream(new byte[1000]), "checksum", "initech");

        Assert.That(spool.DiskRoom, Is.InRange(10_000_000L, 10_000_000L + 2_000), "the room read again at the seal: what the spool holds and the disk's free bytes then");
        Assert.That(spool.Limit, Is.LessThan(8_100_000L), "the limit follows the disk");
    }

    [Test]
    public async Task Append_FailMode_AfterOthersFilledTheDisk_AFailingLaneIsRefusedAtItsShareOfTheRoomLeftNotOfTheRoomAtStart()
    {
        var time = new FakeTimeProvider(Start);
        var consumer = new CustomersConsumer();
        consumer.Set("broken", CustomerHealth.FailsAtOnce);
        const long Disk = 100L * 1024 * 1024;
        long othersHold = 0;
        var options = new BatchBufferOptions
        {
            SpoolDirectory = SpoolPath,
            SpoolFullMode = SpoolFullMode.Fail,
            MaxBatchBytes = 32 * 1024,
            CompressionLevel = CompressionLevel.NoCompression, // the spool fills at a known pace
            FlushInterval = TimeSpan.FromSeconds(1),
            FlushOffset = TimeSpan.Zero,
            ShutdownTimeout = TimeSpan.Zero,
            SpoolFreeBytes = () => Disk - Interlocked.Read(ref othersHold) - BytesUnder(SpoolPath),
        };
        await using var buffer = new BatchBuffer(options, consumer, time);
        await buffer.AppendAsync("broken", Event("broken", 0));
        await buffer.AppendAsync("broken", Event("broken", 1)); // seals the first
        await time.DriveUntilAsync(() => buffer.GetStatus().FailingLanes.Any(l => l.Key == "broken"), TimeSpan.Zero);

        Interlocked.Exchange(ref othersHold, Disk - (1280 * 1024)); // other programs leave the spool 1.25 MB of the 100 MB it had at start
        int accepted = 2;
        SpoolFullException? refused = null;
        for (; accepted < 60 && refused is null; accepted++) // each append seals the batch before it: 60 × 30 KB is well past 1.25 MB
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

        Assert.That(refused, Is.Not.Null, "60 appends of 30 KB went into a spool whose disk has 1.25 MB left: its room was read at start only");
        Assert.That(refused!.Message, Does.Contain("Lane 'broken' is failing").And.Contain("3/4 of 4/5 of the room on its disk"), refused.Message);
        Assert.That(accepted, Is.InRange(20, 32), "about 3/4 of 4/5 of 1.25 MB of the failing lane's 30 KB batches");
    }

    /// <summary>About 30 KB: every append seals the lane's batch before it into the spool.</summary>
    private static byte[] Event(string lane, int i) => TestEvents.Event(lane, i, padding: 30_000);

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
}
