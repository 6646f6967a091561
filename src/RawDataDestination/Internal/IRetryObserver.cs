namespace RawDataDestination.Internal;

/// <summary>Told about each retry of one execution: the attempt that failed (from 1), its error and the delay before the next.</summary>
internal interface IRetryObserver
{
    void OnRetry(int failedAttempt, Exception error, TimeSpan delay);
}
