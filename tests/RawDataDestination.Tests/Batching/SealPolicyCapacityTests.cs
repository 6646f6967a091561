using Microsoft.Extensions.Logging.Abstractions;

namespace RawDataDestination.Tests.Batching;

/// <summary>
/// The capacity seal an append makes after its own line is taken: opening one batch more than
/// <see cref="BatchBufferOptions.MaxOpenBatches"/> seals the least recently appended one. A stop at that moment must
/// not fail the append whose line was already taken: its caller would count the line as not taken and send it again.
/// </summary>
public class SealPolicyCapacityTests
{
    private static readonly DateOnly Day = DateOnly.FromDateTime(Start.UtcDateTime);

    [Test]
    public async Task AppendAsync_CancelledDuringTheCapacitySealItStarted_CompletesWithItsLineTakenAndTheSealedBatchKept()
    {
        var handedOff = new List<SealedBatch>();
        var handOffStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var seals = new SealPolicy(
            new BatchBufferOptions { MaxOpenBatches = 1 },
            spool: null,
            new FakeTimeProvider(Start),
            NullLogger.Instance,
            async (batch, _, _, cancellationToken) =>
            {
                // As the delivery stage does when a wait for room is cancelled: it keeps the batch, then throws.
                handedOff.Add(batch);
                handOffStarted.TrySetResult();
                await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            },
            mayHandOffNow: static _ => true);
        await seals.AppendAsync(new PartitionKey("web", Day), Line("web", 0), 0, CancellationToken.None).AsTask().WaitAsync(Bound);

        using var stop = new CancellationTokenSource();
        Task appending = seals.AppendAsync(new PartitionKey("ios", Day), Line("ios", 0), 0, stop.Token).AsTask();
        await handOffStarted.Task.WaitAsync(Bound); // ios's line is in its new batch; web's batch is being handed off
        await stop.CancelAsync();

        Assert.That(async () => await appending.WaitAsync(Bound), Throws.Nothing, "the line was taken: the append succeeded");
        Assert.That(seals.OpenEventCount, Is.EqualTo(1), "ios's line is in its open batch");
        Assert.That(handedOff.Select(batch => (batch.SourceId, batch.EventCount, batch.Cause)), Is.EqualTo(new[] { ("web", 1L, SealCause.Capacity) }));
        foreach (SealedBatch batch in handedOff)
        {
            batch.Dispose();
        }
    }

    [Test]
    public async Task AppendAsync_TheCapacitySealItStartedFails_CompletesWithItsLineTakenAndTheFailedBatchsEventsCounted()
    {
        // A seal that fails (its compressor) after the append's own line is in its new batch: the append must succeed,
        // or its caller sends the line again; the failed batch's events stay counted (as open), never in no count.
        var handedOff = new List<SealedBatch>();
        var seals = new SealPolicy(
            new BatchBufferOptions { MaxOpenBatches = 1, Completing = cause => throw new InvalidDataException($"the compressor could not complete ({cause})") },
            spool: null,
            new FakeTimeProvider(Start),
            NullLogger.Instance,
            (batch, _, _, _) =>
            {
                handedOff.Add(batch);
                return ValueTask.CompletedTask;
            },
            mayHandOffNow: static _ => true);
        await seals.AppendAsync(new PartitionKey("web", Day), Line("web", 0), 0, CancellationToken.None).AsTask().WaitAsync(Bound);

        Task appending = seals.AppendAsync(new PartitionKey("ios", Day), Line("ios", 0), 0, CancellationToken.None).AsTask();

        Assert.That(async () => await appending.WaitAsync(Bound), Throws.Nothing, "the line was taken: the append succeeded");
        Assert.That((seals.OpenCount, seals.OpenEventCount, handedOff.Count), Is.EqualTo((1, 2L, 0)), "ios's line is open; web's, whose seal failed, still counted");
    }

    [Test]
    public async Task OpenEventCount_WhileASealedBatchIsBeingHandedOff_StillCountsItsEvents()
    {
        // A stop that does not end in time is summed up while seals are under way (each saved with fsync): a batch taken
        // from its slot but not yet handed to delivery was in no count, and rawdata's summary said "unaccounted".
        var handOffStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handOffMayEnd = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        SealPolicy seals = await ThreeLinesOfWebAsync(async (batch, _, _, _) =>
        {
            handOffStarted.TrySetResult();
            await handOffMayEnd.Task;
            batch.Dispose();
        });

        Task sealing = seals.SealAllAsync(SealCause.Shutdown, removeEmpty: false, CancellationToken.None);
        await handOffStarted.Task.WaitAsync(Bound);

        Assert.That((seals.OpenCount, seals.OpenEventCount), Is.EqualTo((0, 3L)), "being sealed: counted until the delivery stage has it");
        handOffMayEnd.SetResult();
        await sealing.WaitAsync(Bound);
        Assert.That(seals.OpenEventCount, Is.Zero, "handed off: the delivery stage counts it now");
    }

    [Test]
    public async Task OpenEventCount_OnceDeliveryCountsTheBatchBeforeItsHandOffEnds_NoLongerCountsItsEvents()
    {
        // With seals running 8 at once, a status taken during a shutdown counted the batches that delivery had taken but
        // whose hand-off had not returned yet twice (as being sealed, and as waiting): rawdata's summary after a second
        // SIGTERM said 23164 events stay in the spool of 22669 read. Delivery now says when it counts a batch.
        var counted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handOffMayEnd = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        SealPolicy seals = await ThreeLinesOfWebAsync(async (batch, _, taken, _) =>
        {
            taken(); // as the delivery stage does, under its lock, when it adds the batch to its counts
            counted.TrySetResult();
            await handOffMayEnd.Task;
            batch.Dispose();
        });

        Task sealing = seals.SealAllAsync(SealCause.Shutdown, removeEmpty: false, CancellationToken.None);
        await counted.Task.WaitAsync(Bound);

        Assert.That(seals.OpenEventCount, Is.Zero, "delivery counts the 3 events now: not counted twice");
        handOffMayEnd.SetResult();
        await sealing.WaitAsync(Bound);
        Assert.That(seals.OpenEventCount, Is.Zero, "and not taken off twice either");
    }

    /// <summary>A policy without a spool whose one open batch (source web) holds three lines, handing sealed batches to <paramref name="handOff"/>.</summary>
    private static async Task<SealPolicy> ThreeLinesOfWebAsync(Func<SealedBatch, OpenBatch, Action, CancellationToken, ValueTask> handOff)
    {
        var seals = new SealPolicy(new BatchBufferOptions(), spool: null, new FakeTimeProvider(Start), NullLogger.Instance, handOff, mayHandOffNow: static _ => true);
        for (int i = 0; i < 3; i++)
        {
            await seals.AppendAsync(new PartitionKey("web", Day), Line("web", i), 0, CancellationToken.None).AsTask().WaitAsync(Bound);
        }

        return seals;
    }

    private static ReadOnlyMemory<byte> Line(string source, int i) => TestEvents.Event(source, i).Append((byte)'\n').ToArray();
}
