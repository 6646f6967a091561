using RawDataDestination.Internal;

namespace RawDataDestination.Batching;

/// <summary>
/// A sealed batch waiting for delivery, and where it is: in memory, or (with a spool) only on disk, loaded for each
/// attempt; its lane and route once the delivery stage has taken it. Its delivery state is read and written under the
/// <see cref="DeliveryStage"/>'s lock.
/// </summary>
internal sealed class PendingBatch
{
    public PendingBatch(SealedBatch batch)
    {
        SourceId = batch.SourceId;
        ReceivedDay = batch.ReceivedDay;
        BatchId = batch.BatchId;
        FileName = batch.FileName;
        OpenedAt = batch.OpenedAt;
        SealedAt = batch.SealedAt;
        Cause = batch.Cause;
        EventCount = batch.EventCount;
        UncompressedBytes = batch.UncompressedBytes;
        CompressedBytes = batch.CompressedBytes;
        ChecksumSha256 = batch.ChecksumSha256;
        InMemory = batch;
    }

    public PendingBatch(string spoolPath, string sourceId, DateOnly receivedDay, string batchId, DateTimeOffset sealedAt, long eventCount, long uncompressedBytes, long compressedBytes, string checksumSha256)
    {
        SourceId = sourceId;
        ReceivedDay = receivedDay;
        BatchId = batchId;
        FileName = BatchNaming.FileName(sealedAt, batchId);
        OpenedAt = sealedAt;
        SealedAt = sealedAt;
        Cause = SealCause.Recovered;
        EventCount = eventCount;
        UncompressedBytes = uncompressedBytes;
        CompressedBytes = compressedBytes;
        ChecksumSha256 = checksumSha256;
        SpoolPath = spoolPath;
    }

    public string SourceId { get; }

    /// <summary>Gets or sets the lane the batch is delivered in; set when the delivery stage takes it.</summary>
    public Lane? Lane { get; set; }

    /// <summary>Gets or sets the batch's place in the order the delivery stage took batches: older batches of a lane go first.</summary>
    public long Sequence { get; set; }

    /// <summary>Gets or sets whether the batch counts against the in-memory bound (it was taken while held in memory).</summary>
    public bool CountsInMemory { get; set; }

    /// <summary>Gets or sets the router's state for the batch, bound when the delivery stage takes it.</summary>
    public object? RouteState { get; set; }

    public DateOnly ReceivedDay { get; }

    public string BatchId { get; }

    public string FileName { get; }

    public DateTimeOffset OpenedAt { get; }

    public DateTimeOffset SealedAt { get; }

    public SealCause Cause { get; }

    public long EventCount { get; }

    public long UncompressedBytes { get; }

    public long CompressedBytes { get; }

    /// <summary>Gets the SHA-256 computed when the batch was sealed; every attempt sends it, whatever is read back from disk.</summary>
    public string ChecksumSha256 { get; }

    /// <summary>Gets the batch in memory: without a spool, or when saving it to the spool failed.</summary>
    public SealedBatch? InMemory { get; private set; }

    /// <summary>Gets the sealed file in the spool, or <see langword="null"/>.</summary>
    public string? SpoolPath { get; private set; }

    /// <summary>Gets or sets what to do once the batch is delivered (delete a journal kept because the save failed).</summary>
    public Func<ValueTask>? AfterDelivery { get; set; }

    public DeliveryState State { get; set; }

    /// <summary>Gets or sets the failed attempts in a row.</summary>
    public int FailedAttempts { get; set; }

    /// <summary>Gets or sets when the first attempt of the current run of failures started: the retry budget counts from it.</summary>
    public DateTimeOffset? FailingSince { get; set; }

    /// <summary>Gets or sets when the latest attempt started.</summary>
    public DateTimeOffset? AttemptStartedAt { get; set; }

    public DateTimeOffset? NextAttemptAt { get; set; }

    public Exception? LastError { get; set; }

    /// <summary>Now safe on disk: memory keeps only the description; each attempt loads the bytes.</summary>
    public void MovedToSpool(string path)
    {
        SpoolPath = path;
        InMemory?.Dispose();
        InMemory = null;
    }

    /// <summary>Builds a batch over content loaded from the spool, for one attempt.</summary>
    public SealedBatch Load(SegmentedBuffer content) =>
        new(SourceId, ReceivedDay, BatchId, OpenedAt, SealedAt, Cause, EventCount, UncompressedBytes, content, ChecksumSha256)
        {
            Lane = Lane?.Key ?? SourceId,
            RouteState = RouteState,
        };

    /// <summary>Takes the in-memory batch away (for the host, at shutdown).</summary>
    public SealedBatch? TakeInMemory()
    {
        SealedBatch? batch = InMemory;
        InMemory = null;
        return batch;
    }
}
