using CsCheck;

namespace RawDataDestination.Tests.Properties;

/// <summary>
/// Random mixes of customers (lanes), each healthy, refusing (revoked trust), never answering, failing for good (503s)
/// or failing for a while and then recovering, with random event counts, with and without a spool, flushed. Whatever the
/// mix and the timing, when the flush ends every lane it does not name is delivered (it waited for them), every lane it
/// names had a batch refused or past the retry budget (no healthy one), every lane that cannot deliver is named, and
/// every event is counted once and delivered at most once.
/// </summary>
[CancelAfter(600_000)]
public class BrokenLanesFlushProperties
{
    private static readonly TimeSpan Budget = TimeSpan.FromMinutes(1);

    private static readonly Gen<(bool Spool, (Health Health, int RecoverAfterSeconds, int Events)[] Lanes)> Runs =
        Gen.Select(Gen.Bool, Gen.Select(Gen.Enum<Health>(), Gen.Int[0, 20], Gen.Int[1, 8]).Array[1, 8]);

    /// <summary>How a customer behaves during the flush.</summary>
    public enum Health
    {
        Healthy,
        Refuses,
        NeverAnswers,
        FailsForGood,
        FailsThenRecovers,
    }

    [Test]
    public void Flush_OverAnyMixOfBrokenCustomers_DeliversEveryLaneItDoesNotNameAndNamesOnlyLanesThatFailed() =>
        Runs.Sample(run => RunAsync(run.Spool, run.Lanes).GetAwaiter().GetResult(), iter: 40, threads: 1, print: Print);

    private static string Print((bool Spool, (Health Health, int RecoverAfterSeconds, int Events)[] Lanes) run) =>
        $"{(run.Spool ? "spool" : "memory")}: " + string.Join(", ", run.Lanes.Select((l, i) => $"c{i} {l.Health}{(l.Health == Health.FailsThenRecovers ? $" {l.RecoverAfterSeconds} s" : "")} x{l.Events}"));

    private static async Task RunAsync(bool withSpool, (Health Health, int RecoverAfterSeconds, int Events)[] lanes)
    {
        var time = new FakeTimeProvider(Start);
        var consumer = new CustomersConsumer();
        using var spool = withSpool ? new TempDirectory() : null;
        var options = new BatchBufferOptions
        {
            SpoolDirectory = spool?.Path, MaxBatchBytes = 1024, MaxEventBytes = 1024, RetryBudget = Budget,
            RetryMaxDelay = TimeSpan.FromSeconds(5), ShutdownTimeout = TimeSpan.Zero,
        };

        var buffer = new BatchBuffer(options, consumer, time);
        var appended = new List<string>();
        for (int c = 0; c < lanes.Length; c++)
        {
            consumer.Set($"c{c}", lanes[c].Health switch
            {
                Health.Refuses => CustomerHealth.Refuses,
                Health.NeverAnswers => CustomerHealth.NeverAnswers,
                Health.FailsForGood or Health.FailsThenRecovers => CustomerHealth.FailsAtOnce,
                _ => CustomerHealth.Healthy,
            });
            for (int i = 0; i < lanes[c].Events; i++)
            {
                await buffer.AppendAsync($"c{c}", Event($"c{c}", i, padding: 300)).AsTask().WaitAsync(Bound);
                appended.Add($"c{c}-{i}");
            }
        }

        // The flush, on a clock that moves a second at a time; a recovering customer answers again at its time.
        Task flush = buffer.FlushAsync();
        using (var deadline = new CancellationTokenSource(Bound))
        {
            while (!flush.IsCompleted)
            {
                TimeSpan elapsed = time.GetUtcNow() - Start;
                for (int c = 0; c < lanes.Length; c++)
                {
                    if (lanes[c].Health == Health.FailsThenRecovers && elapsed >= TimeSpan.FromSeconds(lanes[c].RecoverAfterSeconds))
                    {
                        consumer.Set($"c{c}", CustomerHealth.Healthy);
                    }
                }

                time.Advance(TimeSpan.FromSeconds(1));
                await Task.WhenAny(flush, Task.Delay(5, deadline.Token));
                deadline.Token.ThrowIfCancellationRequested();
            }
        }

        string[] deliveredAtTheEnd = [.. consumer.Delivered.SelectMany(d => d.MessageIds)];
        BatchDeliveryException? error = flush.Exception?.InnerException as BatchDeliveryException;
        Assert.That(flush.Exception is null || error is not null, $"the flush ends delivered or with a BatchDeliveryException: {flush.Exception}");
        HashSet<string> named = [.. error?.GivenUpLanes ?? []];
        for (int c = 0; c < lanes.Length; c++)
        {
            string lane = $"c{c}";
            string[] events = [.. Enumerable.Range(0, lanes[c].Events).Select(i => $"{lane}-{i}")];
            if (!named.Contains(lane))
            {
                Assert.That(events, Is.SubsetOf(deliveredAtTheEnd), $"{lane} ({lanes[c].Health}) is not named, so the flush waited until it was delivered");
            }

            switch (lanes[c].Health)
            {
                case Health.Healthy:
                    Assert.That(named, Does.Not.Contain(lane), "a healthy customer is never given up");
                    break;
                case Health.Refuses or Health.NeverAnswers or Health.FailsForGood:
                    Assert.That(named, Does.Contain(lane), $"{lane} ({lanes[c].Health}) cannot be delivered, so the flush could only end by naming it");
                    Assert.That(deliveredAtTheEnd.Intersect(events), Is.Empty, $"{lane} ({lanes[c].Health}) delivered nothing");
                    break;
            }
        }

        Assert.That(deliveredAtTheEnd, Is.Unique, "nothing delivered twice");
        if (error is not null)
        {
            Assert.That(error.GivenUpEvents, Is.InRange(1L, error.UndeliveredEvents), "the batches given up are among those not delivered");
            long inNamedLanes = Enumerable.Range(0, lanes.Length).Where(c => named.Contains($"c{c}")).Sum(c => (long)lanes[c].Events);
            Assert.That(error.UndeliveredEvents, Is.LessThanOrEqualTo(inNamedLanes), "what is not delivered is all in the lanes named");
        }

        DeliveryStatus status = buffer.GetStatus();
        Assert.That(status.DeliveredEvents + status.UndeliveredEvents + status.OpenEvents, Is.EqualTo(appended.Count), "every event counted once");
        await time.DriveAsync(buffer.DisposeAsync().AsTask(), TimeSpan.FromSeconds(1));
        foreach (SealedBatch batch in buffer.TakeUndeliveredBatches())
        {
            batch.Dispose();
        }
    }
}
