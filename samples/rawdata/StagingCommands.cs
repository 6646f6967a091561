using RawDataDestination.Batching;
using RawDataDestination.Internal;
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

    /// <summary>How many distinct errors a message about batches left staged names.</summary>
    private const int MaxReasons = 3;

    /// <summary>How many customer keys a message about batches deleted undelivered names.</summary>
    private const int MaxKeysNamed = 3;

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
            AllowUnknownRegion = destination.AllowUnknownRegion, // one --allow-unknown-region for both regions
            ServiceUrl = stageEndpointUrl ?? destination.ServiceUrl,
        };
    }

    /// <summary>The library's refusals of the staging settings, in the flags' words.</summary>
    public static IEnumerable<string> Problems(StagingOptions options) =>
        options.Problems(SettingFlags.Words).Select(problem => problem.Message);

    /// <summary>
    /// <c>rawdata deliver-staged</c>: runs the copier over the destination's staging prefix until a pass delivers nothing,
    /// retrying parked batches at once. Exit 0 when everything was delivered, 1 when some batches are left parked or
    /// failing; on SIGINT or SIGTERM it stops at once (what is not delivered stays staged), prints what it delivered, and
    /// exits 130 or 143. With <paramref name="identity"/>, it delivers the batches ship staged with that identity; when
    /// there are none, but batches are staged for the same bucket and path prefix with another identity, or by an earlier
    /// version with none, it refuses, exit 2, naming what differs and what to run (<see cref="StagedForOthersAsync"/>).
    /// Without (<c>--without-identity</c>), it delivers the batches staged with no identity, as earlier versions did.
    /// </summary>
    public static async Task<int> DeliverStagedAsync(S3RoleDestinationOptions destinationOptions, StagingOptions stagingOptions, DestinationIdentity? identity, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        using S3RoleDestination destination = CreateDestination(destinationOptions);
        var lines = new StderrLines(stderr);
        using var signals = new ShutdownSignals(lines.WriteLine, firstStop: "stopping the copies; what is not delivered stays staged");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(signals.Token); // a signal, or a spent retry budget
        var deliveries = new CopierDeliveries(stopPass: stop);
        using StagedBatchCopier copier = CreateCopier(stagingOptions, destination, identity?.Digest, deliveries);

        // The copies go on whatever becomes of the report: a standard output that refuses writes (> /dev/full, | head -1)
        // is said once, on stderr, with the counts, and the exit code is the delivery's.
        var report = new DroppingWriter(stdout);
        (int exitCode, StagedCopyResult? drained) = await CopyAllAsync(report).ConfigureAwait(false);
        if (report.Failure is { } failure)
        {
            IReadOnlyCollection<UploadedObject> delivered = drained?.Delivered ?? [.. deliveries.Delivered.Select(d => d.Uploaded)];
            string left = drained is { } r ? $", batches parked {r.ParkedBatches}, failing {r.FailedBatches}, expired {r.ExpiredBatches}" : string.Empty;
            lines.WriteLine($"{FailedWrites.StandardOutput(failure)}, so the report of deliver-staged is missing or cut short: events delivered {delivered.Sum(o => o.EventCount)}, objects written {delivered.Count}{left}. The exit code says how the delivery went.");
        }

        return exitCode;

        // The passes, and the report on stdout: the exit code, and the copier's result when the passes ended on their own.
        async Task<(int ExitCode, StagedCopyResult? Result)> CopyAllAsync(TextWriter stdout)
        {
            await stdout.WriteLineAsync($"staging prefix:   s3://{StagingBucketName(stagingOptions)}/{copier.StagingPrefix}").ConfigureAwait(false);
            StagedCopyResult result;
            try
            {
                result = await copier.DrainAsync(stop.Token).WaitAsync(signals.Quit).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (signals.Received is not null || deliveries.GaveUp)
            {
                // Stopped: what each copy under way had not finished stays staged for the next run.
                // The same count lines as a pass that ended, as far as the copies told them, so that a script reads them whatever stopped it.
                var delivered = deliveries.Delivered.Select(d => d.Uploaded).ToList();
                await PrintDeliveredAsync(stdout, delivered).ConfigureAwait(false);
                string mayBe = await PrintMayBeInTheBucketAsync(stdout, deliveries).ConfigureAwait(false);
                await stdout.WriteLineAsync($"batches parked:   {deliveries.Parked()}").ConfigureAwait(false);
                await stdout.WriteLineAsync($"batches failing:  {deliveries.Failing()}").ConfigureAwait(false);
                if (signals.Received is not null)
                {
                    lines.WriteLine($"Stopped by {signals.Received}: what was not delivered stays staged; run deliver-staged again.{mayBe}");
                    return (signals.ExitCode, null);
                }

                string how = deliveries.RetryBudgetSpent ? $"within --retry-time-limit {Duration.Format(destinationOptions.RetryTimeLimit)}" : "for a reason retrying cannot fix";
                lines.WriteLine($"deliver-staged stopped at a staged batch it could not copy {how}: {Reasons(deliveries, parked: false, stagingOptions)}. What was not delivered stays staged; run deliver-staged again once that is fixed.{mayBe}");
                return (ExitCodes.DeliveryFailed, null);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                lines.WriteLine($"deliver-staged failed: {FailureExplanation.Explain(exception, FailureExplanation.Staging(stagingOptions), spoolDirectory: null)}");
                return (ExitCodes.DeliveryFailed, null);
            }

            await PrintDeliveredAsync(stdout, result.Delivered).ConfigureAwait(false);
            if (await PrintMayBeInTheBucketAsync(stdout, deliveries).ConfigureAwait(false) is { Length: > 0 } mayBeThere)
            {
                lines.WriteLine(mayBeThere.TrimStart());
            }

            await PrintLeftAsync(stdout, stderr, result, deliveries, stagingOptions).ConfigureAwait(false);
            string? others = identity is null || signals.Received is not null
                ? null
                : await StagedForOthersAsync(stagingOptions, destination.Location, identity, signals.Token).ConfigureAwait(false);
            if (result.Delivered.Count == 0 && result.AllDelivered && signals.Received is null)
            {
                if (others is not null)
                {
                    // Nothing of this run's own, and batches for this bucket of another customer's, or of none said: refused.
                    lines.WriteLine(others);
                    return (ExitCodes.BadSetting, result);
                }

                lines.WriteLine(await NothingStagedAsync(stagingOptions, destination.Location, copier.StagingPrefix, signals.Token).ConfigureAwait(false));
            }
            else if (others is not null)
            {
                lines.WriteLine(others);
            }
            if (signals.Received is not null)
            {
                return (signals.ExitCode, result);
            }

            return (result.AllDelivered ? ExitCodes.Success : ExitCodes.DeliveryFailed, result);
        }
    }

    /// <summary>
    /// Starts the staging side of <c>rawdata ship --stage-bucket</c> over the run's destination: give the buffer
    /// <see cref="StagedShipment.Consumer"/> instead of the destination, and call <see cref="StagedShipment.CopyAsync"/>
    /// with the buffer's receipts once it has flushed.
    /// </summary>
    public static StagedShipment StartShipment(S3RoleDestination destination, StagingOptions stagingOptions, DestinationIdentity identity) =>
        new(destination, stagingOptions, identity);

    /// <summary>Builds the destination, or throws a <see cref="UsageException"/> with the library's refusals in the flags' words.</summary>
    internal static S3RoleDestination CreateDestination(S3RoleDestinationOptions options)
    {
        var problems = new List<string>();
        return DestinationOptions.TryCreate(options, problems) ?? throw new UsageException(string.Join(Environment.NewLine, problems));
    }

    /// <summary>Builds the copier of the batches staged for <paramref name="destination"/> with identity tag <paramref name="tag"/> (<see cref="DestinationIdentity.Digest"/>), or, <see langword="null"/>, with none.</summary>
    internal static StagedBatchCopier CreateCopier(StagingOptions stagingOptions, S3RoleDestination destination, string? tag, CopierDeliveries? deliveries = null)
    {
        ThrowIfInvalid(stagingOptions);
        var copier = new StagedBatchCopier(stagingOptions, destination, tag);
        deliveries?.Watch(copier);
        return copier;
    }

    /// <summary>
    /// Why batches stay staged, for the user: the distinct explanations of the errors that parked them (or, when
    /// <paramref name="parked"/> is false, that failed them), in the flags' words, at most three; "no error was recorded"
    /// when none was (a staged copy whose bytes no longer match their checksum, say, which the log names).
    /// </summary>
    internal static string Reasons(CopierDeliveries deliveries, bool parked, StagingOptions stagingOptions)
    {
        ArgumentNullException.ThrowIfNull(deliveries);
        S3Target target = FailureExplanation.Staging(stagingOptions);
        List<string> reasons = [.. deliveries.Setbacks
            .Where(setback => setback.Parked == parked)
            .Select(setback => FailureExplanation.Explain(setback.Error, target, spoolDirectory: null).TrimEnd().TrimEnd('.'))
            .Distinct(StringComparer.Ordinal)];
        return reasons.Count switch
        {
            0 => "no error was recorded",
            <= MaxReasons => string.Join("; ", reasons),
            _ => $"{string.Join("; ", reasons.Take(MaxReasons))}; and {Counted.Of(reasons.Count - MaxReasons, "other error")}",
        };
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
            await stdout.WriteLineAsync($"  {uploaded.Location} ({Counted.Of(uploaded.EventCount, "event")}{(uploaded.CompressedBytes > 0 ? $", {Counted.Of(uploaded.CompressedBytes, "byte")}" : string.Empty)})").ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Prints the events of the batches not delivered that may be in the customer's bucket all the same, and where each may
    /// be, as ship does for its uploads; returns the sentence for stderr that says so (starting with a space), or an empty
    /// string when there are none.
    /// </summary>
    internal static async Task<string> PrintMayBeInTheBucketAsync(TextWriter stdout, CopierDeliveries deliveries)
    {
        IReadOnlyList<UndeliveredStagedBatch> mayBe = deliveries.MayBeInTheBucket();
        if (mayBe.Count == 0)
        {
            return string.Empty;
        }

        long events = mayBe.Sum(batch => batch.EventCount);
        await stdout.WriteLineAsync($"may be delivered: {events} (not counted delivered: {Counted.Of(mayBe.Count, "staged batch")} whose upload was sent in full and got no answer, or was stopped while it waited for one; they stay staged)").ConfigureAwait(false);
        foreach (UndeliveredStagedBatch batch in mayBe)
        {
            await stdout.WriteLineAsync($"  may be at {batch.MayBeAt} ({Counted.Of(batch.EventCount, "event")})").ConfigureAwait(false);
        }

        return $" {Counted.Of(mayBe.Count, "batch")} of those not delivered ({Counted.Of(events, "event")}) may be in the customer's bucket all the same: {Counted.Either(mayBe.Count, "its", "their")} upload was sent in full and got no answer (listed as 'may be at' above). "
            + $"{Counted.Either(mayBe.Count, "It stays", "They stay")} staged, and the next run writes the same {Counted.Either(mayBe.Count, "key", "keys")} again, never new ones (without conditional writes a versioned bucket keeps each write as a version).";
    }

    internal static async Task PrintLeftAsync(TextWriter stdout, TextWriter stderr, StagedCopyResult result, CopierDeliveries deliveries, StagingOptions stagingOptions)
    {
        await stdout.WriteLineAsync($"batches parked:   {result.ParkedBatches} ({Counted.Of(result.ParkedEvents, "event")})").ConfigureAwait(false);
        await stdout.WriteLineAsync($"batches failing:  {result.FailedBatches}").ConfigureAwait(false);
        await stdout.WriteLineAsync($"batches expired:  {result.ExpiredBatches}{(result.ExpiredBatches > 0 ? $" ({Counted.Of(result.ExpiredEvents, "event")} lost)" : string.Empty)}").ConfigureAwait(false);
        await stdout.WriteLineAsync($"batches not sent: {result.UnconfirmedBatches}").ConfigureAwait(false);
        if (result.ParkedBatches > 0)
        {
            await stderr.WriteLineAsync($"{Counted.Of(result.ParkedBatches, "batch")} {Counted.Either(result.ParkedBatches, "stays", "stay")} staged, parked: the customer's side refused {Counted.Either(result.ParkedBatches, "it", "them")}: {Reasons(deliveries, parked: true, stagingOptions)}. {Counted.Either(result.ParkedBatches, "Its", "Each one's")} reason is also in the marker object beside it in the staging bucket, '<staged key>.parked.json'; run deliver-staged again once the customer's setup is fixed.").ConfigureAwait(false);
        }

        if (result.FailedBatches > 0)
        {
            await stderr.WriteLineAsync($"{Counted.Of(result.FailedBatches, "batch")} failed for a transient reason and {Counted.Either(result.FailedBatches, "stays", "stay")} staged: {Reasons(deliveries, parked: false, stagingOptions)}. Run deliver-staged again.").ConfigureAwait(false);
        }

        if (result.UnconfirmedBatches > 0)
        {
            await stderr.WriteLineAsync(NotSent(result.UnconfirmedBatches, stagingOptions)).ConfigureAwait(false);
        }

        if (result.ExpiredBatches > 0)
        {
            await stderr.WriteLineAsync(Expired(result, stagingOptions)).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// What was lost: the batches past their retention that the customer's bucket refused once more, so were deleted
    /// undelivered, with their event count, the customer's refusals, and their customer bucket and keys (the first few).
    /// </summary>
    internal static string Expired(StagedCopyResult result, StagingOptions stagingOptions)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(stagingOptions);
        int batches = result.ExpiredBatches;
        IReadOnlyList<ExpiredStagedBatch> named = result.Expired;
        string refusals = named.Count == 0 ? string.Empty : $" ({string.Join(", ", named.Select(b => b.ErrorCode).Distinct(StringComparer.Ordinal))})";
        string keys = named.Count == 0
            ? string.Empty
            : $": {string.Join(", ", named.Take(MaxKeysNamed).Select(b => b.Location))}{(named.Count > MaxKeysNamed ? $" and {named.Count - MaxKeysNamed} more" : string.Empty)}";
        return $"{Counted.Of(batches, "batch")} {Counted.Either(batches, "was", "were")} past {Counted.Either(batches, "its", "their")} retention of {Period(stagingOptions.Retention)} and the customer's bucket refused {Counted.Either(batches, "it", "them")} once more{refusals}, so {Counted.Either(batches, "it was", "they were")} deleted undelivered: {Counted.Of(result.ExpiredEvents, "event")} lost{keys}. Ship those events again from their source if they are wanted.";
    }

    /// <summary>A retention, for messages: "7 days", "36 hours", or minutes or seconds.</summary>
    internal static string Period(TimeSpan retention) =>
        retention.Ticks % TimeSpan.TicksPerDay == 0 ? Counted.Of((long)retention.TotalDays, "day")
        : retention.Ticks % TimeSpan.TicksPerHour == 0 ? Counted.Of((long)retention.TotalHours, "hour")
        : Duration.Format(retention);

    /// <summary>What to do with staged objects the copier never sends (their bytes changed, or their metadata does not name this destination): each is named in an error above.</summary>
    internal static string NotSent(int objects, StagingOptions stagingOptions) =>
        $"{Counted.Of(objects, "staged object")} {Counted.Either(objects, "is", "are")} not sent and never will be by deliver-staged: {Counted.Either(objects, "its", "their")} bytes changed since staging, or {Counted.Either(objects, "its", "their")} metadata does not name this destination (the errors above name each key and why). " +
        $"{Counted.Either(objects, "It stays", "They stay")} in s3://{stagingOptions.Bucket} for a person: ship {Counted.Either(objects, "its", "their")} events again from their source if they are not in the customer's bucket, then delete {Counted.Either(objects, "it", "them")}.";

    /// <summary>
    /// Says that nothing is staged for this destination, and, from the first page (1000 keys) of the stage prefix, which
    /// destinations batches are staged for there, and under which deeper stage prefixes (ship's <c>--stage-bucket
    /// stage/st</c> when this run was given <c>stage</c>): a --bucket or --stage-bucket other than ship used finds nothing,
    /// and exits 0. It claims the rest of the stage empty only as far as it listed it.
    /// </summary>
    private static async Task<string> NothingStagedAsync(StagingOptions stagingOptions, BucketLocation destination, string stagingPrefix, CancellationToken cancellationToken)
    {
        const int Page = 1000;
        StagingSettings settings = StagingSettings.From(stagingOptions);
        string stagePrefix = settings.Location.Prefix.Length == 0 ? string.Empty : settings.Location.Prefix + "/";
        var others = new SortedSet<string>(StringComparer.Ordinal);
        var deeper = new SortedSet<string>(StringComparer.Ordinal);
        int? listed = null;
        try
        {
            using var store = new StagingStore(settings, credentials: null);
            List<Amazon.S3.Model.S3Object> keys = await store.ListFirstAsync(stagePrefix, Page, cancellationToken).ConfigureAwait(false);
            listed = keys.Count;
            foreach (Amazon.S3.Model.S3Object staged in keys)
            {
                if (StagingKeys.TryParseStaged(staged.Key, out string prefix, out string bucket, out string customerKey, out _) && ObjectKeyLayout.PathPrefixOf(customerKey) is { } pathPrefix)
                {
                    if (prefix == settings.Location.Prefix)
                    {
                        others.Add(pathPrefix.Length == 0 ? bucket : $"{bucket}/{pathPrefix}");
                    }
                    else
                    {
                        deeper.Add($"{settings.Location.BucketName}/{prefix}");
                    }
                }
            }
        }
        catch (Exception exception) when (exception is Amazon.Runtime.AmazonServiceException or HttpRequestException or IOException or OperationCanceledException)
        {
            // The drain listed this prefix a moment ago; without the wider listing, the message names no other destination.
        }

        string where = $"s3://{settings.Location.BucketName}/{stagingPrefix}";
        string under = $"s3://{settings.Location.BucketName}/{stagePrefix}";
        string check = "Check --bucket and --stage-bucket: they must be the ones ship used.";
        string found = string.Join(' ', new[]
        {
            others.Count == 0 ? null : $"The staging bucket holds batches staged for {string.Join(", ", others.Take(MaxReasons).Select(other => $"--bucket '{other}' (s3://{other}/)"))}{(others.Count > MaxReasons ? $" and {others.Count - MaxReasons} more" : string.Empty)}.",
            deeper.Count == 0 ? null : $"The staging bucket holds batches staged under another stage prefix, as ship stages them with --stage-bucket {string.Join(", ", deeper.Take(MaxReasons).Select(other => $"'{other}' (s3://{other}/)"))}{(deeper.Count > MaxReasons ? $" and {deeper.Count - MaxReasons} more" : string.Empty)}: run deliver-staged with that --stage-bucket to deliver them.",
        }.OfType<string>());
        return (listed, found.Length) switch
        {
            (null, _) => $"Nothing is staged for --bucket '{destination}' under {where} (the rest of {under} could not be listed). If ship staged events, check --stage-bucket (and --bucket): they must be the ones ship used.",
            (_, > 0) => $"Nothing is staged for --bucket '{destination}' under {where}. {found} {check}",
            (Page, _) => $"Nothing is staged for --bucket '{destination}' under {where}, nor under the first {Page} keys of {under}, which are no staged batches. If ship staged events, check --stage-bucket (and --bucket): they must be the ones ship used.",
            _ => $"Nothing is staged for --bucket '{destination}' under {where}, nor for any other bucket under {under}, at any depth. If ship staged events, check --stage-bucket (and --bucket): they must be the ones ship used.",
        };
    }

    /// <summary>How many identities' folders of one bucket <see cref="StagedForOthersAsync"/> looks into at most: one listing each.</summary>
    internal const int MaxIdentitiesListed = 50;

    /// <summary>
    /// Says which batches are staged for this run's bucket and path prefix that are not this run's to deliver, from
    /// listings of the staging bucket (never the customer's), each bounded: the identities' folders under
    /// <c>~bucket~</c> (one entry each, up to <see cref="MaxIdentitiesListed"/>), then the first page (1000 keys) of each
    /// other identity's prefix and of the prefix of batches staged without one. Those ship staged with another identity
    /// (<see cref="DestinationIdentity"/>: another partition, role, external id or owner, read back from one batch of
    /// each), naming what differs; and those an earlier version staged with none, naming <c>--without-identity</c>. A
    /// count is "or more" when its page was not the last. <see langword="null"/> when there are none, or the listing failed (the drain listed a
    /// moment ago; without these listings the run says nothing of them).
    /// </summary>
    internal static async Task<string?> StagedForOthersAsync(StagingOptions stagingOptions, BucketLocation destination, DestinationIdentity identity, CancellationToken cancellationToken)
    {
        const int Page = 1000;
        StagingSettings settings = StagingSettings.From(stagingOptions);
        string stage = settings.Location.ToString();
        var tagged = new SortedDictionary<string, (int Count, bool More, string FirstKey)>(StringComparer.Ordinal);
        int untagged = 0;
        bool moreUntagged = false;
        bool moreIdentities = false;
        var parts = new List<string>();
        try
        {
            // One folder per identity ('~bucket~tag/'), however many keys each holds: another identity's batches are found
            // even behind thousands of keys of one (its parked markers, or another path prefix's batches).
            using var store = new StagingStore(settings, credentials: null);
            string anyTag = StagingKeys.AnyTagPrefix(settings.Location, destination.BucketName);
            (List<string> folders, moreIdentities) = await store.ListFoldersAsync(anyTag, MaxIdentitiesListed, cancellationToken).ConfigureAwait(false);
            foreach (string folder in folders)
            {
                string tag = folder[anyTag.Length..].TrimEnd('/');
                if (tag == identity.Digest || StagingKeys.TagError(tag) is not null)
                {
                    continue;
                }

                string prefix = StagingKeys.DestinationPrefix(settings.Location, destination, tag);
                (List<Amazon.S3.Model.S3Object> keys, bool more) = await store.ListPageAsync(prefix, Page, cancellationToken).ConfigureAwait(false);
                string[] batches = [.. keys.Select(staged => staged.Key).Where(key => !StagingKeys.IsMarker(key, out _) && StagingKeys.TryParse(key, prefix, out _) && !StagingKeys.IsAnotherDestinations(key, destination))];
                if (batches.Length > 0)
                {
                    tagged[tag] = (batches.Length, more, batches[0]);
                }
            }

            string legacy = StagingKeys.DestinationPrefix(settings.Location, destination);
            (List<Amazon.S3.Model.S3Object> legacyKeys, moreUntagged) = await store.ListPageAsync(legacy, Page, cancellationToken).ConfigureAwait(false);
            untagged = legacyKeys.Count(staged => !StagingKeys.IsMarker(staged.Key, out _) && StagingKeys.TryParse(staged.Key, legacy, out _) && !StagingKeys.IsAnotherDestinations(staged.Key, destination));

            foreach ((string tag, (int count, bool moreOfTag, string firstKey)) in tagged.Take(MaxReasons))
            {
                string? record = await store.GetStagedForAsync(firstKey, cancellationToken).ConfigureAwait(false);
                string[] recordLines = record is null ? [] : [.. record.Split('\n').Select(line => line.Trim()).Where(line => line.Length > 0)];
                string with = recordLines.Length == 0 || DestinationIdentity.Parse(recordLines) is not ({ } recorded, false) || identity.DifferencesFrom(recorded) is not { Count: > 0 } differences
                    ? "an identity this version can't read"
                    : string.Join(", ", differences);
                string where = $"s3://{settings.Location.BucketName}/{StagingKeys.DestinationPrefix(settings.Location, destination, tag)}";
                parts.Add($"{Counted.Of(count, "batch")}{(moreOfTag ? " or more" : string.Empty)} not yet delivered that ship staged for {DestinationOptions.Bucket.Name} '{destination}' with {with} (under {where})");
            }
        }
        catch (Exception exception) when (exception is Amazon.Runtime.AmazonServiceException or HttpRequestException or IOException or OperationCanceledException)
        {
            return null;
        }

        var message = new List<string>();
        if (parts.Count > 0)
        {
            string more = (tagged.Count > MaxReasons ? $", and batches of {tagged.Count - MaxReasons} more" : string.Empty)
                + (moreIdentities ? $" (of the first {MaxIdentitiesListed} identities' prefixes; it looked no further)" : string.Empty);
            message.Add(
                $"{DeliverStagedCommand.StageBucket.Name} '{stage}' holds {string.Join("; and ", parts)}{more}. A bucket of the same name in another partition or store, or reached with another customer's role, external id or owner, "
                + "is another customer's: this run would deliver them there, with this run's role, so it delivers none of them. Run deliver-staged with the values ship used (that customer's "
                + $"{DestinationOptions.Region.Name}, {DestinationOptions.RoleArn.Name}, {DestinationOptions.ExternalId.Name}, {DestinationOptions.ExpectedBucketOwner.Name} and {DestinationOptions.EndpointUrl.Name}) to deliver them. "
                + $"If this run's values are for the same customer's bucket (a role renamed, an external id changed), move those staged objects to this run's prefix, s3://{settings.Location.BucketName}/{StagingKeys.DestinationPrefix(settings.Location, destination, identity.Digest)}, each with the rest of its key unchanged, and run again.");
        }

        if (untagged > 0)
        {
            string where = $"s3://{settings.Location.BucketName}/{StagingKeys.DestinationPrefix(settings.Location, destination)}";
            message.Add(
                $"{DeliverStagedCommand.StageBucket.Name} '{stage}' holds {Counted.Of(untagged, "batch")}{(moreUntagged ? " or more" : string.Empty)} staged for {DestinationOptions.Bucket.Name} '{destination}' without a record of whose bucket of that name {Counted.Either(untagged, "it is", "they are")} for "
                + $"(by an earlier version of rawdata or of KafkaToS3), under {where}. If {Counted.Either(untagged, "it was", "they were")} staged with this run's values (the customer's "
                + $"{DestinationOptions.Region.Name}, {DestinationOptions.RoleArn.Name}, {DestinationOptions.ExternalId.Name} and {DestinationOptions.ExpectedBucketOwner.Name}), run deliver-staged again with {DeliverStagedCommand.WithoutIdentity.Name} to deliver {Counted.Either(untagged, "it", "them")}; otherwise run it with that customer's values and {DeliverStagedCommand.WithoutIdentity.Name}.");
        }

        return message.Count == 0 ? null : string.Join(" ", message);
    }

    /// <summary>The staging bucket's name, for messages (the options were validated when the copier was built).</summary>
    private static string StagingBucketName(StagingOptions options) =>
        BucketLocation.TryParse(options.Bucket, out BucketLocation location) ? location.BucketName : options.Bucket;
}
