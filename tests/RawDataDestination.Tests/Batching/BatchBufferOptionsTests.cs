using RawDataDestination.Batching;
using RawDataDestination.Tests.Support;

namespace RawDataDestination.Tests.Batching;

/// <summary><see cref="BatchBufferOptions.Validate"/>: every problem at once, each naming the setting and value.</summary>
public class BatchBufferOptionsTests
{
    [Test]
    public void Validate_Defaults_ReturnsNoProblem() =>
        Assert.That(new BatchBufferOptions().Validate(), Is.Empty);

    [Test]
    public void Validate_SeveralInvalidSettings_ReturnsEveryProblem()
    {
        var options = new BatchBufferOptions { MaxEventBytes = 1, FlushInterval = TimeSpan.Zero, MaxOpenBatches = 0, ShutdownTimeout = TimeSpan.FromSeconds(-1) };

        Assert.That(options.Validate(), Has.Count.EqualTo(5)
            .And.Some.StartsWith("MaxEventBytes is 1;")
            .And.Some.StartsWith("FlushInterval is 00:00:00;")
            .And.Some.StartsWith("FlushOffset is 00:40:00;")
            .And.Some.StartsWith("MaxOpenBatches is 0;")
            .And.Some.StartsWith("ShutdownTimeout is -00:00:01;"));
    }

    [Test]
    public async Task BatchDelivered_WhenSet_ReceivesTheConsumersReceiptForEachBatch()
    {
        var receipts = new System.Collections.Concurrent.ConcurrentQueue<BatchReceipt>();
        var options = new BatchBufferOptions { BatchDelivered = receipts.Enqueue };
        var consumer = new RecordingConsumer();
        await using (var buffer = new BatchBuffer(options, consumer))
        {
            await buffer.AppendAsync("a", "{\"n\":1}"u8.ToArray());
            await buffer.AppendAsync("b", "{\"n\":2}"u8.ToArray());
            await buffer.FlushAsync();
        }

        Assert.That(receipts.Select(receipt => receipt.Location), Is.EquivalentTo(consumer.Batches.Select(batch => "memory:" + batch.FileName)));
        Assert.That(receipts.Sum(receipt => receipt.EventCount), Is.EqualTo(2));
    }

    [Test]
    public void BatchBufferConstructor_SeveralInvalidSettings_ThrowsOneExceptionListingAll()
    {
        var options = new BatchBufferOptions { MaxPendingBatches = 0, MaxConcurrentUploads = 65 };

        var error = Assert.Throws<ArgumentException>(() => new BatchBuffer(options, new RecordingConsumer()));

        Assert.That(error!.Message, Does.Contain("MaxPendingBatches is 0").And.Contain("MaxConcurrentUploads is 65"));
    }
}
