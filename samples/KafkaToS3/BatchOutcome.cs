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

    /// <summary>
    /// Not delivered, without a stage: the customer refused it for a reason retrying cannot fix (a bucket that does not
    /// exist, a role or policy that refuses; <see cref="Batching.IDeliveryRefusal.IsPermanent"/>), met now or, while the
    /// tenant's circuit is open, by its last direct attempt (<see cref="RoutedBatch.Refusal"/>). The window is held as for
    /// <see cref="NotDelivered"/>; a <see cref="KafkaToS3Options.UntilCaughtUp"/> run gives its partition up when a held window's retry meets it.
    /// </summary>
    Refused,
}
