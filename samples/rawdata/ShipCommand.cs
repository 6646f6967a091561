using System.Buffers;
using System.Collections.Concurrent;
using System.CommandLine;
using RawDataDestination.Batching;
using RawDataDestination.Ndjson;
using RawDataDestination.S3;
using RawDataDestination.Staging;

namespace RawDataDestination.Cli;

/// <summary><c>rawdata ship</c>: reads events, one per line, and writes them to the bucket through the assumed role.</summary>
internal static class ShipCommand
{
    public static readonly Option<string> SourceId = new("--source-id", "-s")
    {
        Description = "The source id: a folder of every object key ({prefix/}segment-logs/{source-id}/{day}/...). 1 to 128 of A-Z a-z 0-9 _ . -",
        HelpName = "id",
        Required = true,
    };

    public static readonly Option<string> Input = new("--input", "-i")
    {
        Description = "The file of events, one JSON object per line; - for standard input.",
        HelpName = "file",
        DefaultValueFactory = _ => "-",
    };

    public static readonly Option<long> MaxBatchBytes = new("--max-batch-bytes")
    {
        Description = "Seal an object once its uncompressed NDJSON reaches this many bytes.",
        HelpName = "bytes",
        DefaultValueFactory = _ => BatchBufferOptions.DefaultMaxBatchBytes,
    };

    public static readonly Option<int> MaxEventBytes = new("--max-event-bytes")
    {
        Description = "Refuse (and report) a line longer than this many bytes.",
        HelpName = "bytes",
        DefaultValueFactory = _ => GzipNdjsonEncoder.DefaultMaxEventBytes,
    };

    public static readonly Option<string?> SpoolDir = new("--spool-dir")
    {
        Description = "A directory of this run's own where every acknowledged event is journaled before it is counted: after a crash or an interruption, "
            + "the next ship with the same --spool-dir delivers what is left, exactly once. [default: no spool]",
        HelpName = "dir",
    };

    public static readonly Option<bool> Progress = new("--progress")
    {
        Description = "Write 'acknowledged N' to stdout every 1000 lines (and after the last), for scripts; with a spool, lines 1..N are then on disk. "
            + "Without it, a terminal shows a live progress bar on stderr, and a pipe gets only the summary.",
    };

    public static readonly Option<int> CompressionThreads = new("--compression-threads")
    {
        Description = "How many threads compress at once (1 to 64); the default is the number of processors.",
        HelpName = "n",
        DefaultValueFactory = _ => Math.Clamp(Environment.ProcessorCount, 1, 64),
    };

    public static readonly Option<TimeSpan> RetryTimeLimit = new("--retry-time-limit")
    {
        Description = "The retry budget (the buffer's RetryBudget): how long a batch may keep failing before ship gives up and exits 1; "
            + "an upload that does not answer fails after this long, and a refused one gives up at once.",
        HelpName = "duration",
        DefaultValueFactory = _ => TimeSpan.FromMinutes(5),
        CustomParser = result => Duration.Parse(result, "--retry-time-limit"),
    };

    public static readonly Option<TimeSpan> ShutdownTimeout = new("--shutdown-timeout")
    {
        Description = "On Ctrl+C, SIGTERM or giving up: how long to seal and deliver what was read before stopping; the rest stays in --spool-dir.",
        HelpName = "duration",
        DefaultValueFactory = _ => TimeSpan.FromSeconds(30),
        CustomParser = result => Duration.Parse(result, "--shutdown-timeout"),
    };

    /// <summary>The shortest time one upload attempt gets, whatever the retry budget (a budget of 0 gives up at the first failure).</summary>
    private static readonly TimeSpan MinAttemptTimeout = TimeSpan.FromSeconds(1);

    /// <summary>How many appends may be in flight at once with a spool: they share disk flushes (group commit).</summary>
    private const int AppendWindow = 256;

