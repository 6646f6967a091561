using System.Collections.Concurrent;
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
        await stdout.WriteLineAsync($"staging prefix:   s3://{new StagingOptionsView(stagingOptions).BucketName}/{copier.StagingPrefix}").ConfigureAwait(false);
        await PrintDeliveredAsync(stdout, result.Delivered).ConfigureAwait(false);
        await PrintLeftAsync(stdout, stderr, result).ConfigureAwait(false);
        return result.AllDelivered ? ExitCodes.Success : ExitCodes.DeliveryFailed;
    }

    /// <summary>
    /// Starts the staging side of <c>rawdata ship --stage-bucket</c>: give <see cref="StagedShipment.Consumer"/> to the
    /// buffer instead of the destination, and call <see cref="StagedShipment.FinishAsync"/> once the buffer has flushed.
    /// </summary>
    public static StagedShipment StartShipment(S3RoleDestinationOptions destinationOptions, StagingOptions stagingOptions)
    {
        S3RoleDestination destination = CreateDestination(destinationOptions);
        try
        {
            return new StagedShipment(destination, destinationOptions, stagingOptions);
        }
        catch
        {
            destination.Dispose();
            throw;
        }
    }

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
            await stderr.WriteLineAsync($"{result.ParkedBatches} batch(es) stay staged, parked: the customer's bucket refused them. Each one's reason is in '{{staged key}}{".parked.json"}' beside it, and in the log.").ConfigureAwait(false);
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

    /// <summary>The bucket name of the staging options, for messages (the options are validated when the copier is built).</summary>
    private readonly record struct StagingOptionsView(StagingOptions Options)
    {
        public string BucketName => BucketLocation.TryParse(Options.Bucket, out BucketLocation location) ? location.BucketName : Options.Bucket;
    }
}

/// <summary>
/// One run of <c>rawdata ship --stage-bucket</c>: stages every sealed batch (the buffer acknowledges a batch once it is
/// staged), then makes one copier pass and reports how many events were delivered and how many are still staged.
/// </summary>
internal sealed class StagedShipment : ISealedBatchConsumer, IDisposable
{
    private readonly S3RoleDestination _destination;
    private readonly S3RoleDestinationOptions _destinationOptions;
    private readonly StagingConsumer _stager;
    private readonly StagingOptions _stagingOptions;
    private readonly ConcurrentDictionary<string, UploadedObject> _staged = new(StringComparer.Ordinal);

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

    /// <summary>Gets the consumer to give the buffer.</summary>
    public ISealedBatchConsumer Consumer => this;

    /// <summary>Gets the number of events staged so far by this run.</summary>
    public long StagedEvents => _staged.Values.Sum(o => o.EventCount);

    /// <summary>Gets what this run staged, keyed by the customer key each batch is bound for.</summary>
    public IReadOnlyDictionary<string, UploadedObject> Staged => _staged;

    /// <inheritdoc />
    public async Task<BatchReceipt> ConsumeAsync(SealedBatch batch, CancellationToken cancellationToken)
    {
        UploadedObject staged = await _stager.StageAsync(batch, cancellationToken).ConfigureAwait(false);
        _staged[_destination.GetObjectKey(batch)] = staged; // keyed by the customer key the copier reports
        return staged.ToReceipt();
    }

    /// <summary>
    /// After the buffer flushed: one copier pass over the destination's staging prefix, then the summary. Exit 0: every
    /// accepted event is staged or delivered (a parked batch stays staged and counts as staged).
    /// </summary>
    public async Task<int> FinishAsync(long read, long rejected, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
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

        var ours = pass.Delivered.Where(o => _staged.ContainsKey(o.Key)).ToList();
        long delivered = ours.Sum(o => o.EventCount);
        long staged = StagedEvents - delivered;
        await stdout.WriteLineAsync($"events read:      {read}").ConfigureAwait(false);
        await stdout.WriteLineAsync($"events rejected:  {rejected}").ConfigureAwait(false);
        await stdout.WriteLineAsync($"events staged:    {staged} (still in the staging bucket)").ConfigureAwait(false);
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

    /// <summary>Releases the staging client and the destination.</summary>
    public void Dispose()
    {
        _stager.Dispose();
        _destination.Dispose();
    }
}
