using RawDataDestination.LocalPeers;

const string Usage = """
    usage:
      localpeers sts --port N [--address 127.0.0.1] --role-arn ARN --external-id ID
                     [--expiry-seconds 3600] [--access-key-id S3RVER] [--secret-access-key S3RVER]
                     [--accept-caller-key-ids KEY1,KEY2]   (refuse AssumeRole signed with any other key id)
      localpeers setup-account --endpoint URL --bucket B [--prefix P] --role-name R --external-id ID --env-file FILE
                     [--service-user rawdata-service]   (on a fresh moto with INITIAL_NO_AUTH_ACTION_COUNT=3)
      localpeers list --endpoint URL --bucket B [--prefix P] [--access-key-id K --secret-access-key S]
      localpeers cat --endpoint URL --bucket B --key K [--lines N] [--access-key-id K --secret-access-key S]
      localpeers create-bucket --endpoint URL --bucket B [--access-key-id K --secret-access-key S]
      (the key defaults to s3rver's, S3RVER/S3RVER)

    sts admin endpoints (same port):
      GET  /_admin/calls | /_admin/granted | /_admin/denied     AssumeRole counters
      POST /_admin/config?expirySeconds=N                       expiry of later credentials
      POST /_admin/down?on=true|false                           answer 503 ServiceUnavailable
    (HttpListener wants a Content-Length on POST: curl -X POST -d '' URL)
    """;

try
{
    var line = CommandLine.Parse(args);
    return line.Command switch
    {
        "sts" => await StsCommand.RunAsync(line),
        "setup-account" => await SetupAccountCommand.RunAsync(line, Console.Out),
        "list" => await S3Commands.ListAsync(line, Console.Out),
        "cat" => await S3Commands.CatAsync(line, Console.Out),
        "create-bucket" => await S3Commands.CreateBucketAsync(line, Console.Out),
        _ => throw new UsageException($"unknown subcommand '{line.Command}'"),
    };
}
catch (UsageException e)
{
    await Console.Error.WriteLineAsync($"localpeers: {e.Message}");
    await Console.Error.WriteLineAsync(Usage);
    return 2;
}
catch (RawDataDestination.LocalPeers.Aws.AwsApiException e)
{
    await Console.Error.WriteLineAsync($"localpeers: {e.Message}");
    return 1;
}
catch (Amazon.Runtime.AmazonServiceException e)
{
    await Console.Error.WriteLineAsync($"localpeers: {e.ErrorCode} ({(int)e.StatusCode}): {e.Message}");
    return 1;
}
