using System.Diagnostics;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// Two deployments of the KafkaToS3 program that share one staging bucket, each with a customer whose bucket has the same
/// name as the other's, in another store (moto, and a second moto: another endpoint, another role and external id). Each
/// stages under its customer's identity (<c>~BUCKET~TAG/</c>, as <c>rawdata ship --stage-bucket</c> does), so a copier
/// for one never delivers the other's batches; batches an earlier version staged without an identity (<c>~BUCKET/</c>)
/// are delivered once, each by the tenant of its source.
/// </summary>
[CancelAfter(300_000)]
public class KafkaToS3StagedIdentityProcessTests
{
    private const int First = 0, Second = 1;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    [Test]
    public async Task KafkaToS3Program_TwoDeploymentsSharingAStageWithSameNamedBucketsInTwoStores_DeliverEachCustomersStagedEventsToItsOwnBucketOnce()
    {
        await using OtherStore other = await OtherStore.StartAsync();
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(40, sources: 2);
        string bucket = "same-" + Guid.NewGuid().ToString("N")[..12];
        string stage = await StagingPeers.NewBucketAsync("stage");

        // The first customer's bucket is on moto (its role may write to it; it does not exist yet), the second's, of the same
        // name, on the other store, reached with a role of its own: neither bucket exists yet, so every batch is staged.
        await SharedPeers.S3.Account.PutRolePolicyAsync(SharedPeers.RoleName, $"write-{bucket}", Policies.CustomerPermissions(bucket, [""], null));
        string firstFile = TenantsFile(topic.Sources[First], bucket, SharedPeers.RoleArn, SharedPeers.ExternalId);
        string secondFile = TenantsFile(topic.Sources[Second], bucket, "arn:aws:iam::123456789012:role/OtherStoreUpload", "other-store-4711");
        string firstGroup = "first-" + Guid.NewGuid().ToString("N")[..8], secondGroup = "second-" + Guid.NewGuid().ToString("N")[..8];
        List<string> firstArguments = Arguments(topic, firstGroup, firstFile, SharedPeers.S3.ServiceUrl, SharedPeers.Sts.ServiceUrl.ToString(), stage);
        List<string> secondArguments = Arguments(topic, secondGroup, secondFile, other.ServiceUrl, other.ServiceUrl, stage);
        try
        {
            using (KafkaToS3QaProcess first = KafkaToS3Customers.Start(firstArguments))
            using (KafkaToS3QaProcess second = KafkaToS3Customers.Start(secondArguments))
            {
                await UntilAsync(() => Task.FromResult(topic.EveryPartitionCommitted(firstGroup) && topic.EveryPartitionCommitted(secondGroup)), "both groups committed to the end", first, second);
                await first.StopsCleanlyAsync("TERM");
                await second.StopsCleanlyAsync("TERM");
            }

            List<string> staged = [.. (await StagingPeers.KeysAsync(stage)).Where(k => k.EndsWith(".gz", StringComparison.Ordinal))];
            Assert.That(staged.Select(k => k[..k.IndexOf('/', StringComparison.Ordinal)]).Distinct(), Has.Exactly(2).StartsWith($"~{bucket}~"), "each deployment's batches under a prefix of their own");

            // Batches an earlier version staged without an identity, one of each customer's source.
            await StageUnmarkedAsync(stage, bucket, topic.Sources[First], "legacy-first");
            await StageUnmarkedAsync(stage, bucket, topic.Sources[Second], "legacy-second");

            // Both buckets are created; the first deployment runs alone until its customer has its events.
            await SharedPeers.S3.CreateBucketAsync(bucket);
            await other.CreateBucketAsync(bucket);
            string[] firstExpected = [.. topic.ExpectedMessageIdsOf(First), "legacy-first"];
            string[] secondExpected = [.. topic.ExpectedMessageIdsOf(Second), "legacy-second"];
            using (KafkaToS3QaProcess first = KafkaToS3Customers.Start(firstArguments))
            {
                await UntilAsync(async () => firstExpected.All((await MessageIdsAsync(SharedPeers.S3.Account.AdministratorS3, bucket)).Contains), "the first customer's events delivered", first);
                await first.StopsCleanlyAsync("TERM");
                TestContext.Out.WriteLine(first.Output);
            }

            using (KafkaToS3QaProcess second = KafkaToS3Customers.Start(secondArguments))
            {
                await UntilAsync(async () => !(await StagingPeers.KeysAsync(stage)).Any(k => k.EndsWith(".gz", StringComparison.Ordinal)), "nothing left staged", second);
                await second.StopsCleanlyAsync("TERM");
                TestContext.Out.WriteLine(second.Output);
            }

            Assert.That(await MessageIdsAsync(SharedPeers.S3.Account.AdministratorS3, bucket), Is.EquivalentTo(firstExpected), "the first customer's bucket: its own events, each once, none of the other's");
            Assert.That(await MessageIdsAsync(other.Client, bucket), Is.EquivalentTo(secondExpected), "the other store's bucket of that name: its customer's events, each once, none of the first's");
        }
        finally
        {
            File.Delete(firstFile);
            File.Delete(secondFile);
        }
    }

