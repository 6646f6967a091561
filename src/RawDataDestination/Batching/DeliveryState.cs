namespace RawDataDestination.Batching;

/// <summary>Where a pending batch is in its delivery.</summary>
internal enum DeliveryState
{
    /// <summary>Waiting for its first attempt, or for an upload slot.</summary>
    Waiting,

    /// <summary>An attempt is under way.</summary>
    Uploading,

    /// <summary>Its last attempt failed; it is retried after a backoff.</summary>
    Failing,

    /// <summary>Refused permanently (<see cref="S3.DestinationException.IsPermanent"/>): kept, tried again at the next scheduled seal, flush or shutdown.</summary>
    Parked,

    /// <summary>Delivered.</summary>
    Delivered,

    /// <summary>Its sealed file changed on disk since its seal, and was moved to the spool's quarantine folder: never tried again, not delivered.</summary>
    Quarantined,

    /// <summary>Held (parked, with no lane to go to) and being handed to the host by <c>TakeHeldBatchesAsync</c>: not tried meanwhile.</summary>
    Taking,

    /// <summary>Handed to the host by <c>TakeHeldBatchesAsync</c>, which kept it, or found by it gone from the spool (deleted by hand): forgotten, not delivered by the buffer.</summary>
    TakenByHost,
}
