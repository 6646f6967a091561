namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>The KafkaToS3 program's command line, tenants file, exit codes and signals, run as a child process against the mock cluster.</summary>
[CancelAfter(180_000)]
public class KafkaToS3ProgramTests
{
    [Test]
    public async Task KafkaToS3Program_WithBadUsage_ExitsTwoNamingEveryProblem()
    {
        using Process process = KafkaToS3Program.Start(
        [
            "--bootstrap-servers", "127.0.0.1:9", "--group-id", "g", "--region", "us-east-1", "--bucket", "b",
            "--max-batch-records", "0", "--endpoint-url", "s3://nope", "--follow", "--stage-region", "us-east-1",
            "--direct-step-aside", "soon",
        ]);
        var (exitCode, _, stderr) = await RawdataProgram.RunToEndAsync(process, stdin: "");

        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(stderr, Says.All(
            "Missing required option --topic.",
            "Missing required option --tenants.",
            "Option --region is now set per customer in the --tenants file (\"region\").",
            "Option --bucket is now set per customer in the --tenants file (\"bucket\").",
            "--max-batch-records is '0'; give a whole number from 1 to 2147483647",
            "--direct-step-aside is 'soon'; give the seconds a window waits for a tenant's direct attempt before it stages the batch, more than 0 and at most 3600, such as 2.",
            "--endpoint-url is 's3://nope'; give an absolute http:// or https:// URL",
            "Unknown argument '--follow'.",
            "--stage-region is given without --stage-bucket",
            "Usage: KafkaToS3 --bootstrap-servers HOSTS --topic T --group-id G --tenants FILE"));
    }

    [Test]
    public async Task KafkaToS3Program_WithEmptyOrIllegalBrokersTopicOrGroup_ExitsTwoNamingEach()
    {
        // librdkafka took them: an empty group or topic failed as "Kafka failed (Local_UnknownGroup)" or
        // "(Local_InvalidArg)" with exit 1, and no brokers or a topic Kafka cannot have waited for partitions forever, silently.
        string tenants = KafkaToS3Program.WriteOneTenantFile();
        try
        {
            foreach ((string servers, string topic, string group, string[] expected) in new[]
            {
                ("", "", "", new[]
                {
                    "--bootstrap-servers is ''; give the brokers as host:port[,host:port...], such as kafka-1:9092,kafka-2:9092.",
                    "--topic is ''; give the topic's name, 1 to 249 characters of [A-Za-z0-9._-] (Kafka's rule, and not . or ..): one topic, not a pattern.",
                    "--group-id is ''; give the consumer group's name, the same for every worker that shares the topic.",
                }),
                ("127.0.0.1:9,", "^orders.*", " ", new[] { "--bootstrap-servers is '127.0.0.1:9,'", "--topic is '^orders.*'", "--group-id is ' '" }),
                ("127.0.0.1:9", "orders 2024", "g", new[] { "--topic is 'orders 2024'" }),
            })
            {
                using Process process = KafkaToS3Program.Start(["--bootstrap-servers", servers, "--topic", topic, "--group-id", group, "--tenants", tenants, "--until-caught-up", "--assign-timeout", "5"]);
                var (exitCode, _, stderr) = await RawdataProgram.RunToEndAsync(process, stdin: "");

                Assert.That(exitCode, Is.EqualTo(2), stderr);
                Assert.That(stderr, Says.All(expected[0], expected[1..]));
            }
        }
        finally
        {
            File.Delete(tenants);
        }
    }

    [Test]
    public async Task KafkaToS3Program_WithHelp_PrintsTheUsageOnStdoutAndExitsZero()
    {
        foreach (string[] arguments in new[] { new[] { "--help" }, ["-h"], ["--topic", "t", "--help"] })
        {
            using Process process = KafkaToS3Program.Start(arguments);
            var (exitCode, stdout, stderr) = await RawdataProgram.RunToEndAsync(process, stdin: "");

            Assert.That((exitCode, stderr), Is.EqualTo((0, string.Empty)), string.Join(' ', arguments));
            Assert.That(stdout, Does.StartWith("Usage: KafkaToS3 --bootstrap-servers HOSTS").And.Contain("--kafka-config PROPERTIES").And.Contain("Exit codes:"));
            Assert.That(stdout, Does.Contain("Defaults: --max-batch-records 100000, --max-event-bytes 32768, --direct-step-aside 2, --assign-timeout 120."), "each option's default, as --retry-time-limit's was");
        }
    }