    private static string TenantsFile(string source, string bucket, string roleArn, string externalId) =>
        KafkaToS3Program.WriteTenantsFile(System.Text.Json.JsonSerializer.Serialize(new
        {
            tenants = new[] { new { sources = new[] { source }, region = "us-east-1", bucket, roleArn, externalId } },
        }));

    /// <summary>A deployment's command line, run until stopped: its customers' S3 and STS endpoints, and the shared stage on moto.</summary>
    private static List<string> Arguments(KafkaTopic topic, string group, string tenantsFile, string s3Url, string stsUrl, string stage)
    {
        List<string> arguments = KafkaToS3Program.Arguments(topic, group, tenantsFile, s3Url, untilCaughtUp: false);
        arguments[arguments.IndexOf("--sts-endpoint-url") + 1] = stsUrl;
        return [.. arguments, .. KafkaToS3Program.StageArguments(stage, SharedPeers.S3.ServiceUrl)];
    }

    /// <summary>Stages one batch of one event for <paramref name="bucket"/> as an earlier version did: without an identity (<c>~BUCKET/</c>).</summary>
    private static async Task StageUnmarkedAsync(string stage, string bucket, string source, string messageId)
    {
        using var stager = new StagingConsumer(StagingPeers.Options(stage), BucketLocation.Parse(bucket), StagingPeers.ServiceCredentials());
        using SealedBatch batch = await TestBatches.CreateAsync(source, new DateOnly(2026, 11, 30), $"{{\"messageId\":\"{messageId}\"}}");
        await stager.StageAsync(batch);
    }

    /// <summary>Waits, at most <see cref="Bound"/>, until <paramref name="condition"/> holds; fails with the programs' output otherwise.</summary>
    private static async Task UntilAsync(Func<Task<bool>> condition, string what, params KafkaToS3QaProcess[] programs)
    {
        var waited = Stopwatch.StartNew();
        while (!await condition())
        {
            if (waited.Elapsed > Bound || programs.Any(p => p.HasExited))
            {
                Assert.Fail($"Not {what} within {Bound}:\n{string.Join("\n=====\n", programs.Select(p => p.Output))}");
            }

            await Task.Delay(250);
        }
    }

    /// <summary>The message ids in every object of <paramref name="bucket"/>, decompressed and read line by line.</summary>
    private static async Task<List<string>> MessageIdsAsync(IAmazonS3 s3, string bucket)
    {
        var lines = new List<string>();
        ListObjectsV2Response listing;
        try
        {
            listing = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        }
        catch (AmazonS3Exception exception) when (exception.ErrorCode == "NoSuchBucket")
        {
            return [];
        }

        foreach (S3Object entry in listing.S3Objects ?? [])
        {
            using GetObjectResponse response = await s3.GetObjectAsync(bucket, entry.Key);
            using var buffer = new MemoryStream();
            await response.ResponseStream.CopyToAsync(buffer);
            lines.AddRange(Support.Gzip.Lines(buffer.ToArray()));
        }

        return [.. Objects.MessageIds(lines)];
    }

    /// <summary>A second S3-compatible store (moto without IAM rules, STS included): buckets of its own, whatever their names elsewhere.</summary>
    private sealed class OtherStore : IAsyncDisposable
    {
        private readonly PeerProcess _process;

        private OtherStore(PeerProcess process, string serviceUrl)
        {
            _process = process;
            ServiceUrl = serviceUrl;
            Client = AccountSetup.CreateS3Client(new Uri(serviceUrl), new BasicAWSCredentials("other-store", "other-store"));
        }

        public string ServiceUrl { get; }

        public AmazonS3Client Client { get; }

        public static async Task<OtherStore> StartAsync()
        {
            string python = Environment.GetEnvironmentVariable("MOTO_PYTHON") is { Length: > 0 } chosen ? chosen : "python3";
            var process = PeerProcess.Start(
                python,
                [Path.Combine(RepoPaths.Peers, "moto-with-aws-rules.py"), "--host", "127.0.0.1", "--port", "0"],
                RepoPaths.Root,
                line => line.StartsWith("listening on ", StringComparison.Ordinal),
                new Dictionary<string, string> { ["INITIAL_NO_AUTH_ACTION_COUNT"] = "inf", ["PYTHONUNBUFFERED"] = "1" });
            try
            {
                string line = await process.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
                return new OtherStore(process, line["listening on ".Length..].Trim().TrimEnd('/'));
            }
            catch
            {
                await process.DisposeAsync();
                throw;
            }
        }

        public Task CreateBucketAsync(string bucket) => Client.PutBucketAsync(bucket);

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            await _process.DisposeAsync();
        }
    }
}
