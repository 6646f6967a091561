// A consumer-group worker that writes a Kafka topic to many customers' buckets with exactly-once objects: batches cut at
// offset windows, each bound to its source's tenant, named from the log's positions, offsets committed only after S3
// confirmed the objects (or staged them, when a customer's bucket is broken).
//
//   dotnet KafkaToS3.dll --bootstrap-servers HOSTS --topic T --group-id G --tenants FILE [options]   (--help lists them)
//
// Run as many instances as the topic has partitions (same --group-id). SIGINT or SIGTERM stops one gracefully; a second
// one quits at once (exit 130 or 143), leaving the window under way uncommitted for the next run.
using System.Runtime.InteropServices;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using RawDataDestination.Cli;
using RawDataDestination.Internal;
using RawDataDestination.KafkaToS3;
using RawDataDestination.S3;

ClosedStandardStreams.DiscardErrorIfClosedAtStart();
if (ClosedStandardStreams.OutputWasClosedAtStart())
{
    // The log and the last line (and --help) go to standard output: refuse before joining the group rather than deliver
    // and commit with no log, then crash on the last line (exit 134, "Access to the path is denied").
    await Console.Error.WriteLineAsync("KafkaToS3: standard output is closed (>&-), where KafkaToS3 writes its log and its last line (and --help); give > FILE, or > /dev/null to discard them.");
    return ExitCodes.BadUsage;
}

if (args.Any(arg => arg is "--help" or "-h"))
{
    Console.WriteLine(CommandLine.Usage);
    return ExitCodes.Success;
}

CommandLine line;
try
{
    line = CommandLine.Parse(args);
}
catch (UsageException exception)
{
    await Console.Error.WriteLineAsync(exception.Message);
    await Console.Error.WriteLineAsync(exception.ShowsUsage ? CommandLine.Usage : "Fix the --tenants file as said above; KafkaToS3 --help shows its format and the options.");
    return ExitCodes.BadUsage;
}

// A warning's exception as its type and message at the end of its line, an error's whole (ShortWarningsLoggerFactory);
// the windows held at a stop named on stderr as warnings, the run exiting 0 (StderrWarningsLoggerFactory).
using ILoggerFactory loggers = new ShortWarningsLoggerFactory(new StderrWarningsLoggerFactory(LoggerFactory.Create(b => b
    .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Error) // why a run ends with exit 1 goes to stderr, as "Kafka failed" does
    .AddSimpleConsole(o => o.SingleLine = true)
    .SetMinimumLevel(LogLevel.Information)
    .AddFilter("RawDataDestination.S3", LogLevel.Warning)
    // The destination's "Upload of KEY was refused" line, in the library's words for settings ("Bucket"): the worker logs
    // each failed attempt itself, with the same explanation in the tenants file's words ("bucket", TenantWords).
    .AddFilter("RawDataDestination.S3.S3RoleDestination", level => level is LogLevel.Warning or LogLevel.Critical)
    .AddFilter("RawDataDestination.Staging", LogLevel.Warning)),
    Console.Error,
    (typeof(KafkaToS3Worker).FullName!, KafkaToS3Worker.HeldAtStopEventId)));
TenantDelivery delivery;
try
{
    // Base credentials (for STS, and for the staging bucket) from the AWS SDK's default chain.
    delivery = TenantDelivery.Create(line.Worker, line.Tenants, line.Staging, baseCredentials: null, stagingCredentials: null, TimeProvider.System, loggers);
}
catch (ArgumentException exception)
{
    await Console.Error.WriteLineAsync(exception.Message);
    return ExitCodes.BadUsage;
}