    [Test]
    public async Task KafkaToS3Program_WithABadTenantsFile_ExitsTwoNamingTheTenantTheFieldAndTheFix()
    {
        string notJson = KafkaToS3Program.WriteTenantsFile("{\"tenants\":[{\"sources\":[\"a\"],}");
        string invalid = KafkaToS3Program.WriteTenantsFile("""
            {"tenants":[
              {"sources":["web","ios"],"region":"us-east-1","bucket":"acme-logs","roleArn":"arn:aws:iam::123456789012:role/x","externalId":"acme-id"},
              {"name":"globex","sources":["ios"],"region":"us-wst-2","bucket":"globex-logs","externalId":"globex-id","sse":"aes"}
            ]}
            """);
        try
        {
            foreach ((string file, string[] expected) in new[]
            {
                (notJson, new[] { $"--tenants '{notJson}' is not JSON at line 1, byte 30 (", "write {\"tenants\":[" }),
                (invalid, new[]
                {
                    "tenant 'globex' (tenants[1]): source 'ios' is also listed by tenant 'web' (tenants[0]); list it under one tenant",
                    "tenant 'globex' (tenants[1]): \"roleArn\" is missing; add the ARN of the role the customer created",
                    "tenant 'globex' (tenants[1]): \"sse\" is 'aes'; use AES256 (SSE-S3) or aws:kms",
                }),
            })
            {
                using Process process = KafkaToS3Program.Start(["--bootstrap-servers", "127.0.0.1:9", "--topic", "t", "--group-id", "g", "--tenants", file]);
                var (exitCode, _, stderr) = await RawdataProgram.RunToEndAsync(process, stdin: "");

                Assert.That(exitCode, Is.EqualTo(2), stderr);
                foreach (string line in expected)
                {
                    Assert.That(stderr, Does.Contain(line));
                }
            }
        }
        finally
        {
            File.Delete(notJson);
            File.Delete(invalid);
        }
    }

    [Test]
    public async Task KafkaToS3Program_WhenTheStagingBucketRefusesABrokenTenantsBatch_ExitsOneAndCommitsNothing()
    {
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(12);
        TenantDestinationsOptions tenants = topic.Tenants(_ => SharedPeers.Bucket, externalIdOf: _ => "not-the-external-id");

        // The stage passes the start-up probe, then is gone (deleted while the worker runs): its batches are refused. A
        // stage missing at start ends the start with exit 2 instead (KafkaToS3StageProbeProcessTests).
        string stage = await StagingPeers.NewBucketAsync("stage");
        await using FaultProxy deleted = StageDeletedAfterItsProbe();

        var (exitCode, stdout, stderr) = await RunWithStageAsync(topic, "stage-refused", tenants, stage, deleted.ServiceUrl);

        Assert.That(exitCode, Is.EqualTo(1), stdout + stderr);
        Assert.That(stderr, Does.Contain($"Stopping: The staging bucket '{stage}' refused batch").And.Contain("NoSuchBucket").And.Contain("Nothing of the window is committed"));
        Assert.That(topic.CommittedOffsets("stage-refused"), Has.All.LessThan(0), "nothing committed: the next run delivers it all");
        Assert.That(await SharedPeers.S3.ListKeysAsync(SharedPeers.Bucket, $"segment-logs/{topic.Source}/"), Is.Empty);
    }

    [Test]
    public async Task KafkaToS3Program_WhenTheStagingBucketRefusesABrokenTenantsBatch_CountsTheHealthyTenantsObjectsThatLanded()
    {
        // QA: the last line said "0 objects uploaded" while the healthy tenants' objects of the dropped window were in their buckets.
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(12, sources: 2);
        string customers = await topic.NewCustomerBucketAsync();
        TenantDestinationsOptions tenants = topic.Tenants(k => $"{customers}/t{k:00}", externalIdOf: k => k == 1 ? "not-the-external-id" : null);
        string stage = await StagingPeers.NewBucketAsync("stage");
        await using FaultProxy deleted = StageDeletedAfterItsProbe();

        var (exitCode, stdout, stderr) = await RunWithStageAsync(topic, "stage-refused-count", tenants, stage, deleted.ServiceUrl);

        Assert.That(exitCode, Is.EqualTo(1), stdout + stderr);
        int landed = (await SharedPeers.S3.ListKeysAsync(customers, "t00/segment-logs/")).Count;
        Assert.That(landed, Is.GreaterThan(0), "the healthy tenant's batch of the window is not cancelled by the stage's refusal of the other's");
        Assert.That(stdout, Does.Contain($", {landed} objects uploaded, 0 staged"), stdout + stderr);
    }

