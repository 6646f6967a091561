namespace RawDataDestination.Tests.Integration;

/// <summary><c>rawdata ship --stage-bucket</c> and <c>rawdata deliver-staged</c>, run as processes against the local peers.</summary>
public class RawdataStagingCliTests
{
    /// <summary>The operator's own key pair for the staging bucket, through the default credential chain.</summary>
    private static Dictionary<string, string> ServiceCredentials => SharedPeers.ServiceEnvironment();

    private static string[] DestinationArguments(string verb, string customer, Uri customerEndpoint, string stage) =>
    [
        verb, "--region", "us-east-1", "--bucket", customer, "--role-arn", SharedPeers.RoleArn, "--external-id", SharedPeers.ExternalId,
        "--endpoint-url", customerEndpoint.ToString(), "--sts-endpoint-url", SharedPeers.Sts.ServiceUrl,
        "--stage-bucket", stage, "--stage-endpoint-url", SharedPeers.S3.ServiceUrl,
    ];

    private static string Events(int count) =>
        string.Concat(Enumerable.Range(0, count).Select(i => $"{{\"type\":\"track\",\"messageId\":\"s-{i}\",\"receivedAt\":\"2023-11-24T10:00:00.000Z\"}}\n"));

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string[] arguments, string stdin = "")
    {
        using System.Diagnostics.Process process = RawdataProgram.Start(arguments, ServiceCredentials);
        return await RawdataProgram.RunToEndAsync(process, stdin);
    }

    [Test]
    public async Task ShipWithStageBucket_WhenTheCustomerTakesEverything_DeliversAndLeavesNothingStaged()
    {
        string stage = await StagingPeers.NewBucketAsync("stage");
        string customer = await StagingPeers.NewBucketAsync("customer");
        string source = Objects.UniqueSource("cli-stage");

        var (exitCode, stdout, stderr) = await RunAsync([.. DestinationArguments("ship", customer, new Uri(SharedPeers.S3.ServiceUrl), stage), "--source-id", source, "--max-batch-bytes", "4096", "--max-event-bytes", "1024"], Events(200));

        Assert.That(exitCode, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("events staged:    0").And.Contain("events delivered: 200"));
        List<string> ids = await Objects.MessageIdsAsync("segment-logs/", customer);
        Assert.That(ids, Is.EquivalentTo(Enumerable.Range(0, 200).Select(i => $"s-{i}")));
        Assert.That(await StagingPeers.KeysAsync(stage), Is.Empty);
    }

    [Test]
    public async Task ShipWithStageBucket_WhileTheCustomerRefuses_ExitsZeroStaged_ThenDeliverStagedExitsOneThenZero()
    {
        string stage = await StagingPeers.NewBucketAsync("stage");
        string customer = await StagingPeers.NewBucketAsync("customer");
        string source = Objects.UniqueSource("cli-parked");
        await using var proxy = PolicyProxy.Start(new Uri(SharedPeers.S3.ServiceUrl), new PolicyRules { Bucket = customer, AllowedKeyPrefix = "not-yet/" });

        var shipped = await RunAsync([.. DestinationArguments("ship", customer, proxy.ServiceUrl, stage), "--source-id", source, "--max-batch-bytes", "4096", "--max-event-bytes", "1024"], Events(150));

        Assert.That(shipped.ExitCode, Is.EqualTo(0), shipped.Stderr);
        Assert.That(shipped.Stdout, Does.Contain("events staged:    150").And.Contain("events delivered: 0"));
        Assert.That(shipped.Stderr, Does.Contain("parked"));
        Assert.That(await StagingPeers.KeysAsync(customer), Is.Empty);

        var stillRefused = await RunAsync(DestinationArguments("deliver-staged", customer, proxy.ServiceUrl, stage));
        Assert.That(stillRefused.ExitCode, Is.EqualTo(1), stillRefused.Stderr);
        Assert.That(stillRefused.Stdout, Does.Contain("events delivered: 0").And.Contain("(150 events)"));

        proxy.Rules.AllowedKeyPrefix = "segment-logs/";
        var delivered = await RunAsync(DestinationArguments("deliver-staged", customer, proxy.ServiceUrl, stage));

        Assert.That(delivered.ExitCode, Is.EqualTo(0), delivered.Stderr);
        Assert.That(delivered.Stdout, Does.Contain("events delivered: 150").And.Contain("batches parked:   0"));
        List<string> ids = await Objects.MessageIdsAsync("segment-logs/", customer);
        Assert.That(ids, Has.Count.EqualTo(150).And.Unique);
        Assert.That(await StagingPeers.KeysAsync(stage), Is.Empty);
    }

    [Test]
    public async Task DeliverStaged_ToACustomerWhoseAnswersAreLost_SendsTheBatchOncePerAttemptOfItsRetryTimeLimit()
    {
        // QA: about 11 PUTs of one staged batch within a second to a customer whose S3 stores each PUT and loses the answer.
        // With --retry-time-limit 0 the rule allows one attempt: one PUT. (Staged by the library, without a destination
        // identity: delivered with --without-identity.)
        await using LostAnswers peers = await LostAnswers.StartAsync();

        var (exitCode, stdout, stderr) = await RunAsync([.. DestinationArguments("deliver-staged", peers.Customer, peers.Proxy.ServiceUrl, peers.Stage), "--retry-time-limit", "0s", "--without-identity"]);

        Assert.That(exitCode, Is.EqualTo(1), stderr);
        Assert.That(stdout, Does.Contain("events delivered: 0"), stderr);
        Assert.That(peers.Puts, Is.EqualTo(1), "one attempt, one PUT\n" + stderr);
        Assert.That(await StagingPeers.KeysAsync(peers.Stage), Is.EqualTo(new[] { peers.StagedKey }), "still staged: no answer confirmed the write");
    }

    [Test]
    public async Task DeliverStaged_ForADestinationWhosePrefixHoldsAnothersKeyPrefix_ExitsZeroAndLeavesTheOthersBatchesForItsOwnRun()
    {
        string stage = await StagingPeers.NewBucketAsync("stage");
        string customer = await StagingPeers.NewBucketAsync("customer");
        await SharedPeers.AllowRoleToWriteAsync(customer, "nest");
        StagingOptions staging = StagingPeers.Options(stage);
        foreach ((string prefix, string name) in new[] { ("nest", "outer"), ("nest/segment-logs/x", "inner") })
        {
            using var consumer = new StagingConsumer(staging, BucketLocation.Parse($"{customer}/{prefix}"), StagingPeers.ServiceCredentials());
            using SealedBatch batch = await TestBatches.CreateAsync(Objects.UniqueSource(name), new DateOnly(2023, 11, 24), [.. Enumerable.Range(0, 3).Select(i => $"{{\"messageId\":\"{name}-{i}\"}}")]);
            await consumer.StageAsync(batch);
        }

        // Staged by the library without a destination identity (as KafkaToS3 stages): rawdata delivers them with --without-identity.
        var outer = await RunAsync([.. DestinationArguments("deliver-staged", $"{customer}/nest", new Uri(SharedPeers.S3.ServiceUrl), stage), "--without-identity"]);

        Assert.That(outer.ExitCode, Is.EqualTo(0), outer.Stdout + outer.Stderr);
        Assert.That(outer.Stdout, Does.Contain("events delivered: 3").And.Contain("batches failing:  0"));
        Assert.That(await StagingPeers.KeysAsync(stage), Has.Count.EqualTo(1).And.All.Contain("/nest/segment-logs/x/segment-logs/"), "the inner destination's batch stays staged");

        var inner = await RunAsync([.. DestinationArguments("deliver-staged", $"{customer}/nest/segment-logs/x", new Uri(SharedPeers.S3.ServiceUrl), stage), "--without-identity"]);

        Assert.That(inner.ExitCode, Is.EqualTo(0), inner.Stdout + inner.Stderr);
        Assert.That(inner.Stdout, Does.Contain("events delivered: 3").And.Contain("batches failing:  0"));
        Assert.That(await StagingPeers.KeysAsync(stage), Is.Empty);
        Assert.That(await Objects.MessageIdsAsync("nest/segment-logs/x/segment-logs/", customer), Is.EquivalentTo(new[] { "inner-0", "inner-1", "inner-2" }));
    }

    [Test]
    public async Task DeliverStaged_WithoutStageBucket_ExitsTwoNamingIt()
    {
        var (exitCode, _, stderr) = await RunAsync(
            ["deliver-staged", "--region", "us-east-1", "--bucket", "acme-logs", "--role-arn", SharedPeers.RoleArn, "--external-id", SharedPeers.ExternalId]);

        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("--stage-bucket"));
    }
}