    public static Command Create()
    {
        var command = new Command("ship", "Read events, one JSON object per line, and write them to the bucket as gzipped NDJSON objects through the assumed role.");
        foreach (Option option in DestinationOptions.All.Concat([SourceId, Input, MaxBatchBytes, MaxEventBytes, SpoolDir, Progress, CompressionThreads, RetryTimeLimit, ShutdownTimeout]).Concat(DeliverStagedCommand.StageOptions))
        {
            command.Options.Add(option);
        }

        command.SetAction((result, _) => RunAsync(result, result.InvocationConfiguration.Output, result.InvocationConfiguration.Error));
        return command;
    }

    /// <summary>The buffer settings from a parse result (no spool: it is opened for real only when shipping).</summary>
    public static BatchBufferOptions ToBufferOptions(ParseResult result) => new()
    {
        MaxBatchBytes = DestinationOptions.Value(result, MaxBatchBytes),
        MaxEventBytes = DestinationOptions.Value(result, MaxEventBytes),
        CompressionThreads = DestinationOptions.Value(result, CompressionThreads),
        ShutdownTimeout = DestinationOptions.Value(result, ShutdownTimeout),
        RetryBudget = DestinationOptions.Value(result, RetryTimeLimit),

        // An upload that does not answer counts against the budget once its attempt ends: it may last no longer than the budget.
        AttemptTimeout = DestinationOptions.Value(result, RetryTimeLimit) is var limit && limit >= MinAttemptTimeout ? limit : MinAttemptTimeout,
    };