await using (delivery)
using (var stop = new CancellationTokenSource())
{
    ILogger<KafkaToS3Worker> logger = loggers.CreateLogger<KafkaToS3Worker>();
    var worker = new KafkaToS3Worker(line.Worker, delivery, logger);
    StageLeft? leftInStage = null; // listed once the run has ended; a second signal's summary goes without it
    int firstSignal = 0; // the stop's (a PosixSignal, none yet): it names the stop a second signal interrupts, and sets the exit code
    using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
    using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

    if (line.Staging is null)
    {
        logger.LogWarning("No --stage-bucket: a window holding a batch that its customer's bucket does not take waits, with its partition, until the customer recovers.");
        if (line.Worker.UntilCaughtUp)
        {
            logger.LogWarning(
                "--until-caught-up without --stage-bucket: a partition whose window a customer refuses for good (no such bucket, access denied), or keeps failing for --retry-time-limit ({Limit}: an endpoint that never answers, throttling), is given up for this run, which then exits 1.",
                TenantDelivery.Seconds(line.Worker.RetryTimeLimit));
        }
    }

    else
    {
        // The stage is probed before the group is joined (StageProbe): a stage that refuses the calls it needs ends the
        // start with exit 2, before any customer needs it; one silent or busy holds the start at most StageProbe.Bound.
        var (probed, refusal) = await StageProbe.RunAsync(line.Staging, credentials: null, StageProbe.Bound, logger, stop.Token);
        if (probed == StageProbe.Outcome.Refused)
        {
            await Console.Error.WriteLineAsync(refusal);
            return ExitCodes.BadUsage;
        }
    }

    int exitCode;
    try
    {
        exitCode = await worker.RunAsync(stop.Token);
    }
    catch (UsageException exception)
    {
        await Console.Error.WriteLineAsync(exception.Message);
        exitCode = ExitCodes.BadUsage;
    }
    catch (KafkaException exception)
    {
        // A fatal client error: nothing more was committed, so the next run goes on from the last commit.
        await Console.Error.WriteLineAsync($"Kafka failed ({exception.Error.Code}): {exception.Error.Reason}");
        exitCode = ExitCodes.Failed;
    }

    // What the copiers left in the stage, so that "N copied from the stage" is not read as "the stage is empty"; a
    // staging bucket that does not answer delays the end by at most 5 s. A count that fails (no credentials, no
    // s3:ListBucket) says why on the last line: the exit code is decided already.
    using (var listing = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
    {
        leftInStage = await delivery.CountLeftInStageAsync(listing.Token);
    }

    WriteLastLine();
    return exitCode;

    // Standard output may refuse writes (the disk of a redirected log is full): the last line goes to standard error
    // instead, and the exit code stays the run's (it aborted with 134 and a stack trace after a clean stop).
    void WriteLastLine()
    {
        try
        {
            Console.WriteLine(Summary());
            Console.Out.Flush();
        }
        catch (IOException exception)
        {
            Console.Error.WriteLine($"The last line could not be written to standard output ({exception.Message.TrimEnd('.')}): {Summary()}");
        }
    }

    string Summary() =>
        $"KafkaToS3 stopped: {worker.RecordsRead} records read, {worker.RecordsRejected} refused ({worker.RecordsWithoutTenant} without a tenant), " +
        $"{worker.ObjectsUploaded} objects uploaded, {worker.BatchesStaged} staged, {worker.CopiedFromStage} copied from the stage{LeftInStage()}, {worker.Commits} offsets committed" +
        (worker.WindowsHeldAtStop > 0 ? $"; {Counted.Of(worker.WindowsHeldAtStop, "held window")} left uncommitted, read again by the next run" : "");

    string LeftInStage() => line.Staging is null ? string.Empty
        : leftInStage is { Count: { } left } ? $" ({left} left there{Unowned(leftInStage.Value.Unowned)}{Rotated(leftInStage.Value.Rotated, BucketLocation.Parse(line.Staging.Bucket).BucketName)})"
        : leftInStage is { NotListed: { } why } ? $" (what is left there could not be listed: {why})"
        : " (what is left there was not listed: quit at once)";

    // Batches staged for a bucket and prefix no tenant lists now (a tenant removed, or moved), or for another identity: said, or they would wait unseen.
    static string Unowned(IReadOnlyDictionary<string, int>? unowned) => unowned is null ? string.Empty
        : $"; {Counted.Of(unowned.Values.Sum(), "more batch")} staged for {string.Join(", ", unowned.Keys.Take(5).Select(d => $"'{d}'"))}{(unowned.Count > 5 ? $" and {unowned.Count - 5} more" : string.Empty)}, which no tenant in --tenants takes (none lists that bucket and prefix with that identity, its role, external id, owner and partition; or, for a batch an earlier version staged without one, with its source): no copier of this worker delivers them (unless workers with other tenants share the stage); list the tenant again, or deliver them with rawdata deliver-staged";

    // Batches staged under an earlier identity of a tenant's bucket (its role, external id or owner changed in the file):
    // listing the tenant again with the old values fails once its customer rotated them, so the line names the move that works.
    static string Rotated(IReadOnlyDictionary<RotatedIdentity, int>? rotated, string stage) => rotated is null ? string.Empty
        : "; " + string.Join("; ", rotated.Select(r =>
            $"{Counted.Of(r.Value, "more batch")} of tenant {r.Key.Tenant} staged under an earlier identity of its bucket (s3://{stage}/{r.Key.From}), not its identity in --tenants now (s3://{stage}/{r.Key.To}): its role, external id or expected owner changed. No copier takes them. " +
            $"If that is the same customer's bucket (the customer rotated its external id or role), move those objects to s3://{stage}/{r.Key.To} (copy each with its metadata, then delete the old one) and the tenant's copier delivers them, as does rawdata deliver-staged with the tenant's values now; if not, leave them"));

        void Stop(PosixSignalContext context)
    {
        context.Cancel = true;
        var first = (PosixSignal)Interlocked.CompareExchange(ref firstSignal, (int)context.Signal, 0);
        if (first == 0)
        {
            // Stop gracefully: the worker finishes the delivery under way, drops open batches and leaves the group. Said at
            // once: the delivery under way may take up to the step-aside, and a stop that says nothing looks like a hang.
            Console.Error.WriteLine(
                $"{context.Signal} received: stopping after the delivery under way (waited for at most --direct-step-aside, {line.Worker.DirectStepAside.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)} s); " +
                "send it again to quit at once (what is not committed is read again by the next run).");
            stop.Cancel();
            return;
        }

        // Quit at once, as a kill would: nothing more is committed, so the next owner of each partition rebuilds the same
        // objects from the last commit; the group notices this member is gone after its session timeout.
        // A signal of another kind than the first is no news of its own: the stop it asked for is what is under way.
        string what = context.Signal == first ? $"{context.Signal} received again" : $"{context.Signal} received while the stop asked for by {first} is under way";
        Console.Error.WriteLine($"{what}: quitting now; the window under way is not committed, and the next run rebuilds it.");
        WriteLastLine();
        Environment.Exit(first == PosixSignal.SIGTERM ? ExitCodes.Terminated : ExitCodes.Interrupted);
    }
}
