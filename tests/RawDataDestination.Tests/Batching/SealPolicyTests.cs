namespace RawDataDestination.Tests.Batching;

/// <summary>
/// The seal policy's shutdown, through <see cref="BatchBuffer"/>'s public API only: every event appended is accounted
/// for at the end (delivered, taken back with <see cref="BatchBuffer.TakeUndeliveredBatches"/>, in the status and in the
/// log), whatever the deadline interrupts.
/// </summary>
public class SealPolicyTests
{
    /// <summary>
    /// Issue 20's library case: no spool, 60 events in three partitions, MaxPendingBatches full and the consumer hanging
    /// at shutdown. The deadline cancelled the second partition's wait for room and the third was never sealed: 20 of 60
    /// were reported.
    /// </summary>
    [Test]
    public async Task SealAll_WhenTheShutdownDeadlineCancelsAWaitForRoom_StillSealsAndReportsEveryOtherPartition()
    {
        var time = new FakeTimeProvider(Start);
        var consumer = new GatedConsumer();
        var log = new CapturingLogger();
        var options = new BatchBufferOptions { MaxPendingBatches = 1, ShutdownTimeout = TimeSpan.FromSeconds(5) };
        var buffer = new BatchBuffer(options, consumer, time, new Logger<BatchBuffer>(log));
        string[] sources = ["web", "ios", "android"];
        foreach (string source in sources)
        {
            for (int i = 0; i < 20; i++)
            {
                await buffer.AppendAsync(source, Event(source, i)).AsTask().WaitAsync(Bound);
            }
        }

        Task disposing = buffer.DisposeAsync().AsTask();
        await consumer.Started.WaitAsync(Bound); // the first sealed batch holds the one place, its delivery hangs
        time.Advance(options.ShutdownTimeout); // the deadline passes while the next seal waits for room
        await disposing.WaitAsync(Bound);

        DeliveryStatus status = buffer.GetStatus();
        IReadOnlyList<SealedBatch> left = buffer.TakeUndeliveredBatches();
        try
        {
            Assert.That(status.OpenEvents, Is.Zero, "no batch left open");
            Assert.That(status.UndeliveredEvents, Is.EqualTo(60));
            Assert.That(left.Sum(batch => batch.EventCount), Is.EqualTo(60), "60 of 60 taken back");
            Assert.That(left.Select(batch => batch.SourceId), Is.EquivalentTo(sources));
            Assert.That(log.Lines, Has.Some.StartsWith("Error: Not delivered at shutdown: batches 3, events 60."), string.Join("\n", log.Lines));
            Assert.That(consumer.MessageIds, Is.Empty, "nothing was delivered");
        }
        finally
        {
            foreach (SealedBatch batch in left)
            {
                batch.Dispose();
            }
        }
    }

    [Test]
    public async Task SealAll_WhenAFlushIsCancelledWhileWaitingForRoom_StillSealsEveryPartitionAndLosesNothing()
    {
        var time = new FakeTimeProvider(Start);
        var consumer = new GatedConsumer();
        await using var buffer = new BatchBuffer(new BatchBufferOptions { MaxPendingBatches = 1 }, consumer, time);
        using IDisposable releaseBeforeDispose = consumer.ReleaseOnDispose();
        string[] sources = ["a", "b", "c", "d"];
        foreach (string source in sources)
        {
            await buffer.AppendAsync(source, Event(source, 0)).AsTask().WaitAsync(Bound);
        }

        using var cancel = new CancellationTokenSource();
        Task flushing = buffer.FlushAsync(cancel.Token);
        await consumer.Started.WaitAsync(Bound);
        await cancel.CancelAsync();

        Assert.That(async () => await flushing.WaitAsync(Bound), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(buffer.GetStatus().OpenEvents, Is.Zero, "every partition was sealed");
        Assert.That(buffer.GetStatus().UndeliveredEvents, Is.EqualTo(4));

        consumer.Release();
        await buffer.FlushAsync().WaitAsync(Bound);
        Assert.That(consumer.MessageIds, Is.EquivalentTo(sources.Select(s => s + "-0")), "each once");
    }

    /// <summary>
    /// QA's <c>rawdata ship</c> case: the flush gave up (its token cancelled: the retry budget ran out) with a partition
    /// waiting for room in its full lane and no append anywhere. The partition's free gate was not taken because the token
    /// was already cancelled, so its batch stayed open and the log said "an append held its partition"; the shutdown
    /// then sealed and delivered it.
    /// </summary>
    [Test]
    public async Task SealAll_WhenAFlushGivesUpWithAPartitionWaitingForItsLane_SealsItAndLogsNoBusyPartition()
    {
        var time = new FakeTimeProvider(Start);
        var consumer = new GatedConsumer();
        var log = new CapturingLogger();
        var options = new BatchBufferOptions { MaxPendingBatches = 1, LaneKey = source => source.Split('.')[0] };
        await using var buffer = new BatchBuffer(options, consumer, time, new Logger<BatchBuffer>(log));
        using IDisposable releaseBeforeDispose = consumer.ReleaseOnDispose();
        string[] sources = ["shop.web", "shop.ios"]; // one lane: once one batch is sealed, the other waits for room
        foreach (string source in sources)
        {
            await buffer.AppendAsync(source, Event(source, 0)).AsTask().WaitAsync(Bound);
        }

        using var givenUp = new CancellationTokenSource();
        await givenUp.CancelAsync();
        Assert.That(async () => await buffer.FlushAsync(givenUp.Token).WaitAsync(Bound), Throws.InstanceOf<OperationCanceledException>());

        Assert.That(log.Lines, Has.None.Contains("was not sealed"), string.Join("\n", log.Lines));
        Assert.That(buffer.GetStatus().OpenEvents, Is.Zero, "every partition was sealed, the waiting one over the bound");
        Assert.That(buffer.GetStatus().UndeliveredEvents, Is.EqualTo(2));

        consumer.Release();
        await buffer.FlushAsync().WaitAsync(Bound);
        Assert.That(consumer.MessageIds, Is.EquivalentTo(sources.Select(s => s + "-0")), "each once");
    }
}
