namespace RawDataDestination.Tests.Batching;

/// <summary>
/// Two seals of every partition at once (a flush beside a scheduled seal, or beside another flush): one of them finds a
/// partition held by the other, which is sealing it. When the one that waits is cancelled, the partition was not left
/// open: nothing is to be said about it.
/// </summary>
public class SealPolicyConcurrentSealsTests
{
    private static readonly DateOnly Day = DateOnly.FromDateTime(Start.UtcDateTime);

    [Test]
    public async Task SealAll_CancelledWhileAnotherSealHoldsThePartitionItSeals_LogsNoBatchAsNotSealed()
    {
        // Seen with a spool: a flush that gave up while a scheduled seal held hundreds of partitions logged one error
        // each, "was not sealed (Flush): an append still held its partition ... (0 events)".
        var log = new CapturingLogger();
        var handedOff = new List<SealedBatch>();
        var handOffStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handOffMayEnd = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var seals = new SealPolicy(
            new BatchBufferOptions(),
            spool: null,
            new FakeTimeProvider(Start),
            log.CreateLogger("seals"),
            async (batch, _, _, _) =>
            {
                handedOff.Add(batch);
                handOffStarted.TrySetResult();
                await handOffMayEnd.Task;
            },
            mayHandOffNow: static _ => true);
        await seals.AppendAsync(new PartitionKey("web", Day), TestEvents.Event("web", 0).Append((byte)'\n').ToArray(), 0, CancellationToken.None).AsTask().WaitAsync(Bound);

        Task first = seals.SealAllAsync(SealCause.Schedule, removeEmpty: false, CancellationToken.None);
        await handOffStarted.Task.WaitAsync(Bound); // the first seal holds web's partition, its batch taken out
        using var giveUp = new CancellationTokenSource();
        Task second = seals.SealAllAsync(SealCause.Flush, removeEmpty: false, giveUp.Token);
        await giveUp.CancelAsync();

        Assert.That(async () => await second.WaitAsync(Bound), Throws.InstanceOf<OperationCanceledException>(), "the flush was cancelled");
        Assert.That(log.Lines, Has.None.Contains("was not sealed"), string.Join("\n", log.Lines));
        handOffMayEnd.SetResult();
        await first.WaitAsync(Bound);
        Assert.That(handedOff.Select(batch => (batch.SourceId, batch.EventCount)), Is.EqualTo(new[] { ("web", 1L) }), "sealed once, by the first");
        Assert.That(seals.OpenEventCount, Is.Zero);
        foreach (SealedBatch batch in handedOff)
        {
            batch.Dispose();
        }
    }
}
