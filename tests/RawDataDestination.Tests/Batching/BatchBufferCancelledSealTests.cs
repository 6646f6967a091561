namespace RawDataDestination.Tests.Batching;

/// <summary>
/// An append whose seal waits for room under <see cref="BatchBufferOptions.MaxPendingBatches"/> and is cancelled: the
/// batch it sealed is kept (never lost), even though that holds one more batch than the bound; its own event is not accepted.
/// </summary>
public class BatchBufferCancelledSealTests
{
    private static byte[] Event(int i) => TestEvents.Event(i, padding: 600);

    [Test]
    public async Task Append_WhenItsWaitForRoomIsCancelled_KeepsTheBatchItSealedBeyondMaxPendingBatchesAndRefusesItsOwnEvent()
    {
        var time = new FakeTimeProvider(Start);
        var consumer = new GatedConsumer();
        var options = new BatchBufferOptions { MaxBatchBytes = 1024, MaxEventBytes = 1024, MaxPendingBatches = 1, ShutdownTimeout = TimeSpan.Zero };
        await using var buffer = new BatchBuffer(options, consumer, time);
        using IDisposable releaseBeforeDispose = consumer.ReleaseOnDispose();
        await buffer.AppendAsync("src", Event(0)).AsTask().WaitAsync(Bound);
        await buffer.AppendAsync("src", Event(1)).AsTask().WaitAsync(Bound); // seals batch 0: one held, the bound
        await time.DriveUntilAsync(() => buffer.GetStatus().UploadingBatches == 1, TimeSpan.Zero);

        using var cancel = new CancellationTokenSource();
        Task appending = buffer.AppendAsync("src", Event(2), cancel.Token).AsTask(); // seals batch 1, then waits for room
        Assert.That(await Task.WhenAny(appending, Task.Delay(TimeSpan.FromMilliseconds(300), CancellationToken.None)), Is.Not.SameAs(appending), "the append waits for room");
        await cancel.CancelAsync();

        Assert.That(async () => await appending.WaitAsync(Bound), Throws.InstanceOf<OperationCanceledException>());
        await time.DriveUntilAsync(() => buffer.GetStatus() is { UploadingBatches: 1, WaitingBatches: 1 }, TimeSpan.Zero); // a new lane: one at a time
        Assert.That(buffer.GetStatus().UndeliveredEvents, Is.EqualTo(2), "batch 1 is kept though it makes two held batches, one over MaxPendingBatches");

        consumer.Release();
        await buffer.FlushAsync().WaitAsync(Bound);
        Assert.That(consumer.MessageIds, Is.EquivalentTo(new[] { "m-0", "m-1" }), "both sealed batches delivered; the cancelled append's event is the caller's");
    }
}
