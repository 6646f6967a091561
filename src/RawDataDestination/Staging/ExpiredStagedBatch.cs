namespace RawDataDestination.Staging;

/// <summary>
/// A staged batch a <see cref="StagedBatchCopier"/> deleted undelivered: past its <see cref="StagingOptions.Retention"/>,
/// it was tried once more and the customer's bucket refused it in that try. Its events are lost unless they are shipped
/// again from their source. In <see cref="StagedCopyResult.Expired"/>.
/// </summary>
/// <param name="StagedKey">The batch's key in the staging bucket (deleted).</param>
/// <param name="Bucket">The customer's bucket it was staged for.</param>
/// <param name="Key">The key it was to have in the customer's bucket.</param>
/// <param name="EventCount">How many events it held: the events lost with it.</param>
/// <param name="StagedAt">When it was staged; its retention counted from here.</param>
/// <param name="ErrorCode">The customer's refusal in its last try, such as <c>AccessDenied</c>.</param>
public sealed record ExpiredStagedBatch(string StagedKey, string Bucket, string Key, long EventCount, DateTimeOffset StagedAt, string ErrorCode)
{
    /// <summary>Gets where the batch was to be written: <c>s3://{bucket}/{key}</c>.</summary>
    public string Location => $"s3://{Bucket}/{Key}";
}
