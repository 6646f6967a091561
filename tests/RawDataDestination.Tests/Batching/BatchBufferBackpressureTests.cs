using Microsoft.Extensions.Time.Testing;
using RawDataDestination.Batching;
using RawDataDestination.Tests.Support;

namespace RawDataDestination.Tests.Batching;

/// <summary>What the buffer does when deliveries fall behind or fail: it waits, refuses, retries and reports; it never drops.</summary>
public class BatchBufferBackpressureTests
{
    private static readonly DateTimeOffset Start = new(2023, 11, 24, 10, 0, 0, TimeSpan.Zero);

    private static byte[] Event(int i) =>
        System.Text.Encoding.UTF8.GetBytes($"{{\"messageId\":\"m-{i}\",\"type\":\"track\",\"receivedAt\":\"2023-11-24T10:00:00.000Z\",\"pad\":\"{Padding}\"}}");

    private static readonly string Padding = new('x', 500);

    /// <summary>Options where every append after the first seals the batch before it: one event per batch.</summary>
    private static BatchBufferOptions OneEventPerBatch(int maxPendingBatches, BufferFullMode mode = BufferFullMode.Wait) => new()
    {
        MaxBatchBytes = 1024,
        MaxEventBytes = 1024,
        MaxPendingBatches = maxPendingBatches,
        BufferFullMode = mode,
    };

    [Test]
    public async Task Append_WhenDeliveriesFallBehind_WaitsInsteadOfGrowing()
    {
        var consumer = new GatedConsumer();
        await using var buffer = new BatchBuffer(OneEventPerBatch(maxPendingBatches: 2), consumer, new FakeTimeProvider(Start));
        using IDisposable releaseBeforeDispose = consumer.ReleaseOnDispose(); // disposed first, so a failed assertion does not hang the dispose

        // Event 0 opens a batch; events 1..3 seal the one before: batch 0 goes to the (stuck) consumer, batches 1 and 2
        // fill the queue of two.
        for (int i = 0; i < 4; i++)
        {
            await buffer.AppendAsync("src", Event(i));
        }

        await consumer.Started.WaitAsync(TimeSpan.FromSeconds(30));
        ValueTask blocked = buffer.AppendAsync("src", Event(4)); // must seal batch 3: no room in the queue
        Task waiting = blocked.AsTask();
        Assert.That(waiting.IsCompleted, Is.False, "the append waits while the queue is full");

        consumer.Release();
        await waiting.WaitAsync(TimeSpan.FromSeconds(30));
        await buffer.FlushAsync();

        Assert.That(consumer.MessageIds, Is.EqualTo(Enumerable.Range(0, 5).Select(i => $"m-{i}")), "every event once, in order");
    }

    [Test]
    public async Task Append_WhenDeliveriesFallBehindAndFailModeSet_ThrowsBufferFullException()
    {
        var consumer = new GatedConsumer();
        await using var buffer = new BatchBuffer(OneEventPerBatch(maxPendingBatches: 2, BufferFullMode.Fail), consumer, new FakeTimeProvider(Start));
        using IDisposable releaseBeforeDispose = consumer.ReleaseOnDispose(); // disposed first, so a failed assertion does not hang the dispose
        // At most one batch in delivery, two queued and one open: by the fifth event at the latest, appends are refused.
        BufferFullException? refused = null;
        int accepted = 0;
        while (refused is null && accepted < 10)
        {
            try
            {
                await buffer.AppendAsync("src", Event(accepted));
                accepted++;
            }
            catch (BufferFullException exception)
            {
                refused = exception;
            }
        }

        Assert.That(refused, Is.Not.Null, "appends are refused once the queue is full");
        Assert.That(accepted, Is.InRange(3, 4));
        Assert.That(refused!.Message, Does.Contain("MaxPendingBatches is 2").And.Contain("BufferFullMode.Wait"));

        consumer.Release();
        await buffer.FlushAsync();
        Assert.That(consumer.MessageIds, Is.EqualTo(Enumerable.Range(0, accepted).Select(i => $"m-{i}")), "the refused event is the caller's; none of the accepted ones is lost");
    }

