namespace RawDataDestination.Tests.Batching;

/// <summary>
/// What a flush's <see cref="BatchDeliveryException"/> says: the batches given up (refused, or not delivered within the
/// retry budget) counted apart from those still being delivered, which it counted as refused or failing.
/// </summary>
public class BatchDeliveryExceptionTests
{
    [Test]
    public async Task Flush_WhenOneBatchIsRefusedWhileAnotherIsStillUploading_CountsOnlyTheRefusedOneAsGivenUp()
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
        await flush.ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(Bound);

        var error = flush.Exception?.InnerException as BatchDeliveryException;
        consumer.Release();
        Assert.That(error, Is.Not.Null, "the refusal ends the flush");
        Assert.That((error!.GivenUpBatches, error.GivenUpEvents), Is.EqualTo((1, 2L)), "only the refused batch was given up");
        Assert.That((error.UndeliveredBatches, error.UndeliveredEvents), Is.EqualTo((2, 5L)), "neither is delivered yet");
        Assert.That(error.Message, Does.StartWith("1 batch holding 2 events could not be delivered: refused, or not delivered within the retry budget; 1 more holding 3 events was still being delivered."));
        Assert.That(error.InnerException, Is.InstanceOf<DestinationException>(), "the refused batch's error");
        await time.DriveUntilAsync(() => consumer.Delivered == 1, TimeSpan.FromSeconds(5));
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
