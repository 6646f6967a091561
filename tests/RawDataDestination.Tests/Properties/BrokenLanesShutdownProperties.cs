using CsCheck;

namespace RawDataDestination.Tests.Properties;

/// <summary>
/// Random mixes of customers (lanes), each healthy, failing at once (a 503), never answering or refusing (revoked trust),
/// with random event counts, stopped after an outage of random age, with and without a spool. The stop ends within its
/// deadline, and at once when every failing lane has spent the retry budget and none is in an attempt; the healthy customers'
/// events are delivered once; every event is counted once, delivered or left; and what is left is delivered once by a
/// restart with every customer fixed (over the spool, or from the batches the host took).
/// </summary>
[CancelAfter(600_000)]
public class BrokenLanesShutdownProperties
{
    private static readonly TimeSpan Budget = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static readonly Gen<(bool Spool, int AgeSeconds, (CustomerHealth Health, int Events)[] Lanes)> Runs =
        Gen.Select(Gen.Bool, Gen.Int[0, 150], Gen.Select(Gen.Enum<CustomerHealth>(), Gen.Int[1, 8]).Array[1, 8]);

    [Test]
    public void Stop_OverAnyMixOfBrokenCustomers_EndsByItsDeadlineOrAtOnceWhenTheBudgetGaveUpAndLosesNothing() =>
        Runs.Sample(run => RunAsync(run.Spool, run.AgeSeconds, run.Lanes).GetAwaiter().GetResult(), iter: 60, threads: 1, print: Print);

    private static string Print((bool Spool, int AgeSeconds, (CustomerHealth Health, int Events)[] Lanes) run) =>
        $"{(run.Spool ? "spool" : "memory")}, outage {run.AgeSeconds} s: " + string.Join(", ", run.Lanes.Select((l, i) => $"c{i} {l.Health} x{l.Events}"));

    private static async Task RunAsync(bool withSpool, int ageSeconds, (CustomerHealth Health, int Events)[] lanes)
    {
        var time = new FakeTimeProvider(Start);
        var consumer = new CustomersConsumer();
        using var spool = withSpool ? new TempDirectory() : null;
        BatchBufferOptions Options() => new()
        {
            SpoolDirectory = spool?.Path, MaxBatchBytes = 1024, MaxEventBytes = 1024, RetryBudget = Budget, ShutdownTimeout = Deadline,
        };

        var buffer = new BatchBuffer(Options(), consumer, time);
        var appended = new List<string>();
        for (int c = 0; c < lanes.Length; c++)
        {
            consumer.Set($"c{c}", lanes[c].Health);
            for (int i = 0; i < lanes[c].Events; i++)
            {
                await buffer.AppendAsync($"c{c}", Event($"c{c}", i, padding: 300)).AsTask().WaitAsync(Bound);
                appended.Add($"c{c}-{i}");
            }
        }

        _ = buffer.FlushAsync().ContinueWith(static t => t.Exception, TaskScheduler.Default); // seals everything; may give up
        DateTimeOffset outageStart = time.GetUtcNow();
        await time.DriveUntilAsync(() => time.GetUtcNow() - outageStart >= TimeSpan.FromSeconds(ageSeconds), TimeSpan.FromSeconds(1));
        string[] healthy = [.. Enumerable.Range(0, lanes.Length).Where(c => lanes[c].Health == CustomerHealth.Healthy).SelectMany(c => Enumerable.Range(0, lanes[c].Events).Select(i => $"c{c}-{i}"))];
        await time.DriveUntilAsync(() => consumer.Delivered.Sum(d => d.MessageIds.Length) >= healthy.Length, TimeSpan.Zero);

        // Every failing lane has failed for longer than the budget: the stop waits for none of them. (An attempt under
        // way is let end: here, one that never answers ends at the deadline; a real one at its response timeout.)
        bool allGivenUp = ageSeconds >= Budget.TotalSeconds + 5 && lanes.All(l => l.Health != CustomerHealth.NeverAnswers);
        DateTimeOffset stopping = time.GetUtcNow();
        Task disposing = buffer.DisposeAsync().AsTask();
        if (allGivenUp)
        {
            Assert.That(await Task.WhenAny(disposing, Task.Delay(TimeSpan.FromSeconds(10))), Is.SameAs(disposing), "the stop waited for a lane the budget gave up");
        }
        else
        {
            // Whole seconds up to just before the deadline, then tenths: each step is fake time that the real work going
            // on meanwhile (cancelled attempts ending, the spool's last writes) is charged with, so a loaded machine
            // must not turn a few milliseconds of it into seconds past the deadline.
            await time.DriveUntilAsync(() => disposing.IsCompleted || time.GetUtcNow() - stopping >= Deadline - TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
            await time.DriveAsync(disposing, TimeSpan.FromMilliseconds(100));
        }

        await disposing;
        Assert.That(time.GetUtcNow() - stopping, Is.LessThanOrEqualTo(Deadline + DeliveryStage.AbandonAfter + TimeSpan.FromSeconds(1)), "within the deadline");
        DeliveryStatus status = buffer.GetStatus();
        Assert.That(status.DeliveredEvents + status.UndeliveredEvents + status.OpenEvents, Is.EqualTo(appended.Count), "every event counted once");
        Assert.That(status.OpenEvents, Is.Zero);
        string[] delivered = [.. consumer.Delivered.SelectMany(d => d.MessageIds)];
        Assert.That(delivered, Is.Unique);
        Assert.That(delivered, Is.EquivalentTo(healthy), "the healthy customers' events, once, and none of the broken ones'");

        // Restart with every customer fixed: what was left is delivered once.
        List<SealedBatch> taken = [.. buffer.TakeUndeliveredBatches()];
        for (int c = 0; c < lanes.Length; c++)
        {
            consumer.Set($"c{c}", CustomerHealth.Healthy);
        }

        await using (var next = new BatchBuffer(Options(), consumer, time))
        {
            await time.DriveAsync(next.FlushAsync(), TimeSpan.FromSeconds(1));
        }

        foreach (SealedBatch batch in taken)
        {
            await consumer.ConsumeAsync(batch, CancellationToken.None); // the host delivers what it took
            batch.Dispose();
        }

        string[] all = [.. consumer.Delivered.SelectMany(d => d.MessageIds)];
        Assert.That(all, Is.Unique, "nothing twice");
        Assert.That(all, Is.EquivalentTo(appended), "every event, once");
    }
}
