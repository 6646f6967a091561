using RawDataDestination.Internal;

namespace RawDataDestination.Batching;

/// <summary>
/// With a spool, an append that must wait for room in it (its limit reached: MaxSpoolBytes, or 4/5 of its disk's room
/// when that is less; or its disk full) first seals open batches: only a delivery frees room, and only a sealed batch
/// is delivered. Appends that wait hold their partitions'
/// gates, which the schedule passes over, and no batch may reach MaxBatchBytes: without this, nothing was sealed and the
/// intake of every customer stopped until the next scheduled seal (QA: a few failing customers' batches filled the
/// spool; a backfill's open days filled a small disk). At the limit every lane's open batches are sealed (the
/// append's own, then the largest whose gates are free): a journal is counted in no lane's share, and sealed, gzipped,
/// it is smaller and counted in its lane's (DeliveryStage.SpoolShare.cs). On a full disk only the lanes that deliver are
/// sealed: a batch the disk cannot save is delivered from memory and its journal deleted after, which a failing lane
/// would not do; and only those whose journals take more than one block, as a new journal takes one.
/// </summary>
internal sealed partial class SealPolicy
{
    /// <summary>How many open batches, besides its own, an append waiting for spool room seals each time it looks.</summary>
    internal const int RoomSealsAtOnce = SpooledSealsAtOnce;

    /// <summary>Gets whether a source's lane delivers (is not failing); <see langword="null"/>: every lane does.</summary>
    public Func<string, bool>? Delivers { get; init; }

    /// <summary>Waits for room for <paramref name="bytes"/> in the spool, with <paramref name="own"/>'s gate held, sealing open batches first.</summary>
    private ValueTask WaitForSpoolRoomAsync(PartitionSlot own, long bytes, CancellationToken cancellationToken) =>
        _spool!.WaitForRoomAsync(bytes, token => SealForRoomAsync(own, onlyDelivering: false, token), cancellationToken);

    /// <summary>The spool's disk refused an append's line: with SpoolFullMode.Wait, seals the open batches of lanes that deliver first.</summary>
    private ValueTask SealForDiskRoomAsync(CancellationToken cancellationToken) =>
        _spool!.WaitsWhenFull ? SealForRoomAsync(own: null, onlyDelivering: true, cancellationToken) : ValueTask.CompletedTask;

    /// <summary>
    /// Seals <paramref name="own"/>'s batch (its gate held by the caller), then up to <see cref="RoomSealsAtOnce"/> of the
    /// largest other open batches whose gates are free; with <paramref name="onlyDelivering"/>, only of lanes that deliver.
    /// A seal that fails is logged by the seal (its journal stays on disk) and the others go on.
    /// </summary>
    private async ValueTask SealForRoomAsync(PartitionSlot? own, bool onlyDelivering, CancellationToken cancellationToken)
    {
        if (own?.Batch is { EventCount: > 0 } && (!onlyDelivering || MayDeliver(own.Key)))
        {
            try
            {
                await SealLockedAsync(own, SealCause.Capacity, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogEvents.SealFailed(_logger, exception, own.Key.SourceId, own.Key.ReceivedDay, nameof(SealCause.Capacity));
            }
        }

        var largest = _slots.Values
            .Where(slot => slot != own && slot.Batch is { EventCount: > 0 } && (!onlyDelivering || MayDeliver(slot.Key) && FreesBlocks(slot.Batch)))
            .OrderByDescending(slot => slot.Batch?.UncompressedBytes ?? 0)
            .Take(RoomSealsAtOnce)
            .ToList();
        foreach (PartitionSlot slot in largest)
        {
            await TrySealNowAsync(slot, cancellationToken).ConfigureAwait(false);
        }
    }

    private bool MayDeliver(PartitionKey partition) => Delivers?.Invoke(partition.SourceId) ?? true;

    /// <summary>
    /// Whether sealing <paramref name="batch"/> on a full disk frees room once it is delivered: its journal takes more than
    /// one block. A journal of one block frees no more than the next journal of its source takes: sealed on a full disk
    /// (its save fails, its journal kept until its delivery), every append of a full disk then opened a journal of its
    /// own, a block per event, and the full disk fed itself (QA O1: 836 journals of 136 KB took 2.8 MB).
    /// </summary>
    private bool FreesBlocks(OpenBatch batch) => _spool is null || batch.UncompressedBytes > _spool.BlockSize;

    /// <summary>
    /// Sums the bytes of the open batches of the sources <paramref name="counts"/> picks (with a spool, the room their journals take),
    /// and of those being sealed until delivery counts them (so a batch is never out of both counts while an append
    /// waiting for the share looks), for the failing lanes' share (DeliveryStage.SpoolShare.cs). Read without the gates:
    /// a batch opened meanwhile may be counted or not, as the share is a soft bound.
    /// </summary>
    public long OpenBytesOf(Func<string, bool> counts)
    {
        long bytes = 0;
        foreach (PartitionSlot slot in _slots.Values)
        {
            if ((slot.Batch is not null || slot.Sealing is not null) && counts(slot.Key.SourceId))
            {
                bytes += JournalRoom(slot.Batch?.UncompressedBytes ?? 0) + JournalRoom(slot.Sealing?.UncompressedBytes ?? 0);
            }
        }

        return bytes;
    }

    /// <summary>The room a journal of <paramref name="bytes"/> takes on the spool's disk: whole blocks (BatchSpool.Blocks.cs).</summary>
    private long JournalRoom(long bytes) => _spool?.Allocated(bytes) ?? bytes;
}
