namespace RawDataDestination.Batching;

/// <summary>
/// A lane that is failing, as <see cref="DeliveryStatus.FailingLanes"/> lists it: a customer whose destination refuses
/// or does not answer, with what waits for it.
/// </summary>
public sealed class LaneStatus
{
    internal LaneStatus()
    {
    }

    /// <summary>Gets the lane's key: the source id, or what <see cref="BatchBufferOptions.LaneKey"/> or the <see cref="IBatchRouter"/> gave.</summary>
    public string Key { get; internal init; } = "";

    /// <summary>Gets when the lane's current run of failures began: its first failed or refused attempt since its last delivery.</summary>
    public DateTimeOffset FailingSince { get; internal init; }

    /// <summary>Gets the lane's last delivery error.</summary>
    public Exception? LastError { get; internal init; }

    /// <summary>Gets when the last error happened.</summary>
    public DateTimeOffset? LastErrorAt { get; internal init; }

    /// <summary>Gets the number of the lane's batches waiting for delivery (failing, refused, waiting or being tried).</summary>
    public int WaitingBatches { get; internal init; }

    /// <summary>Gets the number of events in those batches.</summary>
    public long WaitingEvents { get; internal init; }

    /// <summary>
    /// Gets the bytes those batches keep in the spool (0 without one), as its disk counts them: each file in whole blocks
    /// of its file system, a sealed batch with its checksum file. The failing lanes together may keep up to 3/4 of the
    /// spool's limit (<see cref="BatchBufferOptions.MaxSpoolBytes"/>, or 4/5 of its disk's room when that is less), then
    /// their appends meet <see cref="BatchBufferOptions.SpoolFullMode"/>.
    /// </summary>
    public long SpooledBytes { get; internal init; }
}
