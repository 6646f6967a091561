namespace RawDataDestination.KafkaToS3;

/// <summary>Where a batch of a window ended up.</summary>
internal enum BatchOutcome
{
    /// <summary>S3 confirmed the object in the customer's bucket.</summary>
    Delivered,

    /// <summary>The customer's bucket failed or its tenant's circuit was open; the batch is in the operator's staging bucket, which the copier empties.</summary>
    Staged,

    /// <summary>Neither: no stage is configured, or the staging bucket failed for a transient reason. The window is held and tried again.</summary>
    NotDelivered,
}
