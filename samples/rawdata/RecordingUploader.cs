using System.Collections.Concurrent;
using RawDataDestination.Batching;
using RawDataDestination.S3;

namespace RawDataDestination.Cli;

/// <summary>
/// Uploads through the destination, remembers what was written, and tracks since when deliveries are stuck: a delivery
/// has been pending (running or failed) without any delivery succeeding since.
/// </summary>
internal sealed class RecordingUploader(S3RoleDestination destination, TimeProvider time, Func<SealedBatch, CancellationToken, Task<UploadedObject>>? deliver = null) : ISealedBatchConsumer
{
    private readonly object _gate = new();
    private int _inFlight;
    private DateTimeOffset? _stuckSince;
    private Exception? _lastError;
    private long _failures;

    public ConcurrentQueue<UploadedObject> Objects { get; } = new();

    /// <summary>Gets since when a delivery has been pending with no delivery succeeding, or null when deliveries keep up.</summary>
    public DateTimeOffset? StuckSince
    {
        get
        {
            lock (_gate)
            {
                return _stuckSince;
            }
        }
    }

    /// <summary>Gets the last delivery error, if any.</summary>
    public Exception? LastError => Volatile.Read(ref _lastError);

    /// <summary>Gets how many delivery attempts failed.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Gets how many deliveries are running now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    public async Task<BatchReceipt> ConsumeAsync(SealedBatch batch, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _inFlight++;
            _stuckSince ??= time.GetUtcNow();
        }

        try
        {
            // With --stage-bucket, "delivered" means staged: the buffer acknowledges a batch once it is in the staging bucket.
            UploadedObject uploaded = await (deliver is null ? destination.UploadAsync(batch, cancellationToken) : deliver(batch, cancellationToken)).ConfigureAwait(false);
            Objects.Enqueue(uploaded);
            lock (_gate)
            {
                _inFlight--;
                _stuckSince = _inFlight > 0 ? time.GetUtcNow() : null;
            }

            return uploaded.ToReceipt();
        }
        catch (Exception exception)
        {
            // A cancellation (shutdown, giving up) says less than the failure before it.
            if (exception is not OperationCanceledException || Volatile.Read(ref _lastError) is null)
            {
                Volatile.Write(ref _lastError, exception);
            }

            Interlocked.Increment(ref _failures);
            lock (_gate)
            {
                _inFlight--;
            }

            throw;
        }
    }
}
