// A consumer-group worker that writes a Kafka topic to the customer's bucket with exactly-once objects: batches cut at
// offset windows, named from the log's positions, offsets committed only after S3 confirmed the objects.
//
//   dotnet KafkaToS3.dll --bootstrap-servers HOSTS --topic T --group-id G --region R --bucket B[/prefix] \
//       --role-arn ARN --external-id ID [--endpoint-url URL] [--sts-endpoint-url URL] [--max-batch-records N] [--until-caught-up]
//
// Run as many instances as the topic has partitions (same --group-id). SIGINT or SIGTERM stops one gracefully.
using System.Runtime.InteropServices;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using RawDataDestination.KafkaToS3;
using RawDataDestination.S3;

CommandLine line;
S3RoleDestination destination;
try
{
    line = CommandLine.Parse(args);
    destination = CreateDestination(line.Destination);
}
catch (UsageException exception)
{
    await Console.Error.WriteLineAsync(exception.Message);
    await Console.Error.WriteLineAsync(CommandLine.Usage);
    return ExitCodes.BadUsage;
}

using ILoggerFactory loggers = LoggerFactory.Create(b => b
    .AddSimpleConsole(o => o.SingleLine = true)
    .SetMinimumLevel(LogLevel.Information)
    .AddFilter("RawDataDestination.S3", LogLevel.Warning));
using (destination)
using (var stop = new CancellationTokenSource())
{
    using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
    using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

    var worker = new KafkaToS3Worker(line.Worker, destination, loggers.CreateLogger<KafkaToS3Worker>());
    int exitCode;
    try
    {
        exitCode = await worker.RunAsync(stop.Token);
    }
    catch (KafkaException exception)
    {
        // A fatal client error: nothing more was committed, so the next run goes on from the last commit.
        await Console.Error.WriteLineAsync($"Kafka failed ({exception.Error.Code}): {exception.Error.Reason}");
        exitCode = ExitCodes.DeliveryFailed;
    }

    Console.WriteLine($"KafkaToS3 stopped: {worker.RecordsRead} records read, {worker.RecordsRejected} refused, {worker.ObjectsUploaded} objects uploaded, {worker.Commits} offsets committed");
    return exitCode;

    void Stop(PosixSignalContext context)
    {
        context.Cancel = true; // stop gracefully: the worker finishes the upload under way, drops open batches and leaves the group
        stop.Cancel();
    }
}

static S3RoleDestination CreateDestination(S3RoleDestinationOptions options)
{
    try
    {
        return new S3RoleDestination(options); // base credentials from the AWS SDK's default chain
    }
    catch (ArgumentException exception)
    {
        throw new UsageException(exception.Message);
    }
}
