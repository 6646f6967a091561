using System.Text;
using Microsoft.Extensions.Time.Testing;
using RawDataDestination.Batching;
using RawDataDestination.Tests.Support;

namespace RawDataDestination.Tests.Batching;

/// <summary>
/// Many customers on one buffer, some broken: each customer is a lane, and a broken lane never slows, blocks or stalls
/// the others (issue: many customers in one process).
/// </summary>
public class BatchBufferLaneTests
{
    private static readonly DateTimeOffset Start = new(2023, 11, 24, 10, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private static byte[] Event(string lane, int i) => Encoding.UTF8.GetBytes($"{{\"messageId\":\"{lane}-{i}\",\"receivedAt\":\"2023-11-24T10:00:00.000Z\",\"pad\":\"{new string('x', 80)}\"}}");

    private static IEnumerable<string> Ids(string lane, int count) => Enumerable.Range(0, count).Select(i => $"{lane}-{i}");

    [TestCase(CustomerHealth.FailsAtOnce, false)]
    [TestCase(CustomerHealth.NeverAnswers, false)]
    [TestCase(CustomerHealth.FailsAtOnce, true)]
    [TestCase(CustomerHealth.NeverAnswers, true)]
    public async Task Deliver_WithFourOfFiftyFourCustomersBroken_HealthyOnesAreDeliveredAtOnceAndTheBrokenOnesOnceTheyRecover(CustomerHealth broken, bool withSpool)
    {
        var time = new FakeTimeProvider(Start);
        var consumer = new CustomersConsumer();
        string[] brokenLanes = [.. Enumerable.Range(0, 4).Select(i => $"broken-{i}")];
        string[] healthyLanes = [.. Enumerable.Range(0, 50).Select(i => $"healthy-{i}")];
        foreach (string lane in brokenLanes)
        {
            consumer.Set(lane, broken);
        }

        using var spool = withSpool ? new TempDirectory() : null;
        var options = new BatchBufferOptions
        {
            MaxBatchBytes = 1024, // about 8 events a batch
            MaxEventBytes = 1024,
            FlushInterval = TimeSpan.FromSeconds(1), // the schedule seals what is open every second
            FlushOffset = TimeSpan.Zero,
            SpoolDirectory = spool?.Path,
            ShutdownTimeout = TimeSpan.Zero,
        };
        await using var buffer = new BatchBuffer(options, consumer, time);
        const int PerLane = 100; // about 10 batches per customer

        // The broken customers go first and fill whatever they may; their own appends may wait for their own share.
        Task brokenAppends = Task.WhenAll(brokenLanes.Select(async lane =>
        {
            for (int i = 0; i < PerLane; i++)
            {
                await buffer.AppendAsync(lane, Event(lane, i));
            }
        }));
        await time.DriveUntilAsync(() => consumer.Attempts(brokenLanes[^1]) > 0, TimeSpan.Zero);

        // A healthy customer's append never waits on another customer: each one returns promptly, with the clock still.
        foreach (int i in Enumerable.Range(0, PerLane))
        {
            foreach (string lane in healthyLanes)
            {
                await buffer.AppendAsync(lane, Event(lane, i)).AsTask().WaitAsync(Bound);
            }
        }

        time.Advance(TimeSpan.FromSeconds(1)); // the schedule seals the last, partly filled batches
        await WaitUntilAsync(() => healthyLanes.All(lane => consumer.MessageIds(lane).Count() >= PerLane));

        Assert.That(time.GetUtcNow() - Start, Is.LessThanOrEqualTo(TimeSpan.FromSeconds(5)), "delivered within 5 s of the appends, on the buffer's clock");
        foreach (string lane in healthyLanes)
        {
            Assert.That(consumer.MessageIds(lane), Is.EquivalentTo(Ids(lane, PerLane)), $"{lane}: every event once");
        }

        Assert.That(brokenLanes.SelectMany(consumer.MessageIds), Is.Empty, "nothing of a broken customer landed anywhere");
        Assert.That(brokenLanes.Max(consumer.MaxInFlight), Is.EqualTo(1), "a broken customer is probed one attempt at a time");
        DeliveryStatus status = buffer.GetStatus();
        Assert.That(status.FailingLanes.Select(l => l.Key), Is.EquivalentTo(brokenLanes).Or.SubsetOf(brokenLanes), "only broken customers are listed as failing");

        // They recover: their backlog is delivered once, oldest batch first.
        foreach (string lane in brokenLanes)
        {
            consumer.Set(lane, CustomerHealth.Healthy);
        }

        await time.DriveAsync(brokenAppends, TimeSpan.FromSeconds(30));
        await time.DriveUntilAsync(() => brokenLanes.All(lane => consumer.MessageIds(lane).Count() >= PerLane), TimeSpan.FromSeconds(30));
        foreach (string lane in brokenLanes)
        {
            Assert.That(consumer.MessageIds(lane), Is.EquivalentTo(Ids(lane, PerLane)), $"{lane}: every event once after it recovered");
        }

        Assert.That(buffer.GetStatus().FailingLaneCount, Is.Zero);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var deadline = new CancellationTokenSource(Bound);
        while (!condition())
        {
            await Task.Delay(10, deadline.Token);
        }
    }
}
