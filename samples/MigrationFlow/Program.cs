// The migration flow a customer follows when moving to this destination:
//   1. point a destination at the test folder, bucket "mybucket/segment-logs/test", and check the objects;
//   2. then switch it to the bucket itself, "mybucket".
// The test run writes under segment-logs/test/segment-logs/..., the real one under segment-logs/..., so the two
// can never overwrite each other (and every key also carries a unique batch id).
//
//   dotnet MigrationFlow.dll --region us-east-1 --bucket mybucket --role-arn ARN --external-id ID
//                            [--endpoint-url URL --sts-endpoint-url URL] [--source-id S]
// A missing or invalid argument is named on stderr, with its fix, before anything is written; the exit code is 2.
using System.Collections.Concurrent;
using System.Text;
using RawDataDestination.Batching;
using RawDataDestination.S3;

const string Usage = "usage: MigrationFlow --region R --bucket B --role-arn ARN --external-id ID [--endpoint-url URL --sts-endpoint-url URL] [--source-id S]";
Dictionary<string, string> arguments = Arguments(args);
string[] required = ["region", "bucket", "role-arn", "external-id"];
string[] missing = [.. required.Where(name => !arguments.ContainsKey(name))];
if (missing.Length > 0)
{
    Console.Error.WriteLine($"missing {string.Join(", ", missing.Select(name => "--" + name))}; {Usage}");
    return 2;
}

string bucket = arguments["bucket"];
string sourceId = arguments.GetValueOrDefault("source-id", "migration-source");

// The settings are checked once, on the bucket itself, before anything is written: a bad --bucket is named as given.
if (Problem(Options(bucket)) is { } problem)
{
    Console.Error.WriteLine($"{problem} (--region, --bucket, --role-arn and --external-id set Region, Bucket, RoleArn and ExternalId); {Usage}");
    return 2;
}

foreach ((string step, string bucketSetting) in new[] { ("1. test folder", bucket + "/segment-logs/test"), ("2. bucket", bucket) })
{
    using var destination = new S3RoleDestination(Options(bucketSetting));
    SetupCheckReport check = await destination.VerifyAsync();
    Console.WriteLine($"{step}: Bucket = \"{bucketSetting}\" -> objects under s3://{destination.Location.BucketName}/{destination.Location.KeyPrefix}");
    Console.WriteLine($"   setup check: {(check.Succeeded ? "passed" : "FAILED: " + check.FirstFailure?.Message)}");
    if (!check.Succeeded)
    {
        return 1;
    }

    // The destination consumes the batches itself; each delivery's receipt says where the object went.
    var written = new ConcurrentQueue<string>();
    await using (var buffer = new BatchBuffer(new BatchBufferOptions { BatchDelivered = receipt => written.Enqueue(receipt.Location) }, destination))
    {
        for (int i = 0; i < 5; i++)
        {
            await buffer.AppendAsync(sourceId, Encoding.UTF8.GetBytes($"{{\"type\":\"identify\",\"messageId\":\"{step[0]}-{i}\",\"userId\":\"u{i}\"}}"));
        }
    }

    foreach (string location in written.Order(StringComparer.Ordinal))
    {
        Console.WriteLine($"   wrote {location}");
    }
}

return 0;

S3RoleDestinationOptions Options(string bucketSetting) => new()
{
    Region = arguments["region"],
    Bucket = bucketSetting,
    RoleArn = arguments["role-arn"],
    ExternalId = arguments["external-id"],
    ServiceUrl = arguments.TryGetValue("endpoint-url", out string? s3) ? new Uri(s3) : null,
    StsServiceUrl = arguments.TryGetValue("sts-endpoint-url", out string? sts) ? new Uri(sts) : null,
};

// The destination's constructor checks its settings by the library's rules; its message names each and the fix.
static string? Problem(S3RoleDestinationOptions options)
{
    try
    {
        using var destination = new S3RoleDestination(options);
        return null;
    }
    catch (ArgumentException exception)
    {
        return exception.Message.Replace($" (Parameter '{exception.ParamName}')", string.Empty, StringComparison.Ordinal);
    }
}

static Dictionary<string, string> Arguments(string[] args)
{
    var result = new Dictionary<string, string>(StringComparer.Ordinal);
    for (int i = 0; i + 1 < args.Length; i += 2)
    {
        result[args[i].TrimStart('-')] = args[i + 1];
    }

    return result;
}
