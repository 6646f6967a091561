using Polly;

namespace RawDataDestination.Batching;

/// <summary>
/// The batches delivered to one destination, and what they share: one resilience pipeline (retry with backoff around
/// a circuit breaker, so an open breaker says nothing about another lane), the lane's health, and its counts against
/// the in-memory bound and the upload slots. The delivery stage reads and writes its counts and health under its lock;
/// <see cref="UploadSlots"/> keeps the slot fields under its own.
/// </summary>
internal sealed class Lane(string key, ResiliencePipeline pipeline)
{
    public string Key { get; } = key;

    /// <summary>Gets the lane's own retry and circuit-breaker pipeline, built when the lane is first used.</summary>
    public ResiliencePipeline Pipeline { get; } = pipeline;

    /// <summary>Gets or sets how many batches of the lane are not delivered.</summary>
    public int Undelivered { get; set; }

    /// <summary>Gets or sets how many events those batches hold.</summary>
    public long UndeliveredEvents { get; set; }

    /// <summary>Gets or sets how many of the lane's undelivered batches are held in memory.</summary>
    public int InMemory { get; set; }

    /// <summary>Gets or sets when the lane's current run of failures began: its first failed (or refused) attempt since its last delivery.</summary>
    public DateTimeOffset? FailingSince { get; set; }

    /// <summary>Gets or sets the lane's last delivery error.</summary>
    public Exception? LastError { get; set; }

    /// <summary>Gets or sets when the lane's last delivery error happened.</summary>
    public DateTimeOffset? LastErrorAt { get; set; }

    /// <summary>Gets or sets when the lane last had something to deliver (or was created); idle lanes are forgotten.</summary>
    public DateTimeOffset LastActive { get; set; }

    /// <summary>Gets or sets whether the lane is failing, for the upload slots (read without the stage's lock).</summary>
    public bool IsFailing
    {
        get => Volatile.Read(ref _isFailing);
        set => Volatile.Write(ref _isFailing, value);
    }

    private bool _isFailing;

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
    public SortedDictionary<long, TaskCompletionSource> SlotWaiters { get; } = [];

    /// <summary>Gets the lane's place in the round-robin of lanes waiting for a slot (<see cref="UploadSlots"/>' lock).</summary>
    public LinkedListNode<Lane>? TurnNode { get; set; }
}
