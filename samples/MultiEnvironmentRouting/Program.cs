// Multi-environment routing: staging sources go to the staging role and bucket, production sources to production,
// each environment with its own role and external id. One batch buffer; the library's DestinationRouter routes each
// source to its environment, and each environment is a lane: one whose role or bucket is broken never slows the other.
//
//   dotnet MultiEnvironmentRouting.dll \
//       --Destinations:staging:Region us-east-1 --Destinations:staging:Bucket staging-bucket \
//       --Destinations:staging:RoleArn arn:aws:iam::111111111111:role/Staging --Destinations:staging:ExternalId STAGING-ID \
//       --Destinations:production:... (the same keys) \
//       --Routes:web-staging staging --Routes:web production --Routes:ios production [--Sources web,ios,unknown]
//
// It sends a few events from every source (the routed ones, or those --Sources lists), flushes, prints where each batch
// went, and exits. A source without a route is refused by the router before any of its events are buffered: stderr
// names it and the fix, nothing of it is sent anywhere, and the exit code is 1. Settings that cannot work (a route to an
// environment not set up, environments that disagree on a shared setting such as ServiceUrl) stop it at start: stderr
// names each and the fix, and the exit code is 2. An environment whose role, bucket or
// endpoint refuses its batches does not hold back the other: stderr says which batches were not delivered, to which
// environment and why, and the exit code is 1. A batch that keeps failing (an endpoint that never answers) is given up
// after --RetryBudget (30 seconds by default), once the other environment's deliveries are done.
// SIGINT or SIGTERM stops the run within seconds, naming what was not delivered; the exit code is then 130 or 143.
using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using RawDataDestination.Batching;
using RawDataDestination.Ndjson;
using RawDataDestination.Routing;
using RawDataDestination.S3;

IConfiguration configuration = new ConfigurationBuilder().AddCommandLine(args).Build();
// The log goes to stderr with the program's own warnings: stdout says only where each batch went.
using ILoggerFactory loggers = LoggerFactory.Create(b => b
    .AddSimpleConsole(o => o.SingleLine = true)
    .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
    .SetMinimumLevel(LogLevel.Warning));

// Each environment is a tenant: its settings, and the sources routed to it. An environment may set only what a tenant
// carries (PerEnvironment); every other setting (endpoints, timeouts, retries) is shared, so environments must agree on it.
string[] perEnvironment = ["Region", "Bucket", "RoleArn", "ExternalId", "Acl", "Encryption", "KmsKeyId"];
var tenants = new TenantDestinationsOptions();
var problems = new List<string>();
Dictionary<string, string> routes = configuration.GetSection("Routes").GetChildren().ToDictionary(r => r.Key, r => r.Value!, StringComparer.Ordinal);
IConfigurationSection? first = null;
foreach (IConfigurationSection environment in configuration.GetSection("Destinations").GetChildren())
{
    S3RoleDestinationOptions settings = environment.Get<S3RoleDestinationOptions>() ?? new S3RoleDestinationOptions();
    var tenant = new TenantOptions
    {
        Name = environment.Key,
        Region = settings.Region,
        Bucket = settings.Bucket,
        RoleArn = settings.RoleArn,
        ExternalId = settings.ExternalId,
        Acl = environment["Acl"] is null ? null : settings.Acl,
        Encryption = environment["Encryption"] is null ? null : settings.Encryption,
        KmsKeyId = settings.KmsKeyId,
    };
    foreach ((string source, _) in routes.Where(r => r.Value == environment.Key))
    {
        tenant.Sources.Add(source);
    }

    tenants.Tenants.Add(tenant);
    if (first is null)
    {
        first = environment;
        environment.Bind(tenants.Defaults); // its shared settings; the tenant's own ones go over them
        (tenants.Defaults.Acl, tenants.Defaults.Encryption, tenants.Defaults.KmsKeyId) = (default, default, null);
        continue;
    }

    foreach (string key in environment.GetChildren().Concat(first.GetChildren()).Select(c => c.Key).Distinct(StringComparer.OrdinalIgnoreCase))
    {
        if (!perEnvironment.Contains(key, StringComparer.OrdinalIgnoreCase) && !string.Equals(environment[key], first[key], StringComparison.Ordinal))
        {
            problems.Add($"--Destinations:{environment.Key}:{key} is {Quoted(environment[key])} but --Destinations:{first.Key}:{key} is {Quoted(first[key])}; the environments share it (they may differ only in {string.Join(", ", perEnvironment)}): give both the same value.");
        }
    }
}

