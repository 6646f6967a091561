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
        Manifest = batch.Manifest;
        InMemory = batch;
    }

    /// <summary>A batch only on disk, found in the spool at start.</summary>
    public PendingBatch(string spoolPath, BatchManifest manifest)
    {
        Manifest = manifest;
        SpoolPath = spoolPath;
    }

    /// <summary>Gets what describes the batch, wherever its bytes are.</summary>
    public BatchManifest Manifest { get; }

    /// <summary>Gets or sets the lane the batch is delivered in; set when the delivery stage takes it.</summary>
    public Lane? Lane { get; set; }

    /// <summary>Gets or sets the batch's place in the order the delivery stage took batches: older batches of a lane go first.</summary>
    public long Sequence { get; set; }

    /// <summary>Gets or sets whether the batch counts against the in-memory bound (it was taken while held in memory).</summary>
    public bool CountsInMemory { get; set; }

    /// <summary>Gets or sets the bytes the batch counts in its lane's <see cref="Batching.Lane.SpooledBytes"/> (its sealed file's, or its kept journal's, once taken).</summary>
    public long SpooledBytes { get; set; }

    /// <summary>Gets or sets the lane the batch was sealed for, recorded with it in the spool: at a restart it is delivered in that lane only (<see cref="DeliveryStage"/>'s SealedFor rule).</summary>
    public string? SealedForLane { get; set; }

    /// <summary>Gets or sets the router's state for the batch, bound when the delivery stage takes it.</summary>
    public object? RouteState { get; set; }

    /// <summary>Gets the batch in memory: without a spool, or when saving it to the spool failed.</summary>
    public SealedBatch? InMemory { get; private set; }

    /// <summary>Gets the sealed file in the spool, or <see langword="null"/>.</summary>
    public string? SpoolPath { get; private set; }

    /// <summary>Gets or sets what to call as delivery counts the batch (under its lock): the seal policy stops counting it then, so a status never counts it twice.</summary>
    public Action? Taken { get; set; }

    /// <summary>Gets or sets what to do once the batch is delivered (delete a journal kept because the save failed).</summary>
    public Func<ValueTask>? AfterDelivery { get; set; }

    /// <summary>Gets or sets the journal kept because the save failed: once the batch is delivered, the only file on disk that holds its events.</summary>
    public string? KeptJournal { get; set; }

    /// <summary>
    /// Gets whether the batch's events are in the spool for the next start: its sealed file, or the journal kept for it
    /// while it is delivered from memory (the next start seals that journal again). Such a batch is never handed to the
    /// host by TakeUndeliveredBatches, which would have it twice (QA O4).
    /// </summary>
    public bool InSpool => SpoolPath is not null || KeptJournal is not null;

    public DeliveryState State { get; set; }

    /// <summary>Gets or sets the failed attempts in a row.</summary>
    public int FailedAttempts { get; set; }

    /// <summary>Gets or sets when the first attempt of the current run of failures started: the retry budget counts from it.</summary>
    public ClockReading? FailingSince { get; set; }

    /// <summary>Gets or sets when the latest attempt started.</summary>
    public ClockReading? AttemptStartedAt { get; set; }

    public DateTimeOffset? NextAttemptAt { get; set; }

    public Exception? LastError { get; set; }

    /// <summary>Gets or sets where its sealed file was moved, found changed on disk during its delivery; once set, the batch is never tried again.</summary>
    public string? QuarantinedTo { get; set; }

    /// <summary>Now safe on disk: memory keeps only the description; each attempt loads the bytes.</summary>
    public void MovedToSpool(string path)
    {
        SpoolPath = path;
        InMemory?.Dispose();
        InMemory = null;
    }

    /// <summary>Builds a batch over content loaded from the spool, for one attempt.</summary>
    public SealedBatch Load(SegmentedBuffer content) =>
        new(Manifest, content)
        {
            Lane = Lane?.Key ?? Manifest.SourceId,
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
