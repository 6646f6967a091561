using RawDataDestination.Batching;
using RawDataDestination.S3;
using RawDataDestination.Staging;

namespace RawDataDestination.Cli;

/// <summary>
/// The logic of <c>rawdata deliver-staged</c> and of <c>rawdata ship --stage-bucket</c>, over settings already parsed
/// from the command line. Bad settings become a <see cref="UsageException"/> (exit code 2) with the library's messages,
/// composed with the flags.
/// </summary>
internal static class StagingCommands
{
    /// <summary>The options of the staging bucket, shared by both verbs.</summary>
    public const string Usage = "--stage-bucket BUCKET[/prefix] [--stage-region R] [--stage-endpoint-url URL]";

    /// <summary>
    /// Builds the staging options from <c>--stage-bucket</c> and its optional region and endpoint, which default to the
    /// destination's <c>--region</c> and <c>--endpoint-url</c> (one S3-compatible server for both, as in tests).
    /// </summary>
    public static StagingOptions ToOptions(string stageBucket, string? stageRegion, Uri? stageEndpointUrl, S3RoleDestinationOptions destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        return new StagingOptions
        {
            Bucket = stageBucket,
            Region = stageRegion ?? destination.Region,
            ServiceUrl = stageEndpointUrl ?? destination.ServiceUrl,
        };
    }

    /// <summary>The library's refusals of the staging settings, in the flags' words.</summary>
    public static IEnumerable<string> Problems(StagingOptions options) =>
        StagingSettings.Validate(options, SettingFlags.Words).Select(problem => problem.Message);

