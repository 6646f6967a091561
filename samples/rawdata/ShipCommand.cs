using System.Collections.Concurrent;
using RawDataDestination.Batching;
using RawDataDestination.Encoding;
using RawDataDestination.S3;

namespace RawDataDestination.Cli;

/// <summary><c>rawdata ship</c>: reads events, one per line, and writes them to the bucket through the assumed role.</summary>
internal static class ShipCommand
{
    public const string Usage =
        "rawdata ship " + DestinationArguments.Usage + "\n" +
        "           --source-id S [--input FILE|-] [--max-batch-bytes N] [--max-event-bytes N]\n" +
        "           [--spool-dir DIR] [--progress]";

    private static readonly string[] OwnNames = ["source-id", "input", "max-batch-bytes", "max-event-bytes", "spool-dir", "progress"];

    /// <summary>How many appends may be in flight at once: with a spool, they share disk flushes (group commit).</summary>
    private const int AppendWindow = 256;

    public static async Task<int> RunAsync(CommandLine line, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        line.RejectUnknown(DestinationArguments.Names.Concat(OwnNames));
        S3RoleDestinationOptions destinationOptions = DestinationArguments.ToOptions(line);
        string sourceId = line.Required("source-id");
        string input = line.Optional("input") ?? "-";
        var bufferOptions = new BatchBufferOptions();
        bufferOptions.MaxBatchBytes = line.OptionalLong("max-batch-bytes") ?? bufferOptions.MaxBatchBytes;
        bufferOptions.MaxEventBytes = (int)(line.OptionalLong("max-event-bytes") ?? bufferOptions.MaxEventBytes);
        bufferOptions.SpoolDirectory = line.Optional("spool-dir");
        bool progress = line.Flag("progress");
        if (SourceIdRules.GetError(sourceId) is { } sourceProblem)
        {
            throw new UsageException(sourceProblem);
        }

        S3RoleDestination destination = DestinationArguments.CreateDestination(destinationOptions);

        using (destination)
        {
            var uploads = new RecordingUploader(destination);
            BatchBuffer buffer;
            try
            {
                buffer = new BatchBuffer(bufferOptions, uploads);
            }
            catch (ArgumentException exception)
            {
                throw new UsageException(exception.Message);
            }

            long read = 0, rejected = 0;
            await using (buffer.ConfigureAwait(false))
            {
                Stream stream = input == "-" ? Console.OpenStandardInput() : OpenInput(input);
                await using (stream.ConfigureAwait(false))
                {
                    var inFlight = new Queue<(long Number, Task Append)>();
                    await LineReader.ReadAsync(stream, async (number, bytes) =>
                    {
                        read++;
                        inFlight.Enqueue((number, AppendCopyAsync(buffer, sourceId, bytes.ToArray(), cancellationToken)));
                        if (inFlight.Count >= AppendWindow)
                        {
                            await CompleteOldestAsync().ConfigureAwait(false);
                        }
                    }, cancellationToken).ConfigureAwait(false);
                    while (inFlight.Count > 0)
                    {
                        await CompleteOldestAsync().ConfigureAwait(false);
                    }

                    // Appends complete in line order here, so "acknowledged N" means lines 1..N are in the buffer (on disk with a spool).
                    async Task CompleteOldestAsync()
                    {
                        (long number, Task append) = inFlight.Dequeue();
                        try
                        {
                            await append.ConfigureAwait(false);
                        }
                        catch (EventRejectedException exception)
                        {
                            rejected++;
                            await stderr.WriteLineAsync($"line {number}: rejected ({exception.Reason}): {exception.Message}").ConfigureAwait(false);
                        }

                        if (progress && (number % 1000 == 0 || inFlight.Count == 0))
                        {
                            await stdout.WriteLineAsync($"acknowledged {number}").ConfigureAwait(false);
                            await stdout.FlushAsync(cancellationToken).ConfigureAwait(false);
                        }
                    }
                }

                try
                {
                    await buffer.FlushAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (BatchDeliveryException exception)
                {
                    await stderr.WriteLineAsync($"Delivery failed: {Explain(exception.InnerException)}").ConfigureAwait(false);
                    await stderr.WriteLineAsync($"{exception.UndeliveredEvents} event(s) in {exception.UndeliveredBatches} batch(es) were not delivered.").ConfigureAwait(false);
                    await PrintSummaryAsync(stdout, read, rejected, uploads).ConfigureAwait(false);
                    return ExitCodes.DeliveryFailed;
                }
            }

            await PrintSummaryAsync(stdout, read, rejected, uploads).ConfigureAwait(false);
            return ExitCodes.Success;
        }
    }

    /// <summary>Appends a copy of a line; a refusal becomes the task's exception, like any other outcome.</summary>
    private static async Task AppendCopyAsync(BatchBuffer buffer, string sourceId, byte[] line, CancellationToken cancellationToken) =>
        await buffer.AppendAsync(sourceId, line, cancellationToken).ConfigureAwait(false);

    private static FileStream OpenInput(string path)
    {
        try
        {
            return File.OpenRead(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--input '{path}' cannot be read: {exception.Message}");
        }
    }

    /// <summary>The most useful message in an error chain: ours, which says what to check, when there is one.</summary>
    internal static string Explain(Exception? exception)
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            if (current is DestinationException explained)
            {
                return explained.Message;
            }
        }

        return exception is null
            ? "unknown error."
            : $"{exception.Message} Check that the S3 and STS endpoints are reachable and that this service's AWS credentials are set.";
    }

    private static async Task PrintSummaryAsync(TextWriter stdout, long read, long rejected, RecordingUploader uploads)
    {
        List<UploadedObject> objects = uploads.Objects.OrderBy(o => o.Key, StringComparer.Ordinal).ToList();
        await stdout.WriteLineAsync($"events read:      {read}").ConfigureAwait(false);
        await stdout.WriteLineAsync($"events delivered: {objects.Sum(o => o.EventCount)}").ConfigureAwait(false);
        await stdout.WriteLineAsync($"events rejected:  {rejected}").ConfigureAwait(false);
        await stdout.WriteLineAsync($"bytes in:         {objects.Sum(o => o.UncompressedBytes)} (NDJSON)").ConfigureAwait(false);
        await stdout.WriteLineAsync($"bytes out:        {objects.Sum(o => o.CompressedBytes)} (gzip)").ConfigureAwait(false);
        await stdout.WriteLineAsync($"objects written:  {objects.Count}").ConfigureAwait(false);
        foreach (UploadedObject uploaded in objects)
        {
            await stdout.WriteLineAsync($"  s3://{uploaded.Bucket}/{uploaded.Key} ({uploaded.EventCount} events, {uploaded.CompressedBytes} bytes)").ConfigureAwait(false);
        }
    }

    /// <summary>Uploads through the destination and remembers what was written.</summary>
    private sealed class RecordingUploader(S3RoleDestination destination) : ISealedBatchConsumer
    {
        public ConcurrentQueue<UploadedObject> Objects { get; } = new();

        public async Task ConsumeAsync(SealedBatch batch, CancellationToken cancellationToken) =>
            Objects.Enqueue(await destination.UploadAsync(batch, cancellationToken).ConfigureAwait(false));
    }
}
