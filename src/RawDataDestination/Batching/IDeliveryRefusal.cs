namespace RawDataDestination.Batching;

/// <summary>
/// An error a consumer throws that says whether retrying can help. The buffer parks a batch refused with
/// <see cref="IsPermanent"/> set (kept, and tried again at the next scheduled seal, flush or shutdown) and retries any
/// other error with backoff. <see cref="S3.DestinationException"/> is one.
/// </summary>
public interface IDeliveryRefusal
{
    /// <summary>Gets whether retrying without a change of setup is pointless.</summary>
    bool IsPermanent { get; }
}