    /// <summary>
    /// <c>rawdata deliver-staged</c>: runs the copier over the destination's staging prefix until a pass delivers nothing,
    /// retrying parked batches at once. Exit 0 when everything was delivered, 1 when some batches are left parked or
    /// failing; on SIGINT or SIGTERM it stops at once (what is not delivered stays staged), prints what it delivered, and
    /// exits 130 or 143.
    /// </summary>
    public static async Task<int> DeliverStagedAsync(S3RoleDestinationOptions destinationOptions, StagingOptions stagingOptions, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        using S3RoleDestination destination = CreateDestination(destinationOptions);
        var deliveries = new CopierDeliveries();
        using StagedBatchCopier copier = CreateCopier(stagingOptions, destination, deliveries);
        var lines = new StderrLines(stderr);
        using var signals = new ShutdownSignals(lines.WriteLine);
        await stdout.WriteLineAsync($"staging prefix:   s3://{StagingBucketName(stagingOptions)}/{copier.StagingPrefix}").ConfigureAwait(false);
        StagedCopyResult result;
        try
        {
            result = await copier.DrainAsync(signals.Token).WaitAsync(signals.Quit).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (signals.Received is not null)
        {
            // Stopped: what each copy under way had not finished stays staged for the next run.
            var delivered = deliveries.Delivered.Select(d => new UploadedObject(d.Bucket, d.Key, d.EventCount, 0, 0)).ToList();
            await PrintDeliveredAsync(stdout, delivered).ConfigureAwait(false);
            lines.WriteLine($"Stopped by {signals.Received}: what was not delivered stays staged; run deliver-staged again.");
            return signals.ExitCode;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            lines.WriteLine($"deliver-staged failed: {FailureExplanation.Explain(exception, FailureExplanation.Staging(stagingOptions), spoolDirectory: null)}");
            return ExitCodes.DeliveryFailed;
        }

        await PrintDeliveredAsync(stdout, result.Delivered).ConfigureAwait(false);
        await PrintLeftAsync(stdout, stderr, result).ConfigureAwait(false);
        if (signals.Received is not null)
        {
            return signals.ExitCode;
        }

        return result.AllDelivered ? ExitCodes.Success : ExitCodes.DeliveryFailed;
    }

    /// <summary>
    /// Starts the staging side of <c>rawdata ship --stage-bucket</c> over the run's destination: give the buffer
    /// <see cref="StagedShipment.Consumer"/> instead of the destination, and call <see cref="StagedShipment.CopyAsync"/>
    /// with the buffer's receipts once it has flushed.
    /// </summary>
    public static StagedShipment StartShipment(S3RoleDestination destination, StagingOptions stagingOptions) =>
        new(destination, stagingOptions);

    /// <summary>Builds the destination, or throws a <see cref="UsageException"/> with the library's refusals in the flags' words.</summary>
    internal static S3RoleDestination CreateDestination(S3RoleDestinationOptions options)
    {
        var problems = new List<string>();
        return DestinationOptions.TryCreate(options, problems) ?? throw new UsageException(string.Join(Environment.NewLine, problems));
    }

    internal static StagedBatchCopier CreateCopier(StagingOptions stagingOptions, S3RoleDestination destination, CopierDeliveries? deliveries = null)
    {
        ThrowIfInvalid(stagingOptions);
        return new StagedBatchCopier(stagingOptions, destination, loggerFactory: deliveries);
    }

    /// <summary>Refuses invalid staging settings with the library's messages, in the flags' words.</summary>
    internal static void ThrowIfInvalid(StagingOptions options)
    {
        List<string> problems = [.. Problems(options)];
        if (problems.Count > 0)
        {
            throw new UsageException(string.Join(Environment.NewLine, problems));
        }
    }

    internal static async Task PrintDeliveredAsync(TextWriter stdout, IReadOnlyCollection<UploadedObject> delivered)
    {
        await stdout.WriteLineAsync($"events delivered: {delivered.Sum(o => o.EventCount)}").ConfigureAwait(false);
        await stdout.WriteLineAsync($"objects written:  {delivered.Count}").ConfigureAwait(false);
        foreach (UploadedObject uploaded in delivered.OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            await stdout.WriteLineAsync($"  s3://{uploaded.Bucket}/{uploaded.Key} ({uploaded.EventCount} events{(uploaded.CompressedBytes > 0 ? $", {uploaded.CompressedBytes} bytes" : string.Empty)})").ConfigureAwait(false);
        }
    }

    internal static async Task PrintLeftAsync(TextWriter stdout, TextWriter stderr, StagedCopyResult result)
    {
        await stdout.WriteLineAsync($"batches parked:   {result.ParkedBatches} ({result.ParkedEvents} events)").ConfigureAwait(false);
        await stdout.WriteLineAsync($"batches failing:  {result.FailedBatches}").ConfigureAwait(false);
        await stdout.WriteLineAsync($"batches expired:  {result.ExpiredBatches}").ConfigureAwait(false);
        if (result.ParkedBatches > 0)
        {
            await stderr.WriteLineAsync($"{result.ParkedBatches} batch(es) stay staged, parked: the customer's bucket refused them. Each one's reason is in the marker object beside it in the staging bucket, '<staged key>.parked.json'; run deliver-staged again once the customer's setup is fixed.").ConfigureAwait(false);
        }

        if (result.FailedBatches > 0)
        {
            await stderr.WriteLineAsync($"{result.FailedBatches} batch(es) failed for a transient reason and stay staged; run deliver-staged again.").ConfigureAwait(false);
        }

        if (result.ExpiredBatches > 0)
        {
            await stderr.WriteLineAsync($"{result.ExpiredBatches} batch(es) were past their retention and were deleted undelivered.").ConfigureAwait(false);
        }
    }

    /// <summary>The staging bucket's name, for messages (the options were validated when the copier was built).</summary>
    private static string StagingBucketName(StagingOptions options) =>
        BucketLocation.TryParse(options.Bucket, out BucketLocation location) ? location.BucketName : options.Bucket;
}

/// <summary>
/// One run of <c>rawdata ship --stage-bucket</c>: the buffer's consumer stages every sealed batch (the buffer counts a
/// batch as delivered once it is staged, and its receipt names the staged object), then one copier pass moves what the
/// customer's bucket takes now.
/// </summary>
internal sealed class StagedShipment : IDisposable
{
    private readonly S3RoleDestination _destination;
    private readonly StagingConsumer _stager;
    private readonly StagingOptions _stagingOptions;