    [Test]
    public async Task Append_WhenFailedBatchesReachTheLimit_IsRefusedUntilARetryDeliversThem()
    {
        var consumer = new RecordingConsumer { FailuresToInject = int.MaxValue };
        await using var buffer = new BatchBuffer(OneEventPerBatch(maxPendingBatches: 2, BufferFullMode.Fail), consumer, new FakeTimeProvider(Start));

        BufferFullException? refused = null;
        int accepted = 0;
        while (refused is null && accepted < 50)
        {
            try
            {
                await buffer.AppendAsync("src", Event(accepted));
                accepted++;
                await Task.Yield(); // lets the delivery loop fail the batch just sealed
            }
            catch (BufferFullException exception)
            {
                refused = exception;
            }
        }

        Assert.That(refused, Is.Not.Null, "failed batches are not kept without bound");
        Assert.That(refused!.Message, Does.Contain("retried after a failed delivery"));

        consumer.FailuresToInject = 0; // S3 is back
        await buffer.FlushAsync();
        await buffer.AppendAsync("src", Event(accepted));
        await buffer.FlushAsync();

        Assert.That(consumer.AllLines.Count(), Is.EqualTo(accepted + 1), "every accepted event is delivered once S3 is back, and appends go on");
    }

    [Test]
    public async Task Schedule_WhenAnEarlierDeliveryFailed_RetriesItWithoutAnExplicitFlush()
    {
        var time = new FakeTimeProvider(Start);
        var consumer = new RecordingConsumer { FailuresToInject = 2 }; // the first delivery, and the flush's retry
        await using var buffer = new BatchBuffer(new BatchBufferOptions(), consumer, time);
        await buffer.AppendAsync("src", Event(1));

        Assert.ThrowsAsync<BatchDeliveryException>(async () => await buffer.FlushAsync());
        Assert.That(consumer.Batches, Is.Empty);

        time.Advance(TimeSpan.FromMinutes(40)); // 10:40, the scheduled seal
        await consumer.WaitForBatchesAsync(1);

        Assert.That(consumer.Batches.Single().Lines, Has.Length.EqualTo(1));
        Assert.That(buffer.TakeUndeliveredBatches(), Is.Empty);
    }

    [Test]
    public async Task Dispose_WithoutSpool_WhenDeadlinePasses_ReportsUndeliveredBatchesWithTheirEvents()
    {
        var time = new FakeTimeProvider(Start);
        var consumer = new GatedConsumer();
        var buffer = new BatchBuffer(new BatchBufferOptions { ShutdownTimeout = TimeSpan.FromSeconds(5) }, consumer, time);
        await buffer.AppendAsync("src", Event(1));
        await buffer.AppendAsync("src", Event(2));

        ValueTask disposing = buffer.DisposeAsync();
        await consumer.Started.WaitAsync(TimeSpan.FromSeconds(30));
        time.Advance(TimeSpan.FromSeconds(5)); // the deadline, which started with the dispose, passes while the consumer is stuck
        await disposing.AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        IReadOnlyList<SealedBatch> undelivered = buffer.TakeUndeliveredBatches();
        Assert.That(undelivered, Has.Count.EqualTo(1));
        Assert.That(undelivered[0].EventCount, Is.EqualTo(2));
        Assert.That(Gzip.Lines(undelivered[0].ToArray()), Has.Length.EqualTo(2), "the host gets the bytes to keep");
        undelivered[0].Dispose();
    }

    /// <summary>A consumer that stays in its first delivery until released (or cancelled), then records what it is given.</summary>
    private sealed class GatedConsumer : ISealedBatchConsumer
    {
        private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<string> _ids = [];

        public Task Started => _started.Task;

        public IReadOnlyList<string> MessageIds
        {
            get
            {
                lock (_ids)
                {
                    return _ids.ToList();
                }
            }
        }

        public void Release() => _released.TrySetResult();

        public IDisposable ReleaseOnDispose() => new Releaser(this);

        private sealed class Releaser(GatedConsumer consumer) : IDisposable
        {
            public void Dispose() => consumer.Release();
        }

        public async Task ConsumeAsync(SealedBatch batch, CancellationToken cancellationToken)
        {
            _started.TrySetResult();
            await _released.Task.WaitAsync(cancellationToken);
            lock (_ids)
            {
                _ids.AddRange(Gzip.Lines(batch.ToArray()).Select(line => System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("messageId").GetString()!));
            }
        }
    }
}
