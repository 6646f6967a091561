namespace RawDataDestination.Tests.Batching;

/// <summary>
/// A router (<see cref="IBatchRouter"/>) that throws something other than a rejection when a batch is sealed (its
/// settings broken since the events were appended): the batch keeps its events, as one whose source has no route any
/// more does, in a lane of its own with no route state, for the consumer to deliver or refuse. Before, the seal's
/// hand-off threw, and the batch was in no count: not open, not undelivered, not delivered.
/// </summary>
public class BatchBufferRouterFailsTests
{
    [Test]
    public async Task Flush_RouterThrowsWhenTheBatchIsSealed_TheBatchIsKeptAndDeliveredWithNoRouteState()
    {
        var time = new FakeTimeProvider(Start);
        var consumer = new ThrowingRouterConsumer();
        await using var buffer = new BatchBuffer(new BatchBufferOptions(), consumer, time);
        for (int i = 0; i < 3; i++)
        {
            await buffer.AppendAsync("src", TestEvents.Event(i)).AsTask().WaitAsync(Bound);
        }

        consumer.Throwing = true;

        Assert.That(async () => await time.DriveAsync(buffer.FlushAsync(), TimeSpan.FromSeconds(1)), Throws.Nothing);
        Assert.That(consumer.Delivered, Is.EqualTo(new[] { ("src", 3L, (object?)null) }), "kept, in a lane of its own, with no route state");
    }

    private sealed class ThrowingRouterConsumer : ISealedBatchConsumer, IBatchRouter
    {
        public volatile bool Throwing;

        public ConcurrentQueue<(string Lane, long Events, object? State)> Delivered { get; } = new();

        public BatchRoute Route(string sourceId) => Throwing ? throw new InvalidOperationException("the routing settings are broken") : new BatchRoute("lane-" + sourceId, "state");

        public Task<BatchReceipt> ConsumeAsync(SealedBatch batch, CancellationToken cancellationToken)
        {
            Delivered.Enqueue((batch.Lane, batch.EventCount, batch.RouteState));
            return Task.FromResult(BatchReceipt.For(batch, "delivered:" + batch.FileName));
        }
    }
}