if (first is null)
{
    problems.Add("No environment is set up: give each one's settings, --Destinations:NAME:Region, --Destinations:NAME:Bucket, --Destinations:NAME:RoleArn and --Destinations:NAME:ExternalId (NAME such as staging or production).");
}

if (routes.Count == 0)
{
    problems.Add("No source is routed: route each source to its environment with --Routes:SOURCE NAME, such as --Routes:web production.");
}

foreach ((string source, string environment) in routes.Where(r => first is not null && configuration.GetSection("Destinations").GetSection(r.Value).GetChildren().Any() == false))
{
    problems.Add($"--Routes:{source} is '{environment}', which no --Destinations:{environment}:... sets up; route it to one of: {string.Join(", ", configuration.GetSection("Destinations").GetChildren().Select(e => e.Key))}.");
}

// How long a batch may keep failing (no answer, or errors) before the program stops waiting for it: the buffer's
// RetryBudget, 5 minutes by default in the library, 30 seconds here, where a person waits for the answer.
TimeSpan retryBudget = TimeSpan.FromSeconds(30);
if (configuration["RetryBudget"] is { } budgetText
    && (!TimeSpan.TryParse(budgetText, CultureInfo.InvariantCulture, out retryBudget) || retryBudget < TimeSpan.Zero))
{
    problems.Add($"--RetryBudget is '{budgetText}'; give a duration of zero or more, such as 00:00:30 (the default).");
}

if (problems.Count > 0)
{
    Console.Error.WriteLine("invalid settings:" + Environment.NewLine + string.Join(Environment.NewLine, problems.Select(problem => "  " + problem)));
    return 2;
}

string[] sources = configuration["Sources"] is { Length: > 0 } listed
    ? listed.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
    : [.. routes.Keys];
var delivered = new ConcurrentQueue<string>();
int refused = 0;

// SIGINT (Ctrl+C) and SIGTERM stop the run: what is not delivered by then is named, and the exit code is 130 or 143.
using var stopping = new CancellationTokenSource();
string? stoppedBy = null;
int signalExitCode = 0;
void Stop(PosixSignalContext signal)
{
    signal.Cancel = true; // end the run here, not in the runtime
    if (Interlocked.CompareExchange(ref stoppedBy, signal.Signal == PosixSignal.SIGINT ? "SIGINT" : "SIGTERM", null) is null)
    {
        signalExitCode = signal.Signal == PosixSignal.SIGINT ? 130 : 143;
        stopping.Cancel();
    }
}

using PosixSignalRegistration onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using PosixSignalRegistration onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

IReadOnlyList<SealedBatch> undelivered;
var why = new Dictionary<string, string>(StringComparer.Ordinal); // environment -> its last error
// Each failing environment's reason, from the buffer's status: its last error, and whether the flush gave it up after
// the retry budget. Without a flush's verdict (a signal stopped it), only refusals are named: the rest were stopped.
void Explain(BatchBuffer buffer, BatchDeliveryException? givenUp)
{
    foreach (LaneStatus lane in buffer.GetStatus().FailingLanes)
    {
        bool refusal = lane.LastError is IDeliveryRefusal { IsPermanent: true };
        if (givenUp is null && !refusal)
        {
            continue;
        }

        bool outOfBudget = !refusal && givenUp!.GivenUpLanes.Contains(lane.Key, StringComparer.Ordinal);
        why[lane.Key] = (lane.LastError?.Message ?? "no error was recorded")
            + (outOfBudget ? $" Gave up after the retry budget (--RetryBudget {retryBudget:c})." : string.Empty);
    }
}

