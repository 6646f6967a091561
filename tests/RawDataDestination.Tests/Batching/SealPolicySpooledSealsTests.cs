using Microsoft.Extensions.Logging.Abstractions;

namespace RawDataDestination.Tests.Batching;

/// <summary>
/// With a spool, a seal of every partition (flush, shutdown, schedule) seals several partitions at once: each seal
/// mostly waits for its fsyncs, and one after the other a backfill's 231 open days took over 2 s to seal at the end of
/// a run, past a short shutdown deadline.
/// </summary>
public class SealPolicySpooledSealsTests
{
    [Test]
    public async Task SealAll_WithASpool_SealsUpToSpooledSealsAtOnceAtATimeAndEveryPartition()
    {
        const int Days = 3 * SealPolicy.SpooledSealsAtOnce;
        using var directory = new TempDirectory();
        using var spool = new BatchSpool(directory.Path, 10 * 1024 * 1024, SpoolFullMode.Wait);
        var handedOff = new ConcurrentQueue<SealedBatch>();
        var allAtOnce = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var mayEnd = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int inFlight = 0;
        int mostAtOnce = 0;
        var seals = new SealPolicy(
            new BatchBufferOptions { MaxOpenBatches = Days },
            spool,
            new FakeTimeProvider(Start),
            NullLogger.Instance,
            async (batch, from, _, _) =>
            {
                // As the hand-off does with a spool: it saves the batch (fsync) and deletes its journal.
                handedOff.Enqueue(batch);
                int now = Interlocked.Increment(ref inFlight);
                InterlockedMax(ref mostAtOnce, now);
                if (now == SealPolicy.SpooledSealsAtOnce)
                {
                    allAtOnce.TrySetResult();
                }

                await mayEnd.Task;
                await from.DeleteJournalAsync();
                Interlocked.Decrement(ref inFlight);
            },
            mayHandOffNow: static _ => true);
        DateOnly first = DateOnly.FromDateTime(Start.UtcDateTime);
        for (int day = 0; day < Days; day++)
        {
            await seals.AppendAsync(new PartitionKey("web", first.AddDays(-day)), Line(day), 0, CancellationToken.None).AsTask().WaitAsync(Bound);
        }

        Task sealing = seals.SealAllAsync(SealCause.Shutdown, removeEmpty: false, CancellationToken.None);
        try
        {
            Assert.That(async () => await allAtOnce.Task.WaitAsync(Bound), Throws.Nothing, $"{SealPolicy.SpooledSealsAtOnce} seals under way at once");
        }
        finally
        {
            mayEnd.TrySetResult();
        }

        await sealing.WaitAsync(Bound);
        try
        {
            Assert.That(mostAtOnce, Is.EqualTo(SealPolicy.SpooledSealsAtOnce), "bounded");
            Assert.That(handedOff.Select(batch => batch.ReceivedDay), Is.EquivalentTo(Enumerable.Range(0, Days).Select(day => first.AddDays(-day))), "every day sealed once");
            Assert.That(handedOff.Sum(batch => batch.EventCount), Is.EqualTo(Days));
            Assert.That((seals.OpenCount, seals.OpenEventCount), Is.EqualTo((0, 0L)));
        }
        finally
        {
            foreach (SealedBatch batch in handedOff)
            {
                batch.Dispose();
            }
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen = Volatile.Read(ref target);
        while (value > seen && Interlocked.CompareExchange(ref target, value, seen) is var before && before != seen)
        {
            seen = before;
        }
    }

    private static ReadOnlyMemory<byte> Line(int i) => Event(i).Append((byte)'\n').ToArray();
}
