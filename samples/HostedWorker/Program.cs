// A generic-host service that receives events, batches them and writes them to the customer's bucket:
// a Channel feeds the batch buffer, the S3 destination consumes the sealed batches, and a stop (Ctrl+C, SIGTERM,
// or the end of the input) seals and uploads what is open before the process exits.
//
//   dotnet HostedWorker.dll --Destination:Region us-west-2 --Destination:Bucket mybucket/prefix \
//       --Destination:RoleArn arn:aws:iam::123456789012:role/SegmentS3Upload --Destination:ExternalId ID \
//       [--Destination:ServiceUrl URL --Destination:StsServiceUrl URL] [--Worker:SourceId my-source] [--Worker:Events N]
//       [--Buffer:SpoolDirectory DIR] [--Buffer:ShutdownTimeout 00:00:30] (any BatchBufferOptions setting)
//
// With Worker:Events, it generates that many events and stops by itself; without, it reads events from stdin.
// Invalid settings stop it at start: stderr names each one and its fix, and the exit code is 2.
using System.Threading.Channels;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RawDataDestination;
using RawDataDestination.Batching;
using RawDataDestination.HostedWorker;
using RawDataDestination.S3;

HostApplicationBuilder builder;
try
{
    builder = Host.CreateApplicationBuilder(args);
}
catch (InvalidDataException unreadable)
{
    // appsettings.json (or appsettings.{Environment}.json) that is not JSON: say where and why, not a stack trace.
    Console.Error.WriteLine($"HostedWorker cannot start: {unreadable.Message} {unreadable.InnerException?.InnerException?.Message ?? unreadable.InnerException?.Message}");
    return 2;
}

builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddS3RoleDestination("main", builder.Configuration.GetSection("Destination"));
builder.Services.AddOptions<WorkerOptions>().Bind(builder.Configuration.GetSection("Worker"))
    .Validate(o => o.Events >= 0, "Worker:Events is negative; give the number of events to generate, or 0 (the default) to read stdin.")
    .ValidateOnStart();
builder.Services.AddSingleton<IValidateOptions<WorkerOptions>, WorkerOptions.SourceIdValidator>(); // not every event refused
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(45)); // longer than the buffer's own deadline (30 s by default)

// The channel between whatever receives events (HTTP handlers, a queue reader...) and the batching service.
builder.Services.AddSingleton(Channel.CreateBounded<ReceivedEvent>(new BoundedChannelOptions(10_000) { SingleReader = true }));

// The buffer, registered as itself for the service that owns its lifetime and as IBatchBuffer for code that only
// appends, delivers to the "main" destination. Its options come from the section Buffer (SpoolDirectory,
// ShutdownTimeout, FlushInterval...), validated at start. With a SpoolDirectory, what is not delivered by the stop stays
// on disk and goes out at the next start, each event once.
builder.Services.AddSingleton<ISealedBatchConsumer>(provider => provider.GetRequiredKeyedService<S3RoleDestination>("main"));
builder.Services.AddBatchBuffer(builder.Configuration.GetSection("Buffer"));
builder.Services.AddHostedService<BatchingService>();
builder.Services.AddHostedService<EventSource>();

using IHost host = builder.Build();
try
{
    // Every section's problems at once: the host builds its services before it validates, and would stop at the first
    // service whose options are invalid (the buffer's, say), leaving the destination's problems for the next start.
    // A key that is no setting (a typo: Worker:Source) would be ignored, and the worker run without what it names. The
    // library reports those of Destination and Buffer itself (the sections AddS3RoleDestination and AddBatchBuffer bind);
    // Worker is this sample's own.
    List<string> unknown = [.. Unknown(builder.Configuration, "Worker", typeof(WorkerOptions))];
    try
    {
        host.Services.GetRequiredService<IStartupValidator>().Validate();
    }
    catch (Exception exception) when (unknown.Count > 0 && Failures(exception) is { Count: > 0 } failures)
    {
        throw new OptionsValidationException("settings", typeof(object), [.. unknown, .. failures]);
    }

    if (unknown.Count > 0)
    {
        throw new OptionsValidationException("settings", typeof(object), unknown);
    }

    if (SpoolProblem(host.Services, builder.Configuration["Buffer:SpoolDirectory"]) is { } spoolProblem)
    {
        Console.Error.WriteLine("HostedWorker cannot start: " + spoolProblem);
        return 2;
    }

    await host.RunAsync();
}
catch (Exception exception) when (Failures(exception) is { Count: > 0 } failures)
{
    // Bad settings stop the start (ValidateOnStart): say each one and its fix, not a stack trace.
    Console.Error.WriteLine("HostedWorker cannot start: its settings are invalid (sections Destination, Buffer and Worker: --Destination:Bucket VALUE, or appsettings.json):");
    foreach (string failure in failures)
    {
        Console.Error.WriteLine("  " + failure);
    }

    return 2;
}

return BatchingService.ExitCode;

// The keys of a section that name none of its options' settings, each with the settings there are.
static IEnumerable<string> Unknown(IConfiguration configuration, string section, Type options)
{
    string[] settings = [.. options.GetProperties().Where(p => p.CanWrite && !p.PropertyType.IsSubclassOf(typeof(Delegate))).Select(p => p.Name).Order(StringComparer.Ordinal)];
    return configuration.GetSection(section).GetChildren()
        .Where(key => !settings.Contains(key.Key, StringComparer.OrdinalIgnoreCase))
        .Select(key => $"{key.Path} is not a setting, and would be ignored; the settings of {section} are {string.Join(", ", settings)}.");
}

// Builds the buffer now, which creates, locks and recovers its spool directory: why that directory cannot be used (a
// path this user may not create, a file, a directory another process's buffer holds), or null. Otherwise the host
// would build it as it starts, and end with SIGABRT and a stack trace.
static string? SpoolProblem(IServiceProvider services, string? spool)
{
    try
    {
        _ = services.GetRequiredService<BatchBuffer>();
        return null;
    }
    catch (InvalidOperationException exception) when (spool is not null)
    {
        return $"Buffer:SpoolDirectory '{spool}' is in use: {exception.Message}";
    }
    catch (Exception exception) when (spool is not null && exception is IOException or UnauthorizedAccessException)
    {
        string what = File.Exists(spool) ? "is a file, not a directory" : $"can't be used: {exception.Message.TrimEnd('.')}";
        return $"Buffer:SpoolDirectory '{spool}' {what}. Give a directory this user may create and write, or leave Buffer:SpoolDirectory out.";
    }
}

// The problems of every options class that failed (one OptionsValidationException each, in an AggregateException when
// there are several); none for any other exception.
static List<string> Failures(Exception exception) => exception switch
{
    OptionsValidationException invalid => [.. invalid.Failures],
    AggregateException all when all.InnerExceptions.All(e => e is OptionsValidationException) => [.. all.InnerExceptions.SelectMany(e => ((OptionsValidationException)e).Failures)],
    // The sample's own section, bound by the configuration binder, whose message names the path and the value:
    // "Failed to convert configuration value 'three' at 'Worker:Events' to type 'System.Int32'."
    InvalidOperationException { Message: var message } when message.StartsWith("Failed to convert configuration value ", StringComparison.Ordinal) =>
        [message],
    _ => [],
};
