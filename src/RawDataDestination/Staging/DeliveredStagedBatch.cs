using RawDataDestination.S3;

namespace RawDataDestination.Staging;

/// <summary>
/// A staged batch that a <see cref="StagedBatchCopier"/> delivered: the customer's bucket holds the object and the staged
/// copy is deleted. Given to <see cref="StagedBatchCopier.BatchDelivered"/>.
/// </summary>
/// <param name="StagedKey">The batch's key in the staging bucket (now deleted): <c>{stage-prefix/}~{customer-bucket}/{customer key}</c>.</param>
/// <param name="Uploaded">The object written to the customer's bucket: its bucket, key, event count and sizes.</param>
public sealed record DeliveredStagedBatch(string StagedKey, UploadedObject Uploaded);
