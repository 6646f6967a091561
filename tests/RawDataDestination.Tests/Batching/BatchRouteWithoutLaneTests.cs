using static RawDataDestination.Tests.Support.TestEvents;

namespace RawDataDestination.Tests.Batching;

/// <summary>
/// A router that answers <c>default(BatchRoute)</c> (a lane that is null), or a lane-key function that returns null or
/// empty, is the host's mistake: the append is refused with a message that says so and what to return, where it failed
/// with a dictionary's "Value cannot be null (Parameter 'key')"; a batch sealed while the router answers so keeps its
/// events in the lane of batches with no route, and the other sources are delivered as usual.
/// </summary>
public class BatchRouteWithoutLaneTests
{
    [Test]
    public async Task Append_WhenTheRouterAnswersDefault_IsRefusedNamingTheRouterTheSourceAndWhatToReturn()
    {
        var time = new FakeTimeProvider(Start);
        var router = new SwitchingRouter();
        router.WithoutLane.TryAdd("blank-src", true);
        await using var buffer = new BatchBuffer(new BatchBufferOptions(), router, time);

        var refused = Assert.ThrowsAsync<InvalidOperationException>(async () => await buffer.AppendAsync("blank-src", Event(0)));

        Assert.That(refused!.Message, Does.Contain("SwitchingRouter.Route gave source 'blank-src' no lane"));
        Assert.That(refused.Message, Does.Contain("default(BatchRoute)").And.Contain("EventRejectionReason.NoDestination"));
        Assert.That(async () => await buffer.AppendAsync("good-src", Event(1)), Throws.Nothing, "another source is not touched");
        Assert.That(buffer.GetStatus().OpenEvents, Is.EqualTo(1));
    }

    [TestCase(null)]
    [TestCase("")]
    public async Task Append_WhenTheLaneKeyFunctionGivesNoLane_IsRefusedNamingTheOption(string? key)
    {
        var time = new FakeTimeProvider(Start);
        var options = new BatchBufferOptions { LaneKey = _ => key! };
        await using var buffer = new BatchBuffer(options, new RecordingConsumer(), time);

        var refused = Assert.ThrowsAsync<InvalidOperationException>(async () => await buffer.AppendAsync("any-src", Event(0)));

        Assert.That(refused!.Message, Does.StartWith("BatchBufferOptions.LaneKey gave source 'any-src' no lane"));
    }

    [Test]
    public async Task Seal_WhenTheRouterStartsAnsweringDefault_KeepsThatBatchUnroutedAndDeliversTheOthers()
    {
        var time = new FakeTimeProvider(Start);
        var router = new SwitchingRouter();
        await using var buffer = new BatchBuffer(KilobyteBatches.SealedEvery(TimeSpan.FromSeconds(1), spool: null, retryBudget: TimeSpan.FromSeconds(5)), router, time);
        await buffer.AppendAsync("blank-src", Event("blank-src", 0)).AsTask().WaitAsync(Bound);
        await buffer.AppendAsync("good-src", Event("good-src", 0)).AsTask().WaitAsync(Bound);
        router.WithoutLane.TryAdd("blank-src", true); // the host's router breaks for this source before the seal

        Assert.That(async () => await time.DriveAsync(buffer.FlushAsync(), TimeSpan.FromSeconds(1)), Throws.InstanceOf<BatchDeliveryException>(), "the batch with no lane is not delivered");

        DeliveryStatus status = buffer.GetStatus();
        Assert.That(router.Delivered, Is.EqualTo(new[] { "good-src" }), "the other source's batch delivered, once");
        Assert.That(status.UndeliveredEvents, Is.EqualTo(1), "the event of the batch with no lane kept, not lost");
        Assert.That(status.FailingLanes.Single().Key, Does.Contain("no route").And.Contain(nameof(InvalidOperationException)));
    }

    /// <summary>Routes each source to its own lane, except those listed, for which it answers <c>default</c>.</summary>
    private sealed class SwitchingRouter : ISealedBatchConsumer, IBatchRouter, IUnroutedBatchRefusal
    {
        public ConcurrentDictionary<string, bool> WithoutLane { get; } = new(StringComparer.Ordinal);

        public ConcurrentQueue<string> Delivered { get; } = new();

        public BatchRoute Route(string sourceId) => WithoutLane.ContainsKey(sourceId) ? default : new BatchRoute(sourceId, sourceId);

        public bool WouldRefuseUnrouted(string sourceId) => true;

        public Task<BatchReceipt> ConsumeAsync(SealedBatch batch, CancellationToken cancellationToken)
        {
            if (batch.RouteState is null)
            {
                throw new DestinationException("NoDestination", isPermanent: true, $"Source '{batch.SourceId}' has no destination.", innerException: null);
            }

            Delivered.Enqueue(batch.SourceId);
            return Task.FromResult(BatchReceipt.For(batch, $"{batch.SourceId}/{batch.FileName}"));
        }
    }
}
