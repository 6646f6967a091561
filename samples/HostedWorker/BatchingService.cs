using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RawDataDestination.Batching;
using RawDataDestination.Ndjson;

namespace RawDataDestination.HostedWorker;

/// <summary>
/// Reads the channel into the batch buffer. When the channel completes it flushes and stops the application; on stop it
/// disposes the buffer, which seals every open batch and uploads within the buffer's shutdown deadline.
/// </summary>
/// <remarks>
/// The service owns the buffer's lifetime (it disposes it, then asks what was left), so it takes the
/// <see cref="BatchBuffer"/> itself; code that only appends takes <see cref="IBatchBuffer"/>.
/// </remarks>
internal sealed partial class BatchingService(
    Channel<ReceivedEvent> channel,
    BatchBuffer buffer,
    IHostApplicationLifetime lifetime,
    ILogger<BatchingService> logger) : BackgroundService
{
    private long _appended;
    private long _rejected;

    /// <summary>Gets the process exit code: 0 when every accepted event was delivered.</summary>
    public static int ExitCode { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (ReceivedEvent received in channel.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await buffer.AppendAsync(received.SourceId, received.Json, stoppingToken);
                    _appended++;
                }
                catch (EventRejectedException exception)
                {
                    _rejected++;
                    Log.Rejected(logger, exception.Reason, exception.Message);
                }
            }

            await buffer.FlushAsync(stoppingToken);
            lifetime.StopApplication(); // the input has ended
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Ctrl+C or SIGTERM: StopAsync seals and uploads what is open.
        }
        catch (BatchDeliveryException exception)
        {
            ExitCode = 1;
            Log.NotDelivered(logger, exception.Message);
            lifetime.StopApplication();
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        while (channel.Reader.TryRead(out ReceivedEvent received))
        {
            try
            {
                await buffer.AppendAsync(received.SourceId, received.Json, CancellationToken.None);
                _appended++;
            }
            catch (EventRejectedException)
            {
                _rejected++;
            }
        }

        await buffer.DisposeAsync(); // seals every open batch and uploads it, within BatchBufferOptions.ShutdownTimeout
        IReadOnlyList<SealedBatch> undelivered = buffer.TakeUndeliveredBatches();
        if (undelivered.Count > 0)
        {
            ExitCode = 1;
            long mayHaveLanded = undelivered.Where(batch => batch.MayHaveBeenWritten).Sum(batch => batch.EventCount);
            Log.NotDelivered(logger, $"Not delivered by shutdown: batches {undelivered.Count}, events {undelivered.Sum(batch => batch.EventCount)}."
                + (mayHaveLanded == 0 ? string.Empty : $" Of these events, {mayHaveLanded} may be in the bucket all the same: their upload was sent in full and got no answer."));
            foreach (SealedBatch batch in undelivered)
            {
                batch.Dispose(); // a real host could write them somewhere first
            }
        }

        Console.WriteLine($"hosted worker stopped: {_appended} events appended, {_rejected} rejected, {buffer.GetStatus().DeliveredBatches} batches delivered");
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Rejected an event ({Reason}): {Message}")]
        public static partial void Rejected(ILogger logger, EventRejectionReason reason, string message);

        [LoggerMessage(2, LogLevel.Error, "Not delivered: {Message}")]
        public static partial void NotDelivered(ILogger logger, string message);
    }
}
