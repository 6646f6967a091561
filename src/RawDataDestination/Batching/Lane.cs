using Polly;
using RawDataDestination.Internal;

namespace RawDataDestination.Batching;

/// <summary>
/// The batches delivered to one destination, and what they share: its retry pipeline (backoff with full jitter) and its
/// circuit breaker (an open breaker says nothing about another lane), the lane's health, and its counts against the
/// in-memory bound and the upload slots. The delivery stage reads and writes its counts and health under its lock;
/// <see cref="UploadSlots"/> keeps the slot fields under its own.
/// </summary>
internal sealed class Lane(string key, ResiliencePipeline retry, ResiliencePipeline breaker)
{
    public string Key { get; } = key;

    /// <summary>
    /// Gets a value indicating whether the lane holds the batches whose route could not be found (one such lane per
    /// cause, never shared with a routed lane); the consumer sees each of its batches' source id as the batch's lane.
    /// </summary>
    public bool Unrouted { get; init; }

    /// <summary>Gets or sets how many parked batches the last summary of this unrouted lane counted (the stage's lock).</summary>
    public int ReportedParked { get; set; }

    /// <summary>Gets the lane's retry pipeline, built when the lane is first used: each batch's run of attempts goes through it.</summary>
    public ResiliencePipeline Retry { get; } = retry;

    /// <summary>Gets the lane's circuit breaker: each attempt that holds an upload slot goes through it.</summary>
    public ResiliencePipeline Breaker { get; } = breaker;

    /// <summary>Gets or sets how many batches of the lane are not delivered.</summary>
    public int Undelivered { get; set; }

    /// <summary>Gets or sets how many events those batches hold.</summary>
    public long UndeliveredEvents { get; set; }

    /// <summary>Gets or sets the bytes the lane's undelivered batches keep in the spool (their sealed files, or the journals kept for those the disk could not take), for the failing lanes' share of it.</summary>
    public long SpooledBytes { get; set; }

    /// <summary>Gets or sets how many of the lane's undelivered batches are held in memory.</summary>
    public int InMemory { get; set; }

    /// <summary>Gets or sets when the lane's current run of failures began: its first failed (or refused) attempt since its last delivery. Set only through <c>DeliveryStage.SetFailingSinceLocked</c>, which keeps the failing lanes' spooled bytes.</summary>
    public ClockReading? FailingSince { get; set; }

    /// <summary>Gets or sets the lane's last delivery error.</summary>
    public Exception? LastError { get; set; }

    /// <summary>Gets or sets when the lane's last delivery error happened.</summary>
    public DateTimeOffset? LastErrorAt { get; set; }

    /// <summary>Gets or sets when the lane last had something to deliver (or was created), a <see cref="TimeProvider.GetTimestamp"/>; idle lanes are forgotten.</summary>
    public long LastActiveTimestamp { get; set; }

    /// <summary>
    /// Gets or sets whether the lane's last finished attempt delivered its batch, for the upload slots (read without the
    /// stage's lock). A lane not proven yet (new, or failing) holds one slot at a time: an endpoint that never answers
    /// cannot take more than one before anyone knows.
    /// </summary>
    public bool IsProven
    {
        get => Volatile.Read(ref _isProven);
        set => Volatile.Write(ref _isProven, value);
    }

    private bool _isProven;

    /// <summary>Gets or sets the upload slots the lane holds (<see cref="UploadSlots"/>' lock).</summary>
    public int SlotsHeld { get; set; }

    /// <summary>
    /// Gets or sets, while the lane is failing, the sequence number of the one batch that may probe it (the oldest that
    /// failed; -1: the oldest waiting). The others wait, so a broken customer gets one attempt per backoff, not one per batch,
    /// and its backlog goes out oldest first once it recovers.
    /// </summary>
    public long ProbeSequence
    {
        get => Volatile.Read(ref _probeSequence);
        set => Volatile.Write(ref _probeSequence, value);
    }

    private long _probeSequence = -1;

    /// <summary>Gets the attempts waiting for an upload slot, oldest batch first (<see cref="UploadSlots"/>' lock).</summary>
    public SortedDictionary<long, UploadSlots.Waiter> SlotWaiters { get; } = [];

    /// <summary>Gets the lane's place in the round-robin of lanes waiting for a slot (<see cref="UploadSlots"/>' lock).</summary>
    public LinkedListNode<Lane>? TurnNode { get; set; }
}
