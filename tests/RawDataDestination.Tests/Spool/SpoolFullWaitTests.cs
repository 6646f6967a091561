namespace RawDataDestination.Tests.Spool;

/// <summary>
/// <see cref="SpoolFullMode.Wait"/>, the default: an append that would take the spool past
/// <see cref="BatchBufferOptions.MaxSpoolBytes"/> waits until a delivery frees room, then proceeds; its token bounds the wait.
/// </summary>
public class SpoolFullWaitTests : SpoolDirectoryTests
{
    private const long MaxSpoolBytes = 1024 * 1024; // the smallest allowed

    /// <summary>How long an append that has room may take (real time): past this, it is waiting for room.</summary>
    private static readonly TimeSpan Quick = TimeSpan.FromMilliseconds(500);

    /// <summary>About 30 KB: with <see cref="OneEventPerBatch"/>, every append seals the batch before it into the spool.</summary>
    private static byte[] Event(int i) => TestEvents.Event(i, padding: 30_000);

    /// <summary>A buffer over the spool, on a fake clock at <see cref="Start"/>, whose consumer holds every delivery until released.</summary>
    private GatedSpool OneEventPerBatch()
    {
        var time = new FakeTimeProvider(Start);
        var consumer = new GatedConsumer();
        return new GatedSpool(new BatchBuffer(OneEventPerBatchOptions(), consumer, time), consumer, time);
    }

    private BatchBufferOptions OneEventPerBatchOptions() => new()
    {
        SpoolDirectory = SpoolPath,
        MaxSpoolBytes = MaxSpoolBytes,
        MaxBatchBytes = 32 * 1024,
        CompressionLevel = CompressionLevel.NoCompression, // the spool fills at a known pace
        ShutdownTimeout = TimeSpan.Zero,
    };

    /// <summary>The spool's files but its lock and checksums: what counts against MaxSpoolBytes.</summary>
    private long SpoolBytesOnDisk() =>
        Directory.EnumerateFiles(SpoolPath, "*", SearchOption.AllDirectories)
            .Where(path => Path.GetFileName(path) != "spool.lock" && !path.EndsWith(".sha256", StringComparison.Ordinal))
            .Sum(path => new FileInfo(path).Length);

    /// <summary>Appends until an append does not complete quickly; returns how many were accepted and the one waiting.</summary>
    private static async Task<(int Accepted, Task Waiting)> FillAsync(BatchBuffer buffer, CancellationToken waitingToken = default)
    {
        for (int i = 0; i < 60; i++) // 60 × 30 KB is well past 1 MB
        {
            Task append = buffer.AppendAsync("src", Event(i), waitingToken).AsTask();
            if (await Task.WhenAny(append, Task.Delay(Quick, CancellationToken.None)) != append)
            {
                return (i, append);
            }

            await append;
        }

        Assert.Fail("60 appends of 30 KB each went into a spool of 1 MB: none waited for room");
        throw new InvalidOperationException("not reached");
    }

    [Test]
    public void Options_SpoolFullMode_DefaultsToWait() =>
        Assert.That(new BatchBufferOptions().SpoolFullMode, Is.EqualTo(SpoolFullMode.Wait));

    [Test]
    public async Task Append_WhenTheSpoolIsFull_WaitsUntilADeliveryFreesRoomThenProceeds()
    {
        await using GatedSpool spool = OneEventPerBatch();
        var (buffer, consumer, time) = spool;

        var (accepted, waiting) = await FillAsync(buffer);

        Assert.That(accepted, Is.InRange(25, 40), "about 1 MB of 30 KB events was accepted before the spool was full");
        Assert.That(SpoolBytesOnDisk(), Is.LessThanOrEqualTo(MaxSpoolBytes), "the spool stays within its bound while the append waits");
        Assert.That(waiting.IsCompleted, Is.False, "the append waits: not refused, not accepted over the bound");

        consumer.Release(); // deliveries go through and delete their spool files
        await waiting.WaitAsync(Bound);
        await time.DriveAsync(buffer.FlushAsync(), TimeSpan.FromSeconds(1));

        Assert.That(consumer.MessageIds, Is.EquivalentTo(Enumerable.Range(0, accepted + 1).Select(i => $"m-{i}")), "the waiting event went in once there was room; all delivered");
    }

    [Test]
    public async Task Append_WhenTheSpoolIsFull_StopsWaitingWhenItsTokenFiresAndTheEventIsNotAccepted()
    {
        await using GatedSpool spool = OneEventPerBatch();
        var (buffer, consumer, time) = spool;
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(10), time);

        var (accepted, waiting) = await FillAsync(buffer, patience.Token);
        time.Advance(TimeSpan.FromSeconds(10));

        Assert.That(async () => await waiting.WaitAsync(Bound), Throws.InstanceOf<OperationCanceledException>(), "the caller's token bounds the wait");
        consumer.Release();
        await time.DriveAsync(buffer.FlushAsync(), TimeSpan.FromSeconds(1));
        Assert.That(consumer.MessageIds, Is.EquivalentTo(Enumerable.Range(0, accepted).Select(i => $"m-{i}")), "the cancelled append's event is not in any batch");
    }

    /// <summary>The buffer, its gated consumer and its clock; disposing releases the deliveries first, so a failing test cannot leave the buffer's dispose waiting.</summary>
    private sealed class GatedSpool(BatchBuffer buffer, GatedConsumer consumer, FakeTimeProvider time) : IAsyncDisposable
    {
        public void Deconstruct(out BatchBuffer gatedBuffer, out GatedConsumer gatedConsumer, out FakeTimeProvider clock) =>
            (gatedBuffer, gatedConsumer, clock) = (buffer, consumer, time);

        public async ValueTask DisposeAsync()
        {
            consumer.Release();
            await buffer.DisposeAsync();
        }
    }
}