    /// <summary>Adds the source id's and the buffer's refusals, in the user's words.</summary>
    public static void BufferProblems(ParseResult result, List<string> problems)
    {
        if (DestinationOptions.Value(result, SourceId) is { } sourceId && SourceIdRules.GetError(sourceId) is { } sourceProblem)
        {
            problems.Add(UserWords.Apply(sourceProblem));
        }

        try
        {
            // The buffer's constructor is the one owner of its rules; without a spool it touches nothing.
            var probe = new BatchBuffer(ToBufferOptions(result), NoConsumer.Instance);
            probe.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        catch (ArgumentException exception)
        {
            problems.Add(UserWords.Of(exception));
        }
    }

    private static async Task<int> RunAsync(ParseResult result, TextWriter stdout, TextWriter stderr)
    {
        var problems = new List<string>();
        S3RoleDestinationOptions destinationOptions = DestinationOptions.ToOptions(result);
        destinationOptions.RetryTimeLimit = result.GetValue(RetryTimeLimit); // the copier pass of --stage-bucket retries uploads itself
        S3RoleDestination? destination = DestinationOptions.TryCreate(destinationOptions, problems);
        BufferProblems(result, problems);
        if (problems.Count > 0)
        {
            destination?.Dispose();
            foreach (string problem in problems)
            {
                await stderr.WriteLineAsync(problem);
            }

            await stderr.WriteLineAsync("Run 'rawdata ship --help' for the options.");
            return ExitCodes.BadSetting;
        }

        using (destination!)
        {
            string sourceId = result.GetValue(SourceId)!;
            string input = result.GetValue(Input)!;
            bool progressLines = result.GetValue(Progress);
            TimeProvider time = TimeProvider.System;
            StagingOptions? stagingOptions = DeliverStagedCommand.ToStagingOptions(result, destinationOptions);
            using StagedShipment? shipment = stagingOptions is null ? null : StagingCommands.StartShipment(destination!, destinationOptions, stagingOptions);

            // What was written comes from the buffer: one receipt per delivered batch (with a stage, per staged batch).
            var receipts = new ConcurrentQueue<BatchReceipt>();
            BatchBufferOptions bufferOptions = ToBufferOptions(result);
            bufferOptions.SpoolDirectory = result.GetValue(SpoolDir);
            bufferOptions.BatchDelivered = receipts.Enqueue;

            (Stream stream, long? inputLength) = OpenInput(input);
            await using (stream.ConfigureAwait(false))
            {
                BatchBuffer buffer = CreateBuffer(bufferOptions, shipment?.Consumer ?? destination!);

                var lines = new StderrLines(stderr);
                var counters = new ShipCounters();
                using var signals = new ShutdownSignals(lines.WriteLine);
                var status = new StatusLines(buffer.GetStatus, error => FailureExplanation.Explain(error, destinationOptions), lines, bufferOptions.RetryBudget, time);
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(signals.Token, status.GaveUp);

                // Assume the role while the input is read, on the other core: the first upload then need not wait for STS.
                // A refusal here is not reported twice: the upload that needs the role reports it.
                _ = destination!.WarmUpAsync(stop.Token).ContinueWith(
                    static warmUp => _ = warmUp.Exception,
                    CancellationToken.None,
                    TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);

                bool terminal = !Console.IsErrorRedirected && !progressLines;
                ProgressBar? bar = terminal ? new ProgressBar(counters, () => receipts.Count, lines, inputLength, time) : null;
                Exception? deliveryFailure = null;
                long undeliveredEvents = 0;
                try
                {
                    await using (buffer.ConfigureAwait(false))
                    {
                        try
                        {
                            // A read of a pipe or terminal does not heed cancellation: on a signal, stop waiting for it (the
                            // reading loop checks the token before each line, so it appends nothing more).
                            Task reading = ReadAllAsync(stream, buffer, sourceId, bufferOptions.MaxEventBytes, bufferOptions.SpoolDirectory is not null, counters, lines, progressLines ? stdout : null, stop.Token);
                            await reading.WaitAsync(stop.Token).ConfigureAwait(false);
                            await buffer.FlushAsync(stop.Token).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException) when (stop.IsCancellationRequested)
                        {
                            // Interrupted or out of retry budget: disposing seals and delivers within --shutdown-timeout.
                        }
                        catch (BatchDeliveryException exception)
                        {
                            // The flush saw the retry budget spent (or a refusal) before the status watch did: the same rule.
                            deliveryFailure = exception.InnerException ?? exception;
                            if (signals.Received is null)
                            {
                                status.GiveUp();
                            }
                        }
                    }

                    if (bufferOptions.SpoolDirectory is null)
                    {
                        IReadOnlyList<SealedBatch> left = buffer.TakeUndeliveredBatches();
                        undeliveredEvents = left.Sum(batch => batch.EventCount);
                        foreach (SealedBatch batch in left)
                        {
                            batch.Dispose();
                        }
                    }
                }
                finally
                {
                    if (bar is not null)
                    {
                        await bar.DisposeAsync().ConfigureAwait(false);
                    }

                    await status.DisposeAsync().ConfigureAwait(false);
                }

                DeliveryStatus final = buffer.GetStatus();
                List<BatchReceipt> written = [.. receipts];
                if (shipment is null)
                {
                    await PrintSummaryAsync(stdout, counters, written).ConfigureAwait(false);
                }

                string leftOver = bufferOptions.SpoolDirectory is { } spool
                    ? final.SpooledBatches > 0 ? $" {final.SpooledBatches} batch(es) stay in the spool '{spool}': run ship again with --spool-dir '{spool}' to deliver them." : string.Empty
                    : undeliveredEvents > 0 ? $" {undeliveredEvents} event(s) read were not delivered (no --spool-dir to keep them)." : string.Empty;
                if (signals.Received is { } signal)
                {
                    await PrintStagedIfAnyAsync(stdout, shipment, counters, written).ConfigureAwait(false);
                    lines.WriteLine($"Stopped by {signal} after {counters.LinesRead} line(s).{leftOver}");
                    return signals.ExitCode;
                }

                if (status.HasGivenUp || deliveryFailure is not null || final.SpooledBatches > 0 || undeliveredEvents > 0)
                {
                    await PrintStagedIfAnyAsync(stdout, shipment, counters, written).ConfigureAwait(false);
                    lines.WriteLine($"Delivery failed: {FailureExplanation.Explain(deliveryFailure ?? final.LastError, destinationOptions)}{leftOver}");
                    return ExitCodes.DeliveryFailed;
                }

                // With a stage: every accepted event is staged; one copier pass delivers what the customer's bucket takes now.
                return shipment is null
                    ? ExitCodes.Success
                    : await shipment.FinishAsync(written, counters.LinesRead, counters.Rejected, stdout, stderr, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    /// <summary>With a stage, what was staged before a stop or a failure (nothing was copied to the customer's bucket).</summary>
    private static async Task PrintStagedIfAnyAsync(TextWriter stdout, StagedShipment? shipment, ShipCounters counters, List<BatchReceipt> staged)
    {
        if (shipment is not null)
        {
            await stdout.WriteLineAsync($"events read:      {counters.LinesRead}").ConfigureAwait(false);
            await stdout.WriteLineAsync($"events rejected:  {counters.Rejected}").ConfigureAwait(false);
            await stdout.WriteLineAsync($"events staged:    {staged.Sum(receipt => receipt.EventCount)}").ConfigureAwait(false);
            await stdout.WriteLineAsync("events delivered: 0").ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Reads every line and appends it. Without a spool an append usually completes synchronously, so they are awaited one
    /// by one on the line's own bytes (no copy). With a spool an append completes once on disk, so up to
    /// <see cref="AppendWindow"/> are in flight to share disk flushes, each on a pooled copy of its line.
    /// </summary>
    private static async Task ReadAllAsync(Stream stream, BatchBuffer buffer, string sourceId, int maxEventBytes, bool windowed, ShipCounters counters, StderrLines lines, TextWriter? acknowledged, CancellationToken cancellationToken)
    {
        var inFlight = new Queue<(long Number, ValueTask Append, byte[] Copy)>();
        await LineReader.ReadAsync(stream, maxEventBytes, async (number, bytes) =>
        {
            counters.AddLine(bytes.Length + 1);
            if (!windowed)
            {
                try
                {
                    await buffer.AppendAsync(sourceId, bytes, cancellationToken).ConfigureAwait(false);
                }
                catch (EventRejectedException exception)
                {
                    Reject(number, exception);
                }

                await AcknowledgeAsync(number, last: false).ConfigureAwait(false);
                return;
            }

            byte[] copy = ArrayPool<byte>.Shared.Rent(bytes.Length);
            bytes.CopyTo(copy);
#pragma warning disable CA2012 // Each ValueTask is awaited exactly once, in CompleteOldestAsync, in line order.
            inFlight.Enqueue((number, buffer.AppendAsync(sourceId, copy.AsMemory(0, bytes.Length), cancellationToken), copy));
#pragma warning restore CA2012
            if (inFlight.Count >= AppendWindow)
            {
                await CompleteOldestAsync().ConfigureAwait(false);
            }
        }, async (number, length) =>
        {
            // Refused by the reader as soon as it is too long, never held whole; earlier lines' outcomes come first.
            await CompleteAllAsync().ConfigureAwait(false);
            counters.AddLine((int)Math.Min(length + 1, int.MaxValue));
            Reject(number, new EventRejectedException(EventRejectionReason.TooLarge, $"The line is longer than the limit of {maxEventBytes} bytes (MaxEventBytes); the rest of it was passed over unread. Send smaller events or raise MaxEventBytes."));
            await AcknowledgeAsync(number, last: false).ConfigureAwait(false);
        }, CompleteAllAsync, cancellationToken).ConfigureAwait(false);

        await CompleteAllAsync().ConfigureAwait(false);
        await AcknowledgeAsync(counters.LinesRead, last: true).ConfigureAwait(false);

        // The input paused: what was read is acknowledged now, not when the next line comes.
        async ValueTask CompleteAllAsync()
        {
            while (inFlight.Count > 0)
            {
                await CompleteOldestAsync().ConfigureAwait(false);
            }
        }

        // Appends complete in line order here, so "acknowledged N" means lines 1..N are in the buffer (on disk with a spool).
        async Task CompleteOldestAsync()
        {
            (long number, ValueTask append, byte[] copy) = inFlight.Dequeue();
            try
            {
                await append.ConfigureAwait(false);
            }
            catch (EventRejectedException exception)
            {
                Reject(number, exception);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(copy);
            }

            await AcknowledgeAsync(number, last: false).ConfigureAwait(false);
        }

        void Reject(long number, EventRejectedException exception)
        {
            counters.AddRejected();
            lines.WriteLine($"line {number}: rejected ({exception.Reason}): {exception.Message}");
        }

        async ValueTask AcknowledgeAsync(long number, bool last)
        {
            if (acknowledged is not null && (last ? number % 1000 != 0 : number % 1000 == 0))
            {
                await acknowledged.WriteLineAsync($"acknowledged {number}").ConfigureAwait(false);
                await acknowledged.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static BatchBuffer CreateBuffer(BatchBufferOptions options, ISealedBatchConsumer consumer)
    {
        string? spool = options.SpoolDirectory;
        try
        {
            return new BatchBuffer(options, consumer);
        }
        catch (ArgumentException exception)
        {
            throw new UsageException(UserWords.Of(exception));
        }
        catch (InvalidOperationException) when (spool is not null)
        {
            throw new UsageException($"--spool-dir '{spool}' is in use by another rawdata ship (or another program's buffer): each run needs a spool directory of its own. Wait for the other run to end, or give another --spool-dir.");
        }
        catch (Exception exception) when (spool is not null && exception is IOException or UnauthorizedAccessException)
        {
            string what = File.Exists(spool) ? "is a file, not a directory" : $"can't be used: {exception.Message}";
            throw new UsageException($"--spool-dir '{spool}' {what}. Give a directory this user may create and write, or leave --spool-dir out.");
        }
    }

    private static (Stream Stream, long? Length) OpenInput(string path)
    {
        if (path == "-")
        {
            return (Console.OpenStandardInput(), null);
        }

        if (Directory.Exists(path))
        {
            throw new UsageException($"--input '{path}' is a directory; give a file of events, one JSON object per line, or - for standard input.");
        }

        try
        {
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
            return (stream, stream.CanSeek ? stream.Length : null);
        }
        catch (FileNotFoundException)
        {
            throw new UsageException($"--input '{path}' does not exist; give a file of events, one JSON object per line, or - for standard input.");
        }
        catch (DirectoryNotFoundException)
        {
            throw new UsageException($"--input '{path}': its directory does not exist; give a file of events, one JSON object per line, or - for standard input.");
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--input '{path}' can't be read: {exception.Message}");
        }
    }

    private static async Task PrintSummaryAsync(TextWriter stdout, ShipCounters counters, List<BatchReceipt> written)
    {
        await stdout.WriteLineAsync($"events read:      {counters.LinesRead}").ConfigureAwait(false);
        await stdout.WriteLineAsync($"events delivered: {written.Sum(o => o.EventCount)}").ConfigureAwait(false);
        await stdout.WriteLineAsync($"events rejected:  {counters.Rejected}").ConfigureAwait(false);
        await stdout.WriteLineAsync($"bytes in:         {written.Sum(o => o.UncompressedBytes)} (NDJSON)").ConfigureAwait(false);
        await stdout.WriteLineAsync($"bytes out:        {written.Sum(o => o.CompressedBytes)} (gzip)").ConfigureAwait(false);
        await stdout.WriteLineAsync($"objects written:  {written.Count}").ConfigureAwait(false);
        foreach (BatchReceipt receipt in written.OrderBy(o => o.Location, StringComparer.Ordinal))
        {
            await stdout.WriteLineAsync($"  {receipt.Location} ({receipt.EventCount} events, {receipt.CompressedBytes} bytes)").ConfigureAwait(false);
        }

        await stdout.FlushAsync().ConfigureAwait(false);
    }

    /// <summary>The consumer of the buffer that only checks the settings: it never receives a batch.</summary>
    private sealed class NoConsumer : ISealedBatchConsumer
    {
        public static readonly NoConsumer Instance = new();

        public Task<BatchReceipt> ConsumeAsync(SealedBatch batch, CancellationToken cancellationToken) => Task.FromResult(BatchReceipt.For(batch, "nowhere"));
    }
}
