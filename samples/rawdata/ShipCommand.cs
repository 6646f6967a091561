using System.Collections.Concurrent;
using System.CommandLine;
using RawDataDestination.Batching;
using RawDataDestination.Internal;
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

    public static readonly Option<string> Input = new(InputWords.Option, "-i")
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
        CustomParser = result => WholeNumber.Parse(result, "--max-batch-bytes", BatchBufferOptions.DefaultMaxBatchBytes),
    };

    public static readonly Option<int> MaxEventBytes = new("--max-event-bytes")
    {
        Description = "Refuse (and report) a line longer than this many bytes.",
        HelpName = "bytes",
        DefaultValueFactory = _ => GzipNdjsonEncoder.DefaultMaxEventBytes,
        CustomParser = result => WholeNumber.Parse(result, "--max-event-bytes", GzipNdjsonEncoder.DefaultMaxEventBytes),
    };

    public static readonly Option<string?> SpoolDir = new("--spool-dir")
    {
        Description = "A directory of this run's own where every acknowledged event is journaled before it is counted: after a crash or an interruption, "
            + "the next ship with the same --spool-dir delivers what is left, exactly once, and reads the same --input file on from where it stopped. [default: no spool]",
        HelpName = "dir",
        CustomParser = result =>
        {
            // '' (an unset variable: --spool-dir "$SPOOL"): refused here, in the option's words; the library's refusal
            // offered null for no spool.
            string path = result.Tokens.Count == 0 ? string.Empty : result.Tokens[0].Value;
            if (path.Length == 0)
            {
                result.AddError("--spool-dir is ''; give the path of a directory for the spool, such as ./spool, or leave --spool-dir out to ship without one.");
            }

            return path;
        },
    };

    public static readonly Option<bool> FromStart = new("--from-start")
    {
        Description = "Read --input from its first line even where an earlier run over --spool-dir read part of it. "
            + "Without it, ship --input FILE --spool-dir DIR reads on from where the last run with the same file, source and bucket stopped.",
    };

    public static readonly Option<bool> Progress = new("--progress")
    {
        Description = "Write 'acknowledged N' to stdout every 1000 lines (and after the last, or at a stop), for scripts; with a spool, lines 1..N are then on disk. "
            + "Without it, a terminal shows a live progress bar on stderr, and a pipe gets only the summary.",
    };

    /// <summary>Gets the default of <c>--compression-threads</c>: the number of processors, 1 to 64.</summary>
    public static int DefaultCompressionThreads => Math.Clamp(Environment.ProcessorCount, 1, 64);

    public static readonly Option<int> CompressionThreads = new("--compression-threads")
    {
        Description = "How many threads compress at once (1 to 64); the default is the number of processors.",
        HelpName = "n",
        DefaultValueFactory = _ => DefaultCompressionThreads,
        CustomParser = result => WholeNumber.Parse(result, "--compression-threads", DefaultCompressionThreads),
    };

    public static readonly Option<TimeSpan> RetryTimeLimit = new("--retry-time-limit")
    {
        Description = "The retry budget (the buffer's RetryBudget): how long a batch may keep failing before ship gives up and exits 1; "
            + "an upload that does not answer fails after this long, and a refused one gives up at once. " + Duration.Forms + " From 1s to 720h (30 days).",
        HelpName = "duration",
        DefaultValueFactory = _ => TimeSpan.FromMinutes(5),
        CustomParser = result => Duration.Parse(result, "--retry-time-limit", MinAttemptTimeout, MinRetryTimeLimitReason),
    };

    public static readonly Option<TimeSpan> ShutdownTimeout = new("--shutdown-timeout")
    {
        Description = "On Ctrl+C, SIGTERM or giving up: how long to seal and deliver what was read before stopping; the rest stays in --spool-dir. " + Duration.Forms + " At most 720h (30 days).",
        HelpName = "duration",
        DefaultValueFactory = _ => TimeSpan.FromSeconds(30),
        CustomParser = result => Duration.Parse(result, "--shutdown-timeout"),
    };

    /// <summary>
    /// The shortest time one upload attempt gets, and so the smallest --retry-time-limit: the budget counts an upload under
    /// way from its start, so a smaller one was spent by every upload before it could answer. 0 printed "giving up" at the
    /// first look while a healthy upload was under way, stopped reading there, and exited 0 when the shutdown then
    /// delivered what was read: neither "retry for that long" nor "give up at the first failure".
    /// </summary>
    private static readonly TimeSpan MinAttemptTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Why <see cref="MinAttemptTimeout"/> is the smallest --retry-time-limit, for its message.</summary>
    private const string MinRetryTimeLimitReason = "an upload gets 1 s to answer, and the limit counts it from its start, so a smaller one gave up on uploads still under way; 1s gives up about a second after an upload first fails or goes unanswered";

    /// <summary>
    /// How much longer than --shutdown-timeout ship waits for the buffer to stop before it prints the counts without it:
    /// the buffer bounds its own shutdown, and this only makes sure that a stop asked for always ends.
    /// </summary>
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(3);

    public static Command Create()
    {
        var command = new Command("ship", "Read events, one JSON object per line, and write them to the bucket as gzipped NDJSON objects through the assumed role.");
        foreach (Option option in DestinationOptions.AllWithStage.Concat([SourceId, Input, MaxBatchBytes, MaxEventBytes, SpoolDir, FromStart, Progress, CompressionThreads, RetryTimeLimit, ShutdownTimeout]).Concat(DeliverStagedCommand.StageOptions))
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
        SpoolDirectory = DestinationOptions.Value(result, SpoolDir),

        // With a spool each open batch holds its journal open: never more than the open-file limit allows.
        MaxOpenBatches = DestinationOptions.Value(result, SpoolDir) is null ? new BatchBufferOptions().MaxOpenBatches : OpenFileLimit.OpenBatches(new BatchBufferOptions().MaxOpenBatches),

        // An upload that does not answer counts against the budget once its attempt ends: it may last no longer than the budget,
        // nor longer than the longest attempt timeout the buffer takes (a budget of days gets attempts of a day, retried).
        AttemptTimeout = TimeSpan.FromTicks(Math.Clamp(DestinationOptions.Value(result, RetryTimeLimit).Ticks, MinAttemptTimeout.Ticks, BatchBufferOptions.MaxAttemptTimeout.Ticks)),
    };

    /// <summary>Adds the source id's and the buffer's refusals, composed with the flags.</summary>
    public static void BufferProblems(ParseResult result, List<string> problems)
    {
        if (DestinationOptions.Value(result, SourceId) is { } sourceId && SourceIdRules.Error(sourceId, SettingFlags.Words) is { } sourceProblem)
        {
            problems.Add(sourceProblem);
        }

        problems.AddRange(ToBufferOptions(result).Problems(SettingFlags.Words).Select(problem => problem.Message));
        if (DestinationOptions.Value(result, SpoolDir) is { Length: > 0 } spool && SpoolFolder.Problem(spool) is { } spoolProblem)
        {
            problems.Add(spoolProblem);
        }
    }

    private static async Task<int> RunAsync(ParseResult result, TextWriter stdout, TextWriter stderr)
    {
        // The signals first: building the destination (the SDK's clients, which read the AWS config files) takes a second
        // or two, and a Ctrl+C there ended the run with exit 130 and not a word. Taken from here, it stops the run as
        // one later does: nothing is read, and the summary and the stop line are printed.
        var lines = new StderrLines(stderr);
        using var signals = new ShutdownSignals(lines.WriteLine);
        var problems = new List<string>();
        S3RoleDestinationOptions destinationOptions = DestinationOptions.ToOptions(result);
        destinationOptions.RetryTimeLimit = result.GetValue(RetryTimeLimit); // the copier pass of --stage-bucket retries uploads itself
        S3RoleDestination? destination = DestinationOptions.TryCreate(destinationOptions, problems, StderrLog.ForDestination(lines));
        BufferProblems(result, problems);
        StagingOptions? stagingOptions = DeliverStagedCommand.ToStagingOptions(result, destinationOptions);
        problems.AddRange(DeliverStagedCommand.StagingProblems(result, destinationOptions));

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
            using StagedShipment? shipment = stagingOptions is null ? null : StagingCommands.StartShipment(destination!, stagingOptions, DestinationIdentity.Of(result));
            S3Target target = stagingOptions is null
                ? new S3Target(Staging: false, destination!.Location, destinationOptions.Region, destinationOptions.ServiceUrl) { RoleAssumed = () => destination.Credentials.IssuedAccessKey is not null }
                : FailureExplanation.Staging(stagingOptions);
            return await ShipAsync(result, destination!, shipment, target, stdout, lines, signals).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Reads and appends until the input ends, a signal comes, or the buffer gives up; then stops the buffer within
    /// --shutdown-timeout, makes the copier pass with a stage, and prints the counts, whatever the way it stopped.
    /// </summary>
    private static async Task<int> ShipAsync(ParseResult result, S3RoleDestination destination, StagedShipment? shipment, S3Target target, TextWriter stdout, StderrLines lines, ShutdownSignals signals)
    {
        string sourceId = result.GetValue(SourceId)!;
        bool progressLines = result.GetValue(Progress);
        // Durations that leave out the time the process was stopped (Ctrl+Z): the budget is about S3, not about the run.
        using TimeWhileRunning time = TimeWhileRunning.StartOverSystem();

        // What was written comes from the buffer: one receipt per delivered batch (with a stage, per staged batch).
        var receipts = new ConcurrentQueue<BatchReceipt>();
        BatchBufferOptions bufferOptions = ToBufferOptions(result);
        InputCheckpoint? recordedIn = null; // told of each delivery, before the batch's journal and sealed file are deleted
        bufferOptions.BatchDelivered = receipt =>
        {
            receipts.Enqueue(receipt);
            recordedIn?.Delivered(receipt);
        };
        string? spool = bufferOptions.SpoolDirectory;

        string inputPath = result.GetValue(Input)!;
        Stream stream;
        long? inputLength;
        try
        {
            // A signal that came before the open (while the destination was built) stops the run once the input is open,
            // as any other does; only a FIFO waits there, and a second signal ends that wait.
            CancellationToken openWait = signals.Token.IsCancellationRequested ? signals.Quit : signals.Token;
            (stream, inputLength) = await ShipInput.OpenAsync(inputPath, lines, openWait).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (signals.Received is not null)
        {
            // A FIFO no writer had opened yet: it died of the signal before, without a word.
            lines.WriteLine($"Stopped by {signals.Received} while waiting for {Input.Name} '{inputPath}' to open (a FIFO opens once a writer opens it): nothing was read or sent.");
            return signals.ExitCode;
        }

        await using (stream.ConfigureAwait(false))
        {
            // Where an earlier run over the spool stopped reading the same file, read once the buffer holds the spool and
            // before its recovery seals the journals a kill left: the record's rounds are checked against them as they are.
            // Every other record file's rounds are settled then too, since the recovery seals their journals as well.
            DestinationIdentity identity = DestinationIdentity.Of(result);
            using InputCheckpoint? checkpoint = InputCheckpoint.For(spool, inputPath, stream, sourceId, result.GetValue(DestinationOptions.Bucket)!, identity.Key);
            InputResume resume = InputResume.FromStart();
            bufferOptions.JournalRounds = checkpoint;
            recordedIn = checkpoint;
            bufferOptions.SpoolHeld = () =>
            {
                bool bucketOnlyRecords = SpoolDestination.Claim(spool!, identity);
                foreach (SpoolCopy copy in SpoolCopies.SetAside(spool!, InputCheckpoint.RecordedJournals(spool!), DateTimeOffset.UtcNow))
                {
                    lines.WriteLine(SpoolCopies.Warning(copy));
                }

                if (checkpoint is null && !result.GetValue(FromStart)
                    && InputCheckpoint.PipeOverUnfinished(spool!, sourceId, result.GetValue(DestinationOptions.Bucket)!) is { } note)
                {
                    lines.WriteLine(note);
                }

                if (checkpoint is not null)
                {
                    resume = checkpoint.Resume(result.GetValue(FromStart), bucketOnlyRecords);
                    checkpoint.Start(resume, lines);
                }

                InputCheckpoint.SettleOthers(spool!, checkpoint);
            };

            // Under a low open-file limit a spool keeps fewer batches open than the buffer would: count what that seals early.
            using CapacitySeals? capacitySeals = OpenFileLimit.Bounds(bufferOptions.MaxOpenBatches, spool is not null) ? new CapacitySeals() : null;
            StderrLog bufferLog = StderrLog.ForBuffer(lines); // also counts what the spool set aside, and which of it held a batch
            BatchBuffer buffer = CreateBuffer(bufferOptions, shipment?.Consumer ?? destination, time, bufferLog);
            if (resume.Note is { } note)
            {
                lines.WriteLine(note);
            }

            var settled = new SettledInput(resume.From, resume.Skip);
            if (resume.From.Offset > 0)
            {
                stream.Seek(resume.From.Offset, SeekOrigin.Begin); // a file: InputCheckpoint.For gives none for anything else
                inputLength -= resume.From.Offset;
            }
            var counters = new ShipCounters(resume.From.Line);
            var rejections = new RejectedLines(lines, inputPath == "-" ? null : inputPath);
            var status = new StatusLines(buffer.GetStatus, error => FailureExplanation.Explain(error, target, spool), lines, bufferOptions.RetryBudget, bufferOptions.ShutdownTimeout, time, target.RoleAssumed, spool);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(signals.Token, status.GaveUp);

            // Assume the role while the input is read, on the other core: the first upload then need not wait for STS.
            // A refusal here is not reported twice: the upload that needs the role reports it.
            _ = destination.WarmUpAsync(stop.Token).ContinueWith(
                static warmUp => _ = warmUp.Exception,
                CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);

            bool terminal = !Console.IsErrorRedirected && !progressLines;
            ProgressBar? bar = terminal ? new ProgressBar(counters, () => receipts.Count, lines, inputLength, time) : null;
            Exception? failure = null;
            bool failedHere = false; // the input or the spool failed, not a delivery
            bool flushGaveUp = false; // the flush gave up on a batch (failure): the shutdown may still deliver it
            InputShrankException? shrank = null; // the file was truncated while read: what was read is delivered, exit 3
            UsageException? refused = null; // the input was refused at its first bytes (compressed or UTF-16, through a pipe): exit 2
            long? unacknowledgedAfter = null; // --progress: standard output refused an acknowledgement, and the reading stopped after this line: exit 1
            ShipSummary summary;
            Task reading = Task.CompletedTask;
            Acknowledgements? acknowledgements = progressLines ? new Acknowledgements(stdout) : null;
            try
            {
                try
                {
                    // A read of a pipe or terminal does not heed cancellation: on a signal, stop waiting for it (the
                    // reading loop checks the token before each line, so it appends nothing more).
                    reading = ShipInput.ReadAllAsync(stream, inputPath == "-" ? null : inputPath, resume, settled, buffer, sourceId, bufferOptions.MaxEventBytes, spool is not null, counters, rejections, lines, acknowledgements, checkpoint, stop.Token);
                    try
                    {
                        await reading.WaitAsync(stop.Token).ConfigureAwait(false);
                    }
                    catch (InputShrankException exception)
                    {
                        // Truncated while read: what was read is delivered as at the end of the input; the exit code says the rest was not.
                        shrank = exception;
                        lines.WriteLine($"warning: {exception.Message}");
                    }
                    catch (UsageException exception) when (reading.IsFaulted)
                    {
                        // Refused at its first bytes, before any line: as a refused --input, once the buffer has stopped.
                        refused = exception;
                    }
                    catch (AcknowledgementRefusedException)
                    {
                        // The script can't learn what is taken, so no more is read: what was read is delivered as at the end of the input.
                        unacknowledgedAfter = counters.LastLine;
                    }

                    await buffer.FlushAsync(stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    // Interrupted or out of retry budget: stopping the buffer seals and delivers within --shutdown-timeout.
                }
                catch (BatchDeliveryException exception)
                {
                    // The flush saw the retry budget spent (or a refusal) before the status watch did: the same rule.
                    failure = exception.InnerException ?? exception;
                    flushGaveUp = true;
                    if (signals.Received is null)
                    {
                        status.GiveUp();
                    }
                }
                catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or InvalidOperationException || reading.IsCompletedSuccessfully)
                {
                    // The input or the spool failed, or a seal of the last flush (its compressor): stop, and say what it was.
                    failure = exception;
                    failedHere = true;
                    lines.WriteLine(reading.IsCompletedSuccessfully ? $"Sealing the last batches failed: {exception.Message}" : $"Stopped reading after line {counters.LastLine}: {exception.Message}");
                }

                if (signals.Received is { } signal)
                {
                    status.BeginShutdown(signal.ToString());
                }
                else if (status.HasGivenUp || failure is not null)
                {
                    status.BeginShutdown("giving up");
                }

                bool stopped = await StopAsync(buffer, bufferOptions.ShutdownTimeout + StopGrace, time, signals.Quit).ConfigureAwait(false);
                if (!stopped && !signals.Quit.IsCancellationRequested)
                {
                    lines.WriteLine($"The buffer did not stop within {ShutdownTimeout.Name} {Duration.Format(bufferOptions.ShutdownTimeout)} (and {Duration.Format(StopGrace)} more): the counts below are its own at this moment.");
                }

                await counters.WaitForAppendsAsync(StopGrace, time, signals.Quit).ConfigureAwait(false);

                // With a record, the loop writes how far the file is settled as it ends: let it, unless a second signal says
                // not to wait. (Only a file has one, and its reads end; a pipe's read may wait for ever, and is not waited for.)
                if (checkpoint is not null)
                {
                    await reading.WaitAsync(StopGrace, signals.Quit).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }

                if (!reading.IsCompleted && settled.Position.Line > 0)
                {
                    // A pipe's read that is not waited for: the loop took every line before it, and acknowledges them at
                    // its end, which may never come. The script that sends the rest itself starts after them.
                    acknowledgements?.Acknowledge(settled.Position.Line);
                }
                summary = ShipSummary.Take(counters, receipts, buffer, spool is not null, stopped, batch => $"s3://{destination.Location.BucketName}/{destination.GetObjectKey(batch)}");
            }
            finally
            {
                if (bar is not null)
                {
                    await bar.DisposeAsync().ConfigureAwait(false);
                }

                await status.DisposeAsync().ConfigureAwait(false);
            }

            // Giving up stops the reading. When the input had been read to its end, and the shutdown still delivered every
            // event (the uploads under way were answered late), nothing is missing: the run delivered.
            bool delivered = (failure is null || flushGaveUp) && (!status.HasGivenUp || reading.IsCompletedSuccessfully)
                && summary.Spooled + summary.NotDelivered == 0;
            if (shipment is not null)
            {
                // With a stage: every accepted event is staged; one copier pass delivers what the customer's bucket takes now.
                (IReadOnlyList<UploadedObject> copied, _) = signals.Received is null && delivered
                    ? await shipment.CopyAsync(summary.Written, signals, bufferOptions.ShutdownTimeout, lines).ConfigureAwait(false)
                    : ([], null);
                summary.Staged = summary.Delivered - copied.Sum(o => o.EventCount);
                summary.Delivered = copied.Sum(o => o.EventCount);
                summary.Copied = copied;
            }

            summary.QuarantinedHeldNoBatch = summary.Quarantined > 0 && summary.QuarantinedEvents == 0 && bufferLog.SetAside >= summary.Quarantined && bufferLog.BatchesSetAside == 0;
            summary.SealedEarly = (capacitySeals?.Count ?? 0, bufferOptions.MaxOpenBatches);
            if (summary.SealedEarlyWarning() is { } sealedEarly)
            {
                lines.WriteLine(sealedEarly); // once, with what it cost: more, smaller objects, silently
            }

            try
            {
                await summary.PrintAsync(stdout, spool).ConfigureAwait(false);
            }
            catch (Exception exception) when (FailedWrites.Is(exception))
            {
                // The summary is a report: the run delivered what it delivered, and the exit code still says so.
                lines.WriteLine($"{FailedWrites.StandardOutput(exception)}, so the summary is missing or cut short: {summary.Counts(spool is not null)}. The exit code says how the delivery went.");
            }

            // Where to go on from: a record file reads the file on by itself; otherwise the line to send the input again from.
            string GoOn() => checkpoint is not null
                ? ReadOn(checkpoint, settled, stream)
                : StopAdvice.GoOn(inputPath, stream.CanSeek, spool, settled, counters.LastLine, reading.IsCompletedSuccessfully, counters.InFlight, summary);

            if (signals.Received is { } received)
            {
                lines.WriteLine($"Stopped by {received} after {ReadTo(counters, resume)}.{LeftOver(summary, spool, shipment)}{GoOn()}");
                return signals.ExitCode;
            }

            if (refused is not null)
            {
                lines.WriteLine(refused.Message);
                return ExitCodes.BadSetting;
            }

            if (acknowledgements?.Refused is { } refusal)
            {
                lines.WriteLine($"{AcknowledgementRefusedException.Describe(refusal)}; {(unacknowledgedAfter is { } after ? $"stopped reading after line {after}." : "the input was read to its end.")}{GoOn()}");
            }

            if (!delivered)
            {
                // A flush that gave up before any attempt failed (an upload that never answered) carries no error of its own.
                Exception? error = failure is BatchDeliveryException { InnerException: null } ? null : failure;
                lines.WriteLine(failedHere && error is not null
                    ? $"Stopped: {FailureExplanation.ExplainLocal(error, spool)}{LeftOver(summary, spool, shipment)}{GoOn()}"
                    : (error ?? buffer.GetStatus().LastError) is null && status.SpoolHadNoRoom is { } noRoom // nothing was tried: no delivery error to say
                    ? $"Stopped: {noRoom}{LeftOver(summary, spool, shipment)}{GoOn()}"
                    : $"Delivery failed: {FailureExplanation.ExplainFinal(error ?? buffer.GetStatus().LastError, target, spool)}{LeftOver(summary, spool, shipment)}{GoOn()}");
                return ExitCodes.DeliveryFailed;
            }

            if (spool is not null && summary.DeliveredJournalsLeft is { Count: > 0 } journalsLeft)
            {
                // Delivered from memory after their saves failed, and the spool's file system now refuses to delete or mark
                // their journals: the next run over the spool would seal them again under new keys (errors above).
                lines.WriteLine($"Delivered, but the spool's file system refuses writes: {Counted.Of(journalsLeft.Count, "journal")} of batches this run delivered could be neither deleted nor marked delivered in '{spool}'. Once it takes writes again, delete {Counted.Either(journalsLeft.Count, "it", "them")} before running ship over this spool again, or {Counted.Either(journalsLeft.Count, "its", "their")} events are sent twice: rm {string.Join(' ', journalsLeft.Select(path => $"'{path}'"))}");
                return ExitCodes.DeliveryFailed;
            }

            if (spool is not null && summary.FilesLeftInPlace is { Count: > 0 } leftInPlace)
            {
                // Damaged or untrusted, and not even movable (chattr +i): its events are in no count, and "delivered" would be false.
                lines.WriteLine($"Not all delivered: {Counted.Of(leftInPlace.Count, "file")} of the spool could not be read by this user, or could not be trusted and not set aside into its quarantine folder either, and {Counted.Either(leftInPlace.Count, "stays", "stay")} where {Counted.Either(leftInPlace.Count, "it is", "they are")} (see the errors above): {string.Join(' ', leftInPlace.Select(path => $"'{path}'"))}. Make {Counted.Either(leftInPlace.Count, "it", "them")} readable and movable by this user (chmod u+rw, lsattr and chattr -i, the folder's permissions), then run ship again with {SpoolDir.Name} '{spool}', which delivers {Counted.Either(leftInPlace.Count, "it", "them")} or sets {Counted.Either(leftInPlace.Count, "it", "them")} aside.");
                return ExitCodes.DeliveryFailed;
            }

            if (spool is not null && SpoolLeftovers.Journals(spool) is > 0 and int left)
            {
                // Recovery could not seal an earlier run's journal now (logged above): its events are in no count.
                lines.WriteLine($"Not all delivered: {Counted.Of(left, "journal")} of an earlier run {Counted.Either(left, "stays", "stay")} in the spool '{spool}', which could not be sealed now (see the errors above). Fix what they name, then run ship again with {SpoolDir.Name} '{spool}' to deliver them.");
                return ExitCodes.DeliveryFailed;
            }

            if (summary.Quarantined > 0 && summary.QuarantinedHeldNoBatch)
            {
                // Only what held no batch: no event is missing, but something put in the spool what it does not keep, which is
                // for a person to look at: still exit 1, as the README's rule for what a run sets aside says.
                lines.WriteLine($"Every event read was delivered; {summary.Quarantined} {Counted.Either(summary.Quarantined, "entry", "entries")} of the spool {Counted.Either(summary.Quarantined, "was", "were")} set aside ({ShipSummary.SetAside(spool)}), and nothing of {Counted.Either(summary.Quarantined, "it", "them")} was a batch (a folder, the spool's lock, a stray file, or a copy of a batch the spool delivers under its own name), so no event of {Counted.Either(summary.Quarantined, "it", "them")} is missing from the bucket. Look at each, find what put {Counted.Either(summary.Quarantined, "it", "them")} there, then delete {Counted.Either(summary.Quarantined, "it", "them")}; the next run does not count {Counted.Either(summary.Quarantined, "it", "them")} again.");
                return ExitCodes.DeliveryFailed;
            }

            if (summary.Quarantined > 0)
            {
                // Recovery moved files it could not read or trust aside, and deliveries those changed on disk (warnings above).
                lines.WriteLine($"Not all delivered: {Counted.Of(summary.Quarantined, "file")} of the spool could not be read or trusted, or changed on disk before delivery, and {Counted.Either(summary.Quarantined, "was", "were")} set aside ({ShipSummary.SetAside(spool)}); everything else was delivered. Look at each: lines that are sound can be shipped again (gunzip -c a .gz file once gunzip -t passes on it, or cat a .ndjson journal, into rawdata ship with the {ShipCommand.SourceId.Name} its warning names; the warning says what damage can pass for an event); delete the files once done. The next run does not count them again.");
                return ExitCodes.DeliveryFailed;
            }

            if (shrank is not null)
            {
                // Every line read is delivered, but not every line the file held: a script must not take the file as shipped.
                lines.WriteLine($"Not all of {InputWords.Named(inputPath)} was read: it shrank while it was read (see the warning above). Its lines up to line {settled.Position.Line} are shipped; ship those after it from the rotated copy, if there is one: tail -n +{settled.Position.Line + 1} ROTATED-COPY | rawdata ship ... {Input.Name} -");
                return ExitCodes.InputShrank;
            }

            if (unacknowledgedAfter is null && rejections.NoEventRefusal(counters, readFromStart: resume.From.Line == 0) is { } noEvent)
            {
                // Not NDJSON at all (a CSV export): a script must not take it as shipped.
                lines.WriteLine(noEvent);
                return ExitCodes.BadSetting;
            }

            // The input was not read to its end: not every event of it is in the bucket.
            return unacknowledgedAfter is null ? ExitCodes.Success : ExitCodes.DeliveryFailed;
        }
    }

    /// <summary>
    /// Disposes the buffer (it seals and delivers within its shutdown timeout), waiting at most <paramref name="limit"/>
    /// on the timestamps of <paramref name="time"/> (the time the process was stopped left out, as the buffer's own
    /// countdown leaves it out: a timer would fire as the process resumes), or until a second signal.
    /// </summary>
    /// <returns>Whether the buffer stopped.</returns>
    private static async Task<bool> StopAsync(BatchBuffer buffer, TimeSpan limit, TimeProvider time, CancellationToken quit)
    {
        Task stopping = buffer.DisposeAsync().AsTask();
        using var deadline = new TimestampDeadline(limit, time);
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, quit);
        try
        {
            await stopping.WaitAsync(waiting.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            // Still stopping: the process ends without it.
            _ = stopping.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            return false;
        }
    }

    /// <summary>Where running the same command again reads on, for the last line, when the file was not read to its end.</summary>
    private static string ReadOn(InputCheckpoint? checkpoint, SettledInput settled, Stream input) =>
        checkpoint is not null && settled.Position.Offset < input.Length
            ? $" Running the same command again reads {checkpoint.Shown} on after line {settled.Position.Line}."
            : string.Empty;

    /// <summary>
    /// How far a stopped run read: its lines (<c>after 755 lines</c>), or, resumed from a place in the file, the file's
    /// line it stopped after, as the rest of the messages number it (<c>after line 3255 (755 lines read by this run)</c>).
    /// </summary>
    private static string ReadTo(ShipCounters counters, InputResume resume) =>
        resume.From.Line == 0 ? Counted.Of(counters.AllLines, "line") : $"line {counters.LastLine} ({Counted.Of(counters.AllLines, "line")} read by this run)";

    /// <summary>Where the events not delivered are, for the last line; those left staged with the stage's deadline (<see cref="StagedShipment.StaysStaged"/>).</summary>
    private static string LeftOver(ShipSummary summary, string? spool, StagedShipment? shipment) =>
        (summary.Spooled > 0 ? $" {Counted.Of(summary.Spooled, "event")} {Counted.Either(summary.Spooled, "stays", "stay")} in the spool '{spool}': run ship again with {SpoolDir.Name} '{spool}' to deliver {Counted.Either(summary.Spooled, "it", "them")}." : string.Empty)
        + (summary.NotDelivered > 0 ? $" {Counted.Of(summary.NotDelivered, "event")} read {Counted.Either(summary.NotDelivered, "was", "were")} not delivered{(spool is null ? $" (no {SpoolDir.Name} to keep {Counted.Either(summary.NotDelivered, "it", "them")})" : string.Empty)}." : string.Empty)
        + (summary.MayBeInTheBucket(spool is not null) is > 0 and long mayBe ? $" Of those, {Counted.Of(mayBe, "event")} may be in the bucket all the same: {summary.WhyMayBeInTheBucket()}{summary.SurelyNot()}." : string.Empty)
        + (summary.Staged > 0 && shipment is not null ? $" {shipment.StaysStaged(summary.Staged)}" : string.Empty);

    private static BatchBuffer CreateBuffer(BatchBufferOptions options, ISealedBatchConsumer consumer, TimeProvider time, StderrLog log)
    {
        string? spool = options.SpoolDirectory;
        try
        {
            return new BatchBuffer(options, consumer, time, log);
        }
        catch (InvalidOperationException) when (spool is not null)
        {
            throw new UsageException($"{SpoolDir.Name} '{spool}' is in use by another rawdata ship (or another program's buffer): each run needs a spool directory of its own. Wait for the other run to end, or give another {SpoolDir.Name}.");
        }
        catch (Exception exception) when (spool is not null && exception is IOException or UnauthorizedAccessException)
        {
            string what = File.Exists(spool) ? "is a file, not a directory" : $"can't be used: {exception.Message.TrimEnd('.')}";
            throw new UsageException(SpoolFolder.EarlierRunFiles(spool) is > 0 and int held
                ? $"{SpoolDir.Name} '{spool}' {what}. It holds an earlier run's spool ({Counted.Of(held, "file")} of batches not yet delivered, or of where it read {Input.Name}): make '{spool}' writable by this user (its file system read-write, its owner and permissions) and run the same command again, which delivers them and reads {Input.Name} on from where it stopped. A new directory, or none, would leave them behind and read {Input.Name} from its first line again: their events would be delivered twice."
                : $"{SpoolDir.Name} '{spool}' {what}. Give a directory this user may create and write, or leave {SpoolDir.Name} out.");
        }
    }
}