    [Test]
    public async Task KafkaToS3Program_WhenTheStagingBucketRefusesTheServicesAccessKey_ExitsOneAdvisingValidCredentialsOnOneLine()
    {
        // The service's own access key deleted mid-run: the stop names the key, not the bucket's region or policy.
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(12);
        TenantDestinationsOptions tenants = topic.Tenants(_ => SharedPeers.Bucket, externalIdOf: _ => "not-the-external-id");
        string stage = await StagingPeers.NewBucketAsync("stage");
        await using FaultProxy keyDeleted = MotoFaults.Proxy(request => request.Method == "PUT" && !IsStartProbe(request) // deleted after the start-up probe
            ? ProxyDecision.Response(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
            : ProxyAction.Forward);

        var (exitCode, stdout, stderr) = await RunWithStageAsync(topic, "stage-key-deleted", tenants, stage, keyDeleted.ServiceUrl);

        Assert.That(exitCode, Is.EqualTo(1), stdout + stderr);
        string stopping = stderr.Split('\n').Single(line => line.Contains("Stopping: ", StringComparison.Ordinal));
        Assert.That(stopping, Does.Contain($"The staging bucket '{stage}' refused batch").And.Contain("did not accept this service's own credentials (InvalidAccessKeyId")
            .And.Contain("their access key does not exist").And.Contain("Give this service valid credentials").And.Contain("Nothing of the window is committed"), stopping);
        Assert.That(stopping, Does.Not.Contain("s3:PutObject").And.Not.Contain("Check that it exists in region"), "the bucket is not the cause");
        Assert.That(stderr + stdout, Does.Not.Contain(" at Amazon.").And.Not.Contain("--- End of stack trace"), "no stack trace");
        Assert.That(topic.CommittedOffsets("stage-key-deleted"), Has.All.LessThan(0), "nothing committed: the next run delivers it all");
    }

    [Test]
    public async Task KafkaToS3Program_WhenAWebPageAnswersThePutAtTheStagingUrl_ExitsOneSayingItIsNotS3AndCommitsNothing()
    {
        // The staging write's 200 without an ETag was taken for a batch staged: the window was committed, the events nowhere.
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(12);
        TenantDestinationsOptions tenants = topic.Tenants(_ => SharedPeers.Bucket, externalIdOf: _ => "not-the-external-id");
        string stage = await StagingPeers.NewBucketAsync("stage");
        await using var notS3 = new FaultProxy(new Uri(SharedPeers.S3.ServiceUrl), request =>
            request.Method == "PUT" ? new ProxyDecision(ProxyAction.Respond, 200, "<html><body>It works!</body></html>") : ProxyAction.Forward);

        var (exitCode, stdout, stderr) = await RunWithStageAsync(topic, "stage-not-s3", tenants, stage, notS3.ServiceUrl);

        Assert.That(exitCode, Is.EqualTo(1), stdout + stderr);
        Assert.That(stderr, Does.Contain($"Stopping: The staging bucket '{stage}' refused batch").And.Contain("is not S3").And.Contain("Check --stage-endpoint-url"), stderr);
        Assert.That(topic.CommittedOffsets("stage-not-s3"), Has.All.LessThan(0), "nothing committed: the next run delivers it all");
    }

    [Test]
    public async Task KafkaToS3Program_WithTwentyTenantsThreeBroken_DeliversTheHealthyOnceStagesTheBrokenAndCommitsEveryWindow()
    {
        const int missingBucket = 0, refusedRole = 1, throttled = 2;
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(240, sources: 20);
        using var customers = await KafkaToS3Customers.CreateAsync(
            topic, withStage: true, bucketOf: k => k == missingBucket ? $"missing-{Guid.NewGuid():N}" : null, externalIdOf: k => k == refusedRole ? "not-the-external-id" : null);
        string customer = customers.Customer;
        await using var faults = TenantPutFaults.Start(customer, (throttled, ProxyAction.SlowDown));

        var (exitCode, stdout, stderr) = await customers.RunToEndAsync("twenty-tenants", faults.ServiceUrl, "--direct-step-aside", "60");

        int[] broken = [missingBucket, refusedRole, throttled];
        int stagedBatches = broken.Sum(topic.BatchesOf);
        Assert.That(exitCode, Is.EqualTo(0), stdout + stderr);
        Assert.That(stdout, Does.Contain($"KafkaToS3 stopped: 240 records read, 3 refused (1 without a tenant), {topic.BatchCount - stagedBatches} objects uploaded, {stagedBatches} staged"));
        Assert.That(topic.CommittedOffsets("twenty-tenants"), Is.EqualTo(topic.EndOffsets), "every window committed, the broken customers' included");
        await customers.EachTenantHasItsRecordsOnceAsync(k => $"tenant {k}: each event once", which: k => !broken.Contains(k));

        Assert.That(await SharedPeers.S3.ListKeysAsync(customer, $"t{refusedRole:00}/"), Is.Empty);
        Assert.That(await SharedPeers.S3.ListKeysAsync(customer, $"t{throttled:00}/"), Is.Empty);
        Assert.That(await KafkaTopic.StagedMessageIdsAsync(customers.Stage), Is.EquivalentTo(broken.SelectMany(topic.ExpectedMessageIdsOf)), "the broken customers' events sit staged, each once");
    }

    [Test]
    public async Task KafkaToS3Program_OnSigterm_DropsItsOpenBatchesUncommittedAndExitsZero()
    {
        for (int attempt = 1; ; attempt++)
        {
            using KafkaTopic topic = await KafkaTopic.ProduceAsync(42);
            string file = KafkaToS3Program.WriteTenantsFile(KafkaTopic.TenantsJson(topic.Tenants(_ => SharedPeers.Bucket)));
            using Process process = KafkaToS3Program.Start(KafkaToS3Program.Arguments(topic, "stopped", file, untilCaughtUp: false));
            string stdout, stderr;
            try
            {
                // Partitions 0 and 1 hold 11 records: after the 8 full windows, each keeps a window open with offset 10.
                (stdout, stderr, _) = await KafkaToS3Program.TerminateWhenAsync(
                    process, lines => lines.Count(line => line.Contains(" Committed ", StringComparison.Ordinal)) >= 8, TimeSpan.FromSeconds(60));
            }
            finally
            {
                File.Delete(file);
            }

            if (attempt < 3 && !stdout.Contains("KafkaToS3 stopped: 42 records read", StringComparison.Ordinal))
            {
                // The signal came before the consumer read offset 10 of partitions 0 and 1 (seen once on a loaded machine): no
                // window was open yet, so what this test is about did not happen. No line says a record was read, so the test
                // cannot wait for it: it runs again on a new topic.
                TestContext.Out.WriteLine($"attempt {attempt}: stopped before the open windows' records were read; again\n{stdout}");
                continue;
            }

            Assert.That(process.ExitCode, Is.EqualTo(0), stdout + stderr);
            Assert.That(stdout, Does.Contain("KafkaToS3 stopped: 42 records read, 3 refused (1 without a tenant), 8 objects uploaded, 0 staged, 0 copied from the stage, 8 offsets committed"));
            Assert.That(stdout, Does.Contain("Dropped the open batch of " + topic.Name + "[0] from offset 10 (1 records, shutdown)"));
            Assert.That(topic.CommittedOffsets("stopped"), Is.EqualTo(new long[] { 10, 10, 10, 10 }));
            return;
        }
    }

    /// <summary>Whether a request is the start-up probe's write of the stage (StageProbe), which a fault meant for batches lets pass.</summary>
    /// <summary>A stage that passes the start-up probe, then is gone (deleted while the worker runs): its batches are refused NoSuchBucket.</summary>
    private static FaultProxy StageDeletedAfterItsProbe() => MotoFaults.Proxy(request => request.Method == "PUT" && !IsStartProbe(request)
        ? ProxyDecision.Response(404, "NoSuchBucket", "The specified bucket does not exist")
        : ProxyAction.Forward);

    private static bool IsStartProbe(ProxyRequest request) => request.Path.Contains("/~/start-probe", StringComparison.Ordinal);

    /// <summary>
    /// Runs the program until caught up over <paramref name="tenants"/> with the staging bucket <paramref name="stage"/>,
    /// reached at <paramref name="stageUrl"/> (a fault proxy), and the service's own credentials.
    /// </summary>
    private static Task<(int ExitCode, string Stdout, string Stderr)> RunWithStageAsync(KafkaTopic topic, string group, TenantDestinationsOptions tenants, string stage, Uri stageUrl) =>
        KafkaToS3Program.RunAsync(topic, group, tenants, KafkaToS3Program.StageArguments(stage, stageUrl.ToString()), environment: SharedPeers.ServiceEnvironment());
}
