namespace RawDataDestination.Tests.Batching;

/// <summary>
/// What a flush's <see cref="BatchDeliveryException"/> says and when: thrown once the lanes not given up are delivered,
/// it names the lanes given up and counts the batches given up (refused, or not delivered within the retry budget) apart
/// from the others of those lanes, still being delivered, which it counted as refused or failing.
/// </summary>
public class BatchDeliveryExceptionTests
{
    [Test]
    public async Task Flush_WhenOneLaneIsRefusedWhileAnotherIsStillUploading_WaitsForTheOtherThenNamesTheRefusedLane()
    {
        var time = new FakeTimeProvider(Start);
        var consumer = new RefusingAndHoldingConsumer();
        await using var buffer = new BatchBuffer(new BatchBufferOptions { ShutdownTimeout = TimeSpan.Zero }, consumer, time);
        for (int i = 0; i < 2; i++)
        {
            await buffer.AppendAsync("refused", Event("refused", i));
        }

        for (int i = 0; i < 3; i++)
        {
            await buffer.AppendAsync("healthy", Event("healthy", i));
        }

        Task flush = buffer.FlushAsync();
        await consumer.Holding.Task.WaitAsync(Bound); // the healthy batch's upload is under way
        await time.DriveUntilAsync(() => buffer.GetStatus().RefusedBatches == 1, TimeSpan.FromMilliseconds(100));
        Assert.That(flush.IsCompleted, Is.False, "a refused lane does not end the flush while another lane's batch is on its way");

        consumer.Release();
        await flush.ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(Bound);

        var error = flush.Exception?.InnerException as BatchDeliveryException;
        Assert.That(error, Is.Not.Null, "the refusal is reported");
        Assert.That(consumer.Delivered, Is.EqualTo(1), "the healthy lane was delivered before the flush threw");
        Assert.That(error!.GivenUpLanes, Is.EqualTo(new[] { "refused" }));
        Assert.That((error.GivenUpBatches, error.GivenUpEvents), Is.EqualTo((1, 2L)), "only the refused batch was given up");
        Assert.That((error.UndeliveredBatches, error.UndeliveredEvents), Is.EqualTo((1, 2L)), "nothing else is left");
        Assert.That(error.Message, Does.StartWith("1 batch holding 2 events could not be delivered (lane refused): refused, or not delivered within the retry budget. Every other batch the flush waited for was delivered. They are kept"));
        Assert.That(error.InnerException, Is.InstanceOf<DestinationException>(), "the refused batch's error");
    }

    [Test]
    public async Task Flush_WhenALanesBatchIsRefusedWhileAnotherOfTheSameLaneWaits_DoesNotWaitForItAndCountsItApart()
    {
        // Two sources, one event each, are one customer's lane. Its first attempt, whichever batch it is, is refused;
        // any later one would hang. The flush gives the lane up at once, not after the retry budget of the other batch.
        var time = new FakeTimeProvider(Start);
        var consumer = new FirstRefusedThenHangingConsumer();
        var options = new BatchBufferOptions { ShutdownTimeout = TimeSpan.Zero, LaneKey = _ => "customer" };
        await using var buffer = new BatchBuffer(options, consumer, time);
        await buffer.AppendAsync("web", Event("web", 0));
        await buffer.AppendAsync("app", Event("app", 0));

        Task flush = buffer.FlushAsync();
        await flush.ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(Bound);

        var error = flush.Exception?.InnerException as BatchDeliveryException;
        Assert.That(error, Is.Not.Null, "the refusal is reported");
        Assert.That(error!.GivenUpLanes, Is.EqualTo(new[] { "customer" }));
        Assert.That((error.GivenUpBatches, error.GivenUpEvents), Is.EqualTo((1, 1L)), "only the refused batch was given up");
        Assert.That((error.UndeliveredBatches, error.UndeliveredEvents), Is.EqualTo((2, 2L)), "the lane's other batch is not delivered yet");
        Assert.That(error.Message, Does.StartWith("1 batch holding 1 event could not be delivered (lane customer): refused, or not delivered within the retry budget; 1 more holding 1 event was still being delivered."));
        Assert.That(time.GetUtcNow(), Is.EqualTo(Start), "at once: no budget ran out");
    }

    [Test]
    public async Task Flush_WhenTheOnlyAttemptHangsForTheWholeBudget_SaysNoAttemptEndedInsteadOfAnEmptyLastError()
    {
        // An S3 that accepts and never answers, with a budget shorter than its response timeout: no attempt has failed yet.
        var time = new FakeTimeProvider(Start);
        var consumer = new CustomersConsumer();
        consumer.Set("silent", CustomerHealth.NeverAnswers);
        await using var buffer = new BatchBuffer(new BatchBufferOptions { RetryBudget = TimeSpan.FromSeconds(3), ShutdownTimeout = TimeSpan.Zero }, consumer, time);
        await buffer.AppendAsync("silent", Event("silent", 0));
        Task flush = buffer.FlushAsync();
        await time.DriveUntilAsync(() => flush.IsCompleted, TimeSpan.FromSeconds(1));

        var error = Assert.ThrowsAsync<BatchDeliveryException>(async () => await flush);
        Assert.That(error!.InnerException, Is.Null);
        Assert.That(error.Message, Does.EndWith("No attempt has ended yet: the one under way has had no answer for the whole retry budget (an endpoint that accepts and never answers)."));
    }

    /// <summary>Refuses its first attempt permanently; every later one hangs until cancelled.</summary>
    private sealed class FirstRefusedThenHangingConsumer : ISealedBatchConsumer
    {
        private int _attempts;

        public async Task<BatchReceipt> ConsumeAsync(SealedBatch batch, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _attempts) == 1)
            {
                throw new DestinationException("AccessDenied", isPermanent: true, "refused for the test", null);
            }

            await Task.Delay(Timeout.Infinite, cancellationToken);
            return BatchReceipt.For(batch, "memory");
        }
    }

    /// <summary>Refuses the batches of source <c>refused</c> permanently; holds the others' uploads until released, then delivers them.</summary>
    private sealed class RefusingAndHoldingConsumer : ISealedBatchConsumer
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _delivered;

        public TaskCompletionSource Holding { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Delivered => Volatile.Read(ref _delivered);

        public void Release() => _released.TrySetResult();

        public async Task<BatchReceipt> ConsumeAsync(SealedBatch batch, CancellationToken cancellationToken)
        {
            if (batch.SourceId == "refused")
            {
                throw new DestinationException("AccessDenied", isPermanent: true, "refused for the test", null);
            }

            Holding.TrySetResult();
            await _released.Task.WaitAsync(cancellationToken);
            Interlocked.Increment(ref _delivered);
            return BatchReceipt.For(batch, "memory");
        }
    }
}
