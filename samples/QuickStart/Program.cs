using Microsoft.Extensions.Logging;
using RawDataDestination.Batching;
using RawDataDestination.S3;

// The library logs what goes wrong (a failing upload, and why) through ILogger: here, to the console.
using var loggers = LoggerFactory.Create(logging => logging.AddConsole());

// The local AWS of samples/local-aws.sh, which prints this variable. On AWS, leave it unset: null means AWS's endpoints.
Uri? localAws = Environment.GetEnvironmentVariable("RAWDATA_ENDPOINT_URL") is { Length: > 0 } url ? new Uri(url) : null;

using var destination = new S3RoleDestination(new S3RoleDestinationOptions
{
    Region = "us-west-2",
    Bucket = "mybucket/path/prefix",
    RoleArn = "arn:aws:iam::123456789012:role/SegmentS3Upload",
    ExternalId = "a-long-random-string",
    ServiceUrl = localAws,
    StsServiceUrl = localAws,
}, loggerFactory: loggers);

await using var buffer = new BatchBuffer(new BatchBufferOptions
{
    BatchDelivered = receipt => Console.WriteLine($"Delivered {receipt.Location} (events: {receipt.EventCount})"),
}, destination, logger: loggers.CreateLogger<BatchBuffer>());

// Anywhere, from many threads: one JSON object per event, as UTF-8 bytes or a JsonElement.
byte[] utf8JsonBytes = """{"type":"track","event":"Signed Up","receivedAt":"2026-11-24T10:00:00Z"}"""u8.ToArray();
await buffer.AppendAsync("my-source-id", utf8JsonBytes);

// On demand (also happens by size, every hour at :40 UTC, and on dispose):
await buffer.FlushAsync();