using (var router = new DestinationRouter(new TenantDestinationResolver(tenants), loggerFactory: loggers))
{
    var options = new BatchBufferOptions
    {
        BatchDelivered = receipt => delivered.Enqueue(receipt.Location + $" ({receipt.EventCount} events)"),
        RetryBudget = retryBudget,
        ShutdownTimeout = ShutdownTimeout, // by the shutdown, only the failing environments' batches are left (see below)
    };
    var buffer = new BatchBuffer(options, router, logger: loggers.CreateLogger<BatchBuffer>());
    try
    {
        foreach (string source in sources)
        {
            try
            {
                for (int i = 0; i < 3; i++)
                {
                    await buffer.AppendAsync(source, Encoding.UTF8.GetBytes($"{{\"type\":\"track\",\"messageId\":\"{source}-{i}\",\"event\":\"Signed Up\"}}"), stopping.Token);
                }
            }
            catch (EventRejectedException exception) when (exception.Reason == EventRejectionReason.NoDestination)
            {
                Console.Error.WriteLine($"refused: {exception.Message} Route it with --Routes:{source} staging|production.");
                refused++;
            }
        }

        await buffer.FlushAsync(stopping.Token);
    }
    catch (OperationCanceledException) when (stopping.IsCancellationRequested)
    {
        // Stopped by a signal: the shutdown below tries what is left once more, within its short deadline. An
        // environment that refused is named with its refusal; one still being tried, as stopped by the signal.
        Explain(buffer, givenUp: null);
    }
    catch (BatchDeliveryException exception)
    {
        // An environment refused its batches, or kept failing for the retry budget. The flush delivered the other
        // environment's batches before it threw (a signal ends that wait at once), so the shutdown's short deadline
        // only cuts the failing environment's retries. The exception names the lanes (environments) it gave up.
        Explain(buffer, exception);
    }
    finally
    {
        await buffer.DisposeAsync(); // tries refused batches once more, within the buffer's ShutdownTimeout; a lane given up by the budget is not waited for again
        undelivered = buffer.TakeUndeliveredBatches();
    }
}

foreach (string line in delivered.Order(StringComparer.Ordinal))
{
    string[] parts = line.Split('/');
    string source = parts[Array.IndexOf(parts, "segment-logs") + 1]; // s3://{bucket}/{prefix/}segment-logs/{source}/...
    Console.WriteLine($"{source} -> {routes[source]}: {line}");
}

long undeliveredEvents = undelivered.Sum(batch => (long)batch.EventCount);
foreach (IGrouping<string, SealedBatch> bySource in undelivered.GroupBy(batch => batch.SourceId).OrderBy(g => g.Key, StringComparer.Ordinal))
{
    string environment = routes[bySource.Key];
    long mayHaveLanded = bySource.Where(batch => batch.MayHaveBeenWritten).Sum(batch => batch.EventCount);
    string landed = mayHaveLanded == 0 ? string.Empty : $" Of these events, {mayHaveLanded} may be in the bucket all the same: their upload was sent in full and got no answer.";
    Console.Error.WriteLine($"not delivered: {bySource.Key} -> {environment}: batches {bySource.Count()}, events {bySource.Sum(batch => batch.EventCount)}. {why.GetValueOrDefault(environment, stoppedBy is null ? "The shutdown timeout ended first." : $"Stopped by {stoppedBy} before it was delivered.")}{landed}");
    foreach (SealedBatch batch in bySource)
    {
        batch.Dispose(); // a real service would keep them (a spool: BatchBufferOptions.SpoolDirectory) and send them later
    }
}

if (stoppedBy is not null)
{
    Console.Error.WriteLine($"stopped by {stoppedBy}: batches delivered {delivered.Count}, events not delivered {undeliveredEvents}.");
    return signalExitCode;
}

return refused == 0 && undelivered.Count == 0 ? 0 : 1;

static string Quoted(string? value) => value is null ? "not set" : $"'{value}'";

internal static partial class Program
{
    /// <summary>The buffer's shutdown deadline: one more try of what the failing environments left, not minutes of it.</summary>
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(5);
}
