using System.Globalization;
using RawDataDestination.Batching;
using RawDataDestination.Internal;
using RawDataDestination.S3;
using RawDataDestination.Staging;

namespace RawDataDestination.Cli;

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
    private readonly DestinationIdentity _identity;

    /// <summary>
    /// When the retention of the batches this run stages ends at the earliest: each is staged after the run starts, and
    /// kept for <see cref="StagingOptions.Retention"/> from then.
    /// </summary>
    private readonly DateTimeOffset _retentionEnds;

    internal StagedShipment(S3RoleDestination destination, StagingOptions stagingOptions, DestinationIdentity identity)
    {
        _destination = destination;
        _stagingOptions = stagingOptions;
        _identity = identity;
        StagingCommands.ThrowIfInvalid(stagingOptions);
        _retentionEnds = TimeProvider.System.GetUtcNow() + stagingOptions.Retention;
        try
        {
            _stager = new StagingConsumer(stagingOptions, destination.Location, identity.StagedFor);
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
        StagedCopyResult? pass = null;
        long stagedEvents = staged.Sum(receipt => receipt.EventCount);
        lines.WriteLine($"Staged {Counted.Of(stagedEvents, "event")}; copying {Counted.Either(stagedEvents, "it", "them")} to the customer's bucket (one copier pass).");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(signals.Quit);
        using CancellationTokenRegistration onSignal = signals.Token.Register(() => stop.CancelAfter(shutdownTimeout));
        var deliveries = new CopierDeliveries(stopPass: stop);
        using (StagedBatchCopier copier = StagingCommands.CreateCopier(_stagingOptions, _destination, _identity.Digest, deliveries))
        {
            try
            {
                pass = await copier.CopyOnceAsync(retryParkedNow: false, stop.Token).WaitAsync(signals.Quit).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested && signals.Received is null && deliveries.GaveUp)
            {
                lines.WriteLine($"The copier pass stopped at a staged batch it could not copy {(deliveries.RetryBudgetSpent ? "within --retry-time-limit" : "for a reason retrying cannot fix")}: {StagingCommands.Reasons(deliveries, parked: false, _stagingOptions)}. The events it did not deliver stay staged: {DeliverStagedHint}");
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                lines.WriteLine($"The copier pass was stopped; what it did not deliver stays staged {ForDeliverStaged}.");
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // The events are staged, which is what ship promises; the copier (deliver-staged) finishes them later.
                lines.WriteLine($"The copier pass failed ({FailureExplanation.Explain(exception, FailureExplanation.Staging(_stagingOptions), spoolDirectory: null)}); the events stay staged {ForDeliverStaged}.");
            }
        }

        var stagedHere = new HashSet<string>(staged.Select(receipt => receipt.Location), StringComparer.Ordinal);
        var ours = new List<UploadedObject>();
        int earlier = 0;
        long earlierEvents = 0;
        foreach ((string stagedKey, UploadedObject uploaded) in deliveries.Delivered)
        {
            if (stagedHere.Contains(StagedLocation(stagedKey)))
            {
                ours.Add(uploaded);
            }
            else
            {
                earlier++;
                earlierEvents += uploaded.EventCount;
            }
        }

        if (earlier > 0)
        {
            lines.WriteLine($"The copier pass also delivered {Counted.Of(earlier, "batch")} staged by earlier runs ({Counted.Of(earlierEvents, "event")}).");
        }

        if (pass is { ParkedBatches: > 0 })
        {
            lines.WriteLine($"{Counted.Of(pass.ParkedBatches, "staged batch")} {Counted.Either(pass.ParkedBatches, "is", "are")} parked: the customer's side refused {Counted.Either(pass.ParkedBatches, "it", "them")}: {StagingCommands.Reasons(deliveries, parked: true, _stagingOptions)}. {Counted.Either(pass.ParkedBatches, "It stays", "They stay")} staged: once that is fixed, {DeliverStagedHint}");
        }

        if (pass is { UnconfirmedBatches: > 0 })
        {
            lines.WriteLine(StagingCommands.NotSent(pass.UnconfirmedBatches, _stagingOptions));
        }

        if (pass is { FailedBatches: > 0 })
        {
            lines.WriteLine($"{Counted.Of(pass.FailedBatches, "staged batch")} could not be copied to the customer's bucket now: {StagingCommands.Reasons(deliveries, parked: false, _stagingOptions)}. {Counted.Either(pass.FailedBatches, "It stays", "They stay")} staged: {DeliverStagedHint}");
        }

        return (ours, pass);
    }

    /// <summary>
    /// The last line's words for events this run left staged (a signal, or a delivery that failed): where they are, and
    /// for what to run by when (<see cref="ForDeliverStaged"/>), as the copier pass's own lines say it.
    /// </summary>
    /// <param name="events">The events left staged.</param>
    public string StaysStaged(long events) =>
        $"{Counted.Of(events, "event")} {Counted.Either(events, "stays", "stay")} in the staging bucket {ForDeliverStaged}.";

    /// <summary>
    /// What to do about batches left staged, and by when: within the stage's retention, after which deliver-staged
    /// deletes those the customer's bucket still refuses.
    /// </summary>
    private string DeliverStagedHint =>
        $"run 'rawdata deliver-staged' with the same destination options and --stage-bucket to deliver them {Deadline}.";

    /// <summary>The one wording of what batches left staged wait for, and by when: "for 'rawdata deliver-staged', to run within 7 days of staging, by ...".</summary>
    private string ForDeliverStaged => $"for 'rawdata deliver-staged', to run {Deadline}";

    /// <summary>
    /// The deadline, and what happens past it: within the stage's retention (<see cref="ByWhen"/>); after it, deliver-staged
    /// tries each batch once more and deletes those the customer's bucket still refuses.
    /// </summary>
    private string Deadline => $"{ByWhen}; past that, it tries each batch once more and deletes those the customer's bucket still refuses";

    /// <summary>The retention deadline of this run's batches: "within 7 days of staging, by 2026-12-14 10:00 UTC for the batches this run staged".</summary>
    private string ByWhen =>
        $"within {StagingCommands.Period(_stagingOptions.Retention)} of staging, by {_retentionEnds.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC for the batches this run staged";

    /// <summary>The receipt location of the staged object at <paramref name="stagedKey"/> in the staging bucket.</summary>
    private string StagedLocation(string stagedKey) => $"s3://{BucketLocation.Parse(_stagingOptions.Bucket).BucketName}/{stagedKey}";

    /// <summary>Releases the staging client. The destination is the caller's.</summary>
    public void Dispose() => _stager.Dispose();
}
