using Microsoft.Extensions.Logging;
using RawDataDestination.Internal;

namespace RawDataDestination.Staging;

/// <summary>Logs each retry of one call a <see cref="StagedBatchCopier"/> makes to the staging bucket for one staged batch.</summary>
/// <param name="logger">The copier's logger.</param>
/// <param name="operation">The S3 operation, as it is named in the log: GetObject, DeleteObject, PutObject.</param>
/// <param name="key">The key in the staging bucket.</param>
/// <param name="bucket">The staging bucket.</param>
internal sealed class StagingRetryLog(ILogger logger, string operation, string key, string bucket) : IRetryObserver
{
    public void OnRetry(int failedAttempt, Exception error, TimeSpan delay) =>
        LogEvents.StagingRetrying(logger, operation, key, bucket, failedAttempt, error.GetType().Name, error.Message, delay);
}
