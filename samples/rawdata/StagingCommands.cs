using RawDataDestination.Batching;
using RawDataDestination.S3;
using RawDataDestination.Staging;

namespace RawDataDestination.Cli;

/// <summary>
/// The logic of <c>rawdata deliver-staged</c> and of <c>rawdata ship --stage-bucket</c>, over settings already parsed
/// from the command line. Bad settings become a <see cref="UsageException"/> (exit code 2) with the validation message.
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

    /// <summary>
    /// <c>rawdata deliver-staged</c>: runs the copier over the destination's staging prefix until a pass delivers nothing,
    /// retrying parked batches at once. Exit 0 when everything was delivered, 1 when some batches are left parked or failing.
    /// </summary>
    public static async Task<int> DeliverStagedAsync(S3RoleDestinationOptions destinationOptions, StagingOptions stagingOptions, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        using S3RoleDestination destination = CreateDestination(destinationOptions);
        using StagedBatchCopier copier = CreateCopier(stagingOptions, destination);
        StagedCopyResult result = await copier.DrainAsync(cancellationToken).ConfigureAwait(false);
        await stdout.WriteLineAsync($"staging prefix:   s3://{StagingBucketName(stagingOptions)}/{copier.StagingPrefix}").ConfigureAwait(false);
        await PrintDeliveredAsync(stdout, result.Delivered).ConfigureAwait(false);
        await PrintLeftAsync(stdout, stderr, result).ConfigureAwait(false);
        return result.AllDelivered ? ExitCodes.Success : ExitCodes.DeliveryFailed;
    }

    /// <summary>
    /// Starts the staging side of <c>rawdata ship --stage-bucket</c> over the run's destination: give the buffer
    /// <see cref="StagedShipment.Consumer"/> instead of the destination, and call <see cref="StagedShipment.FinishAsync"/>
    /// with the buffer's receipts once it has flushed.
    /// </summary>
    public static StagedShipment StartShipment(S3RoleDestination destination, S3RoleDestinationOptions destinationOptions, StagingOptions stagingOptions) =>
        new(destination, destinationOptions, stagingOptions);

    /// <summary>Builds the destination, or throws a <see cref="UsageException"/> with the library's refusals in the user's words.</summary>
    internal static S3RoleDestination CreateDestination(S3RoleDestinationOptions options)
    {
        var problems = new List<string>();
        return DestinationOptions.TryCreate(options, problems) ?? throw new UsageException(string.Join(Environment.NewLine, problems));
    }

    internal static StagedBatchCopier CreateCopier(StagingOptions stagingOptions, S3RoleDestination destination)
    {
        try
        {
            return new StagedBatchCopier(stagingOptions, destination);
        }
        catch (ArgumentException exception)
        {
            throw new UsageException(exception.Message);
        }
    }

    internal static async Task PrintDeliveredAsync(TextWriter stdout, IReadOnlyCollection<UploadedObject> delivered)
    {
        await stdout.WriteLineAsync($"events delivered: {delivered.Sum(o => o.EventCount)}").ConfigureAwait(false);
        await stdout.WriteLineAsync($"objects written:  {delivered.Count}").ConfigureAwait(false);
        foreach (UploadedObject uploaded in delivered.OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            await stdout.WriteLineAsync($"  s3://{uploaded.Bucket}/{uploaded.Key} ({uploaded.EventCount} events, {uploaded.CompressedBytes} bytes)").ConfigureAwait(false);
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
/// batch as delivered once it is staged, and its receipt names the staged object), then one copier pass, and a report of
/// how many events were delivered and how many are still staged.
/// </summary>
internal sealed class StagedShipment : IDisposable
{
    private readonly S3RoleDestination _destination;
    private readonly S3RoleDestinationOptions _destinationOptions;
    private readonly StagingConsumer _stager;
    private readonly StagingOptions _stagingOptions;

    internal StagedShipment(S3RoleDestination destination, S3RoleDestinationOptions destinationOptions, StagingOptions stagingOptions)
    {
        _destination = destination;
        _destinationOptions = destinationOptions;
        _stagingOptions = stagingOptions;
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
    /// After the buffer flushed: one copier pass over the destination's staging prefix, then the summary. Exit 0: every
    /// accepted event is staged or delivered (a parked batch stays staged and counts as staged).
    /// </summary>
    /// <param name="staged">The buffer's receipts: what this run staged.</param>
    public async Task<int> FinishAsync(IReadOnlyCollection<BatchReceipt> staged, long read, long rejected, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(staged);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        StagedCopyResult pass;
        using (StagedBatchCopier copier = StagingCommands.CreateCopier(_stagingOptions, _destination))
        {
            try
            {
                pass = await copier.CopyOnceAsync(retryParkedNow: false, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // The events are staged, which is what ship promises; the copier (deliver-staged) finishes them later.
                await stderr.WriteLineAsync($"The copier pass failed ({FailureExplanation.Explain(exception, _destinationOptions)}); the events stay staged for 'rawdata deliver-staged'.").ConfigureAwait(false);
                pass = new StagedCopyResult([], 0, 0, 0, 0);
            }
        }

        HashSet<string> stagedHere = staged.Select(receipt => receipt.Location).ToHashSet(StringComparer.Ordinal);
        var ours = pass.Delivered.Where(delivered => stagedHere.Contains(StagedLocation(delivered))).ToList();
        long delivered = ours.Sum(o => o.EventCount);
        await stdout.WriteLineAsync($"events read:      {read}").ConfigureAwait(false);
        await stdout.WriteLineAsync($"events rejected:  {rejected}").ConfigureAwait(false);
        await stdout.WriteLineAsync($"events staged:    {staged.Sum(receipt => receipt.EventCount) - delivered} (still in the staging bucket)").ConfigureAwait(false);
        await StagingCommands.PrintDeliveredAsync(stdout, ours).ConfigureAwait(false);
        long earlier = pass.Delivered.Count - ours.Count;
        if (earlier > 0)
        {
            await stdout.WriteLineAsync($"also delivered {earlier} batch(es) staged by earlier runs ({pass.DeliveredEvents - delivered} events)").ConfigureAwait(false);
        }

        if (pass.ParkedBatches > 0)
        {
            await stderr.WriteLineAsync($"{pass.ParkedBatches} staged batch(es) are parked: the customer's bucket refused them. They stay staged; see the log and 'rawdata deliver-staged'.").ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }

    /// <summary>
    /// Where the staging consumer put the batch the copier delivered as <paramref name="delivered"/>: its receipt's
    /// location, <c>s3://{stage-bucket}/{stage-prefix/}~{customer-bucket}/{customer key}</c> (the staged layout
    /// <see cref="StagingConsumer"/> documents).
    /// </summary>
    private string StagedLocation(UploadedObject delivered)
    {
        BucketLocation stage = BucketLocation.Parse(_stagingOptions.Bucket);
        return $"s3://{stage.BucketName}/{(stage.Prefix.Length == 0 ? string.Empty : stage.Prefix + "/")}~{delivered.Bucket}/{delivered.Key}";
    }

    /// <summary>Releases the staging client. The destination is the caller's.</summary>
    public void Dispose() => _stager.Dispose();
}
