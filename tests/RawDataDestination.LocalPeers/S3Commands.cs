using System.Globalization;
using System.IO.Compression;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace RawDataDestination.LocalPeers;

/// <summary>Small S3 client commands for inspecting a local S3 (s3rver, or moto with the administrator's key).</summary>
internal static class S3Commands
{
    /// <summary>s3rver only knows this key pair; it checks the key id of SigV4 requests, not the signature.</summary>
    public const string S3rverKey = "S3RVER";

    public static AmazonS3Client CreateClient(CommandLine line) =>
        new(new BasicAWSCredentials(line.Optional("access-key-id", S3rverKey), line.Optional("secret-access-key", S3rverKey)), new AmazonS3Config
        {
            ServiceURL = line.Required("endpoint"),
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        });

    public static async Task<int> ListAsync(CommandLine line, TextWriter output)
    {
        var bucket = line.Required("bucket");
        using var client = CreateClient(line);
        var request = new ListObjectsV2Request { BucketName = bucket, Prefix = line.Optional("prefix") };
        do
        {
            var response = await client.ListObjectsV2Async(request);
            foreach (var entry in response.S3Objects ?? [])
            {
                await output.WriteLineAsync(
                    string.Create(CultureInfo.InvariantCulture, $"{entry.Key}\t{entry.Size}"));
            }

            request.ContinuationToken = response.IsTruncated == true ? response.NextContinuationToken : null;
        }
        while (request.ContinuationToken is not null);

        return 0;
    }

    public static async Task<int> CatAsync(CommandLine line, TextWriter output)
    {
        var maxLines = line.OptionalInt("lines");
        using var client = CreateClient(line);
        using var response = await client.GetObjectAsync(line.Required("bucket"), line.Required("key"));
        await using var gunzip = new GZipStream(response.ResponseStream, CompressionMode.Decompress);
        using var reader = new StreamReader(gunzip);
        var printed = 0;
        while ((maxLines is null || printed < maxLines) && await reader.ReadLineAsync() is { } text)
        {
            await output.WriteLineAsync(text);
            printed++;
        }

        return 0;
    }

    public static async Task<int> CreateBucketAsync(CommandLine line, TextWriter output)
    {
        var bucket = line.Required("bucket");
        using var client = CreateClient(line);
        await client.PutBucketAsync(new PutBucketRequest { BucketName = bucket });
        await output.WriteLineAsync($"created {bucket}");
        return 0;
    }
}