    internal StagedShipment(S3RoleDestination destination, StagingOptions stagingOptions)
    {
        _destination = destination;
        _stagingOptions = stagingOptions;
        StagingCommands.ThrowIfInvalid(stagingOptions);
        try
        {
            _stager = new StagingConsumer(stagingOptions, destination.Location);
        }
        catch (ArgumentException exception)
        {
            throw new UsageException(exception.Message);
        }
    }

    /// <summary>Gets the buffer's consumer: stages each batch, and returns a receipt naming the staged object.</summary>
    public ISealedBatchConsumer Consumer => _stager;

    /// <summary>
    /// After the buffer flushed: one copier pass over the destination's staging prefix. A first signal gives the pass
    /// <paramref name="shutdownTimeout"/> to finish the copies under way, a second one stops it at once; what it did not
    /// deliver stays staged (safe) for <c>rawdata deliver-staged</c>.
    /// </summary>
    /// <param name="staged">The buffer's receipts: what this run staged.</param>
    /// <param name="signals">The run's signals.</param>
    /// <param name="shutdownTimeout">How long a signal lets the pass go on.</param>
    /// <param name="lines">Where notices go.</param>
    /// <returns>The objects the pass wrote to the customer's bucket from this run's batches, and what it left parked.</returns>
    public async Task<(IReadOnlyList<UploadedObject> Ours, StagedCopyResult? Pass)> CopyAsync(IReadOnlyCollection<BatchReceipt> staged, ShutdownSignals signals, TimeSpan shutdownTimeout, StderrLines lines)
    {
        ArgumentNullException.ThrowIfNull(staged);
        ArgumentNullException.ThrowIfNull(signals);
        ArgumentNullException.ThrowIfNull(lines);
        var deliveries = new CopierDeliveries();
        StagedCopyResult? pass = null;
        lines.WriteLine($"Staged {staged.Sum(receipt => receipt.EventCount)} event(s); copying them to the customer's bucket (one copier pass).");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(signals.Quit);
        using CancellationTokenRegistration onSignal = signals.Token.Register(() => stop.CancelAfter(shutdownTimeout));
        using (StagedBatchCopier copier = StagingCommands.CreateCopier(_stagingOptions, _destination, deliveries))
        {
            try
            {
                pass = await copier.CopyOnceAsync(retryParkedNow: false, stop.Token).WaitAsync(signals.Quit).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                lines.WriteLine("The copier pass was stopped; what it did not deliver stays staged for 'rawdata deliver-staged'.");
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // The events are staged, which is what ship promises; the copier (deliver-staged) finishes them later.
                lines.WriteLine($"The copier pass failed ({FailureExplanation.Explain(exception, FailureExplanation.Staging(_stagingOptions), spoolDirectory: null)}); the events stay staged for 'rawdata deliver-staged'.");
            }
        }

        Dictionary<string, BatchReceipt> stagedHere = staged.ToDictionary(receipt => receipt.Location, StringComparer.Ordinal);
        var ours = new List<UploadedObject>();
        int earlier = 0;
        long earlierEvents = 0;
        foreach ((string stagedKey, string bucket, string key, long events) in deliveries.Delivered)
        {
            if (stagedHere.TryGetValue(StagedLocation(stagedKey), out BatchReceipt? receipt))
            {
                ours.Add(new UploadedObject(bucket, key, events, receipt.UncompressedBytes, receipt.CompressedBytes));
            }
            else
            {
                earlier++;
                earlierEvents += events;
            }
        }

        if (earlier > 0)
        {
            lines.WriteLine($"The copier pass also delivered {earlier} batch(es) staged by earlier runs ({earlierEvents} events).");
        }

        if (pass is { ParkedBatches: > 0 })
        {
            lines.WriteLine($"{pass.ParkedBatches} staged batch(es) are parked: the customer's bucket refused them. They stay staged; see 'rawdata deliver-staged'.");
        }

        return (ours, pass);
    }

    /// <summary>The receipt location of the staged object at <paramref name="stagedKey"/> in the staging bucket.</summary>
    private string StagedLocation(string stagedKey) => $"s3://{BucketLocation.Parse(_stagingOptions.Bucket).BucketName}/{stagedKey}";

    /// <summary>Releases the staging client. The destination is the caller's.</summary>
    public void Dispose() => _stager.Dispose();
}
