namespace RawDataDestination.Tests.Integration;

/// <summary>
/// <see cref="S3RoleDestination.VerifyAsync"/> and <c>rawdata verify</c> against moto with IAM enforced (real roles: the
/// right one, one without the external-id condition, one whose policy forgot the prefix) and, for what moto does not
/// check (a KMS denial, a bucket in another region, ACLs disabled), a policy proxy in front of it: each setup mistake
/// gets its mapped message, and the right setup passes.
/// </summary>
public class SetupCheckTests
{
    private const string Prefix = "team/raw";

    private static S3RoleDestinationOptions Options(PolicyProxy proxy, string bucket = SharedPeers.Bucket + "/" + Prefix, string externalId = SharedPeers.ExternalId)
    {
        S3RoleDestinationOptions options = Destinations.Options(bucket, externalId, proxy.ServiceUrl.ToString());
        return options;
    }

    private static PolicyProxy Proxy(Action<PolicyRules>? configure = null)
    {
        var rules = new PolicyRules { Bucket = SharedPeers.Bucket, AllowedKeyPrefix = Prefix + "/segment-logs/" };
        configure?.Invoke(rules);
        return PolicyProxy.Start(new Uri(SharedPeers.S3.ServiceUrl), rules);
    }

    /// <summary>The bucket answers as one in <paramref name="region"/>: a PermanentRedirect, or S3's AuthorizationHeaderMalformed naming the region.</summary>
    private static PolicyProxy BucketInRegion(string region, bool asMalformedAuthorization) =>
        Proxy(rules => (rules.BucketRegion, rules.RedirectAsMalformedAuthorization) = (region, asMalformedAuthorization));

    [Test]
    public async Task VerifyAsync_WhenTheSetupIsRight_PassesEveryStepAndWritesOnlyTheProbe()
    {
        await using PolicyProxy proxy = Proxy();
        using S3RoleDestination destination = Destinations.Create(Options(proxy));

        SetupCheckReport report = await destination.VerifyAsync();

        Assert.That(report.Succeeded, Is.True, report.ToString());
        Assert.That(report.Steps.Select(s => s.Outcome), Is.EqualTo(new[] { SetupCheckOutcome.Passed, SetupCheckOutcome.Passed, SetupCheckOutcome.Passed }));
        Assert.That(destination.ProbeObjectKey, Is.EqualTo("team/raw/segment-logs/dummy-object.txt"));
        Assert.That(report.Steps[2].Message, Does.Contain("with ACL bucket-owner-full-control and"), "the ACL as S3, --acl and a tenants file name it (it said 'BucketOwnerFullControl')");
        byte[] probe = await SharedPeers.S3.GetObjectBytesAsync(SharedPeers.Bucket, destination.ProbeObjectKey);
        Assert.That(Encoding.UTF8.GetString(probe), Does.Contain("setup check"));
        Assert.That(proxy.Log.Select(l => (l.Request.Method, l.Request.Path)), Is.EqualTo(new[] { ("PUT", "/raw-bucket/team/raw/segment-logs/dummy-object.txt") }), "one S3 call: the probe PutObject");
    }

    [TestCase(400, "Throttling")]
    [TestCase(500, "InternalFailure")]
    public async Task VerifyAsync_WhenStsIsBusyForItsFirstAnswer_TriesAgainAndPassesEveryStep(int status, string code)
    {
        // QA: one Throttling (or 500) from STS failed the first step, and the check with it ("deliveries retry").
        int calls = 0;
        string busy = $"<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>{(status >= 500 ? "Receiver" : "Sender")}</Type><Code>{code}</Code><Message>Rate exceeded</Message></Error><RequestId>fault-0001</RequestId></ErrorResponse>";
        await using var sts = new FaultProxy(new Uri(SharedPeers.Sts.ServiceUrl), request =>
            request.Method == "POST" && Interlocked.Increment(ref calls) == 1
                ? new ProxyDecision(ProxyAction.Respond, status, busy, new Dictionary<string, string> { ["Content-Type"] = "text/xml" })
                : ProxyAction.Forward);
        await using PolicyProxy proxy = Proxy();
        S3RoleDestinationOptions options = Options(proxy);
        options.StsServiceUrl = sts.ServiceUrl;
        using S3RoleDestination destination = Destinations.Create(options);

        SetupCheckReport report = await destination.VerifyAsync();

        Assert.That(report.Steps.Select(s => s.Outcome), Is.EqualTo(new[] { SetupCheckOutcome.Passed, SetupCheckOutcome.Passed, SetupCheckOutcome.Passed }), report.ToString());
        Assert.That(calls, Is.GreaterThanOrEqualTo(3), "the busy answer, its second try, and the second step's");
    }

    [Test]
    public async Task VerifyAsync_WhenTheTrustPolicyDoesNotRequireTheExternalId_WarnsAboutTheConfusedDeputy()
    {
        // A customer whose trust policy names the service but has no sts:ExternalId condition.
        TestCustomer customer = await TestCustomer.CreateAsync("no-condition", externalId: null);
        S3RoleDestinationOptions options = Destinations.Options(customer.Bucket, SharedPeers.ExternalId);
        options.RoleArn = customer.RoleArn;
        using S3RoleDestination destination = Destinations.Create(options);

        SetupCheckReport report = await destination.VerifyAsync();

        SetupCheckStep first = report.Steps[0];
        Assert.That(customer.Role.TrustPolicy, Does.Not.Contain("sts:ExternalId"));
        Assert.That(first.Outcome, Is.EqualTo(SetupCheckOutcome.Warning));
        Assert.That(first.Message, Does.Contain("does not require sts:ExternalId").And.Contain("confused-deputy").And.Contain($"\"sts:ExternalId\": \"{SharedPeers.ExternalId}\""));
        Assert.That(report.Succeeded, Is.True, "a warning: the destination still works");
    }

    [Test]
    public async Task VerifyAsync_WhenTheTrustPolicyTakesAnyExternalId_WarnsAboutTheConfusedDeputy()
    {
        // QA: a trust policy with StringLike "sts:ExternalId": "*" denies a call without one, and let anyone who sends any
        // id assume the role; the check called that "passed". Such an STS: the first AssumeRole (without an id) denied,
        // the rest taken by a role whose trust policy has no condition.
        TestCustomer customer = await TestCustomer.CreateAsync("any-id", externalId: null);
        int calls = 0;
        string denied = "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized to perform: sts:AssumeRole</Message></Error><RequestId>fault-0002</RequestId></ErrorResponse>";
        await using var sts = new FaultProxy(new Uri(SharedPeers.Sts.ServiceUrl), request =>
            request.Method == "POST" && Interlocked.Increment(ref calls) == 1
                ? new ProxyDecision(ProxyAction.Respond, 403, denied, new Dictionary<string, string> { ["Content-Type"] = "text/xml" })
                : ProxyAction.Forward);
        S3RoleDestinationOptions options = Destinations.Options(customer.Bucket, SharedPeers.ExternalId);
        options.RoleArn = customer.RoleArn;
        options.StsServiceUrl = sts.ServiceUrl;
        using S3RoleDestination destination = Destinations.Create(options);

        SetupCheckReport report = await destination.VerifyAsync();

        SetupCheckStep first = report.Steps[0];
        Assert.That((first.Outcome, first.ErrorCode), Is.EqualTo((SetupCheckOutcome.Warning, "AnyExternalIdAccepted")), first.Message);
        Assert.That(first.Message, Does.Contain("with an external id other than yours").And.Contain("confused-deputy").And.Contain($"\"sts:ExternalId\": \"{SharedPeers.ExternalId}\""));
        Assert.That(sts.Log.Count(l => l.Request.Method == "POST"), Is.GreaterThanOrEqualTo(3), "without an id, with another, with the customer's");
        Assert.That(report.Succeeded, Is.True, "a warning: the destination still works");
    }

    [Test]
    public async Task VerifyAsync_WhenS3AnswersTheProbeBusyOnce_TriesAgainAndPasses()
    {
        // QA: one 503 SlowDown to the probe's PUT failed the check (exit 1) of a setup that works.
        int puts = 0;
        await using FaultProxy s3 = MotoFaults.Proxy(request =>
            request.Method == "PUT" && Interlocked.Increment(ref puts) == 1
                ? ProxyDecision.Response(503, "SlowDown", "Please reduce your request rate.")
                : ProxyAction.Forward);
        using S3RoleDestination destination = Destinations.Create(Destinations.Options(SharedPeers.Bucket, SharedPeers.ExternalId, s3.ServiceUrl.ToString()));

        SetupCheckReport report = await destination.VerifyAsync();

        Assert.That(report.Steps.Select(s => s.Outcome), Is.EqualTo(new[] { SetupCheckOutcome.Passed, SetupCheckOutcome.Passed, SetupCheckOutcome.Passed }), report.ToString());
        Assert.That(puts, Is.EqualTo(2), "the busy answer, and its second try");
    }

    [Test]
    public async Task VerifyAsync_WithTheWrongExternalId_FailsNamingTheTrustRelationshipAndSkipsThePut()
    {
        await using PolicyProxy proxy = Proxy();
        using S3RoleDestination destination = Destinations.Create(Options(proxy, externalId: "not-the-right-id"));

        SetupCheckReport report = await destination.VerifyAsync();

        Assert.That(report.Succeeded, Is.False);
        Assert.That(report.Steps[0].Outcome, Is.Not.EqualTo(SetupCheckOutcome.Passed), "a denial of every AssumeRole does not show that the external id is required");
        Assert.That(report.FirstFailure, Is.SameAs(report.Steps[1]), "the failure to fix is the trust relationship's");
        Assert.That(report.Steps[1].Outcome, Is.EqualTo(SetupCheckOutcome.Failed));
        Assert.That(report.Steps[1].Message, Does.Contain("Trust relationships").And.Contain("principal").And.Contain("\"sts:ExternalId\": \"not-the-right-id\""));
        Assert.That(report.Steps[2].Outcome, Is.EqualTo(SetupCheckOutcome.Skipped));
        Assert.That(proxy.Log, Is.Empty, "no S3 call without the role");
    }

    [Test]
    public async Task VerifyAsync_WhenThePolicyAllowsAnotherResource_NamesTheResourceToAllow()
    {
        // A real role whose policy forgot the prefix: it allows {bucket}/segment-logs/* only, and moto refuses the rest.
        TestCustomer customer = await TestCustomer.CreateAsync("forgot-prefix", SharedPeers.ExternalId);
        S3RoleDestinationOptions options = Destinations.Options(customer.Bucket + "/" + Prefix);
        options.RoleArn = customer.RoleArn;
        using S3RoleDestination destination = Destinations.Create(options);

        SetupCheckReport report = await destination.VerifyAsync();

        Assert.That(report.FirstFailure?.ErrorCode, Is.EqualTo("AccessDenied"));
        Assert.That(report.FirstFailure!.Message, Does.Contain($"arn:aws:s3:::{customer.Bucket}/team/raw/segment-logs/*").And.Contain("s3:PutObject"));
    }

    [Test]
    public async Task VerifyAsync_WhenTheRoleMayNotUseTheKmsKey_AsksForGenerateDataKey()
    {
        await using PolicyProxy proxy = Proxy(rules => rules.DenyKms = true);
        S3RoleDestinationOptions options = Options(proxy);
        options.Encryption = ObjectEncryption.Kms;
        options.KmsKeyId = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        using S3RoleDestination destination = Destinations.Create(options);

        SetupCheckReport report = await destination.VerifyAsync();

        Assert.That(report.FirstFailure?.Message, Does.Contain("kms:GenerateDataKey on the key"));
    }

    [TestCase(false, "PermanentRedirect")]
    [TestCase(true, "AuthorizationHeaderMalformed")]
    public async Task VerifyAsync_WhenTheBucketIsInAnotherRegion_NamesTheRightRegion(bool asMalformedAuthorization, string code)
    {
        await using PolicyProxy proxy = BucketInRegion("eu-west-1", asMalformedAuthorization);
        using S3RoleDestination destination = Destinations.Create(Options(proxy));

        SetupCheckReport report = await destination.VerifyAsync();

        Assert.That(report.FirstFailure?.ErrorCode, Is.EqualTo(code));
        Assert.That(report.FirstFailure!.Message, Does.Contain("Set Region to 'eu-west-1'"));
    }

    [Test]
    public async Task VerifyAsync_WhenTheBucketHasAclsDisabled_WarnsAsUploadsRecoverAndSaysHowToSetTheAclOption()
    {
        await using PolicyProxy proxy = Proxy(rules => rules.AclsDisabled = true);
        using S3RoleDestination destination = Destinations.Create(Options(proxy));

        SetupCheckReport report = await destination.VerifyAsync();

        // Uploads recover from this refusal by dropping the ACL, so the check must not call the setup broken.
        Assert.That(report.Succeeded, Is.True, "the destination will work");
        SetupCheckStep probe = report.Steps[^1];
        Assert.That((probe.Outcome, probe.ErrorCode), Is.EqualTo((SetupCheckOutcome.Warning, "AccessControlListNotSupported")));
        Assert.That(probe.Message, Does.Contain("set Acl to ObjectAcl.None"));
        Assert.That(proxy.Log.Where(l => l.Request.Method == "PUT").Select(l => l.Request.Headers.ContainsKey("x-amz-acl")), Is.EqualTo(new[] { true, false }), "refused with the ACL, written without it");
        Assert.That(await SharedPeers.S3.ListKeysAsync(SharedPeers.Bucket, destination.ProbeObjectKey), Is.EqualTo(new[] { destination.ProbeObjectKey }));
    }

    [Test]
    public async Task VerifyAsync_WhenTheBucketDoesNotExist_NamesTheBucket()
    {
        // The customer's policy names the bucket, which was never created (S3 answers NoSuchBucket, not AccessDenied).
        await SharedPeers.S3.Account.PutRolePolicyAsync(SharedPeers.RoleName, "write-no-such-bucket-here", RawDataDestination.LocalPeers.Aws.Policies.CustomerPermissions("no-such-bucket-here", [string.Empty], null));
        using S3RoleDestination destination = Destinations.Create(Destinations.Options("no-such-bucket-here"));

        SetupCheckReport report = await destination.VerifyAsync();

        Assert.That(report.FirstFailure?.ErrorCode, Is.EqualTo("NoSuchBucket"));
        Assert.That(report.FirstFailure!.Message, Does.Contain("Bucket 'no-such-bucket-here' does not exist"));
    }

    [Test]
    public async Task Upload_WhenTheBucketHasAclsDisabled_LandsOnceWithoutTheAclAndWarnsOnce()
    {
        await using PolicyProxy proxy = Proxy(rules => rules.AclsDisabled = true);
        var logs = new CapturingLogger();
        string source = Objects.UniqueSource("acl");
        using (var destination = new S3RoleDestination(Options(proxy), Destinations.BaseCredentials(), loggerFactory: logs))
        {
            for (int i = 0; i < 2; i++)
            {
                using RawDataDestination.Batching.SealedBatch batch = await TestBatches.CreateAsync(source, new DateOnly(2023, 11, 24), $"{{\"messageId\":\"acl-{i}\"}}");
                await destination.UploadAsync(batch);
            }
        }

        Dictionary<string, string[]> objects = await Objects.ReadAllAsync($"{Prefix}/segment-logs/{source}/");
        Assert.That(Objects.MessageIds(objects.Values.SelectMany(l => l)), Is.EquivalentTo(new[] { "acl-0", "acl-1" }));
        Assert.That(proxy.Log.Count(l => l.Request.Headers.ContainsKey("x-amz-acl")), Is.EqualTo(1), "one refused attempt with the ACL");
        Assert.That(logs.Lines.Count(l => l.Contains("AccessControlListNotSupported", StringComparison.Ordinal)), Is.EqualTo(1), "warned once");
    }

    [TestCase(false, "PermanentRedirect")]
    [TestCase(true, "AuthorizationHeaderMalformed")]
    public async Task Upload_WhenTheBucketIsInAnotherRegion_ThrowsNamingTheRightRegionWithoutRetrying(bool asMalformedAuthorization, string code)
    {
        await using PolicyProxy proxy = BucketInRegion("ap-southeast-2", asMalformedAuthorization);
        using var destination = new S3RoleDestination(Options(proxy), Destinations.BaseCredentials());
        using RawDataDestination.Batching.SealedBatch batch = await TestBatches.CreateAsync(Objects.UniqueSource("region"), new DateOnly(2023, 11, 24), "{\"messageId\":\"r\"}");

        var error = Assert.ThrowsAsync<DestinationException>(async () => await destination.UploadAsync(batch));

        Assert.That(error!.ErrorCode, Is.EqualTo(code));
        Assert.That(error.IsPermanent, Is.True);
        Assert.That(error.Message, Does.Contain("is not in region 'us-east-1'").And.Contain("Set Region to 'ap-southeast-2'"));
        Assert.That(proxy.Log, Has.Count.EqualTo(1), "a wrong region is not retried");
    }

    [Test]
    public async Task RawdataVerify_WhenTheSetupIsRight_PrintsEachStepAndExitsZero()
    {
        await using PolicyProxy proxy = Proxy();

        var (exitCode, stdout, stderr) = await RawdataProgram.RunAsync(VerifyArguments(proxy, SharedPeers.ExternalId), stdin: "");

        Assert.That(exitCode, Is.EqualTo(0), stdout + stderr);
        Assert.That(stdout, Says.All(
            "1. Assume the role without the external id, and with another (must be denied): passed",
            "2. Assume the role with the external id: passed",
            "3. Put a probe object: passed",
            "The destination will work."));
    }

    [Test]
    public async Task RawdataVerify_WhenAStepFails_ExitsOneWithTheStepsMessage()
    {
        TestCustomer customer = await TestCustomer.CreateAsync("forgot-prefix", SharedPeers.ExternalId);
        string[] arguments =
        [
            "verify", "--region", "us-east-1", "--bucket", customer.Bucket + "/" + Prefix, "--role-arn", customer.RoleArn, "--external-id", SharedPeers.ExternalId,
            "--endpoint-url", SharedPeers.S3.ServiceUrl, "--sts-endpoint-url", SharedPeers.Sts.ServiceUrl,
        ];

        var (exitCode, stdout, stderr) = await RawdataProgram.RunAsync(arguments, stdin: "");

        Assert.That(exitCode, Is.EqualTo(1), stdout + stderr);
        Assert.That(stdout, Does.Contain("3. Put a probe object: FAILED"));
        Assert.That(stderr, Does.Contain("verify failed at 'Put a probe object'").And.Contain($"arn:aws:s3:::{customer.Bucket}/team/raw/segment-logs/*"));
    }

    [Test]
    public async Task RawdataVerify_WhenTheRoleDeniesThisServiceEvenWithTheExternalId_DoesNotSayTheTrustPolicyRequiresIt()
    {
        await using PolicyProxy proxy = Proxy();

        var (exitCode, stdout, stderr) = await RawdataProgram.RunAsync(VerifyArguments(proxy, "not-the-right-id"), stdin: "");

        Assert.That(exitCode, Is.EqualTo(1), stdout + stderr);
        Assert.That(stdout, Does.Contain("1. Assume the role without the external id, and with another (must be denied): skipped").And.Contain("does not show that the trust policy requires"), stdout);
        Assert.That(stdout, Does.Not.Contain("Denied, as it should be"), stdout);
        Assert.That(stdout, Does.Contain("2. Assume the role with the external id: FAILED"), stdout);
        Assert.That(stderr, Does.Contain("verify failed at 'Assume the role with the external id'"), stderr);
    }

    [Test]
    public async Task RawdataVerify_WhenTheRolesPolicyLacksPutObjectAcl_FailsTheProbeNamingThePermission()
    {
        TestCustomer customer = await TestCustomer.CreateAsync("no-acl", SharedPeers.ExternalId);
        string roleName = customer.RoleArn[(customer.RoleArn.LastIndexOf('/') + 1)..];
        System.Text.Json.Nodes.JsonNode policy = System.Text.Json.Nodes.JsonNode.Parse(customer.Role.PermissionPolicy)!;
        policy["Statement"]![0]!["Action"] = "s3:PutObject";
        string withoutAcl = policy.ToJsonString();
        Assert.That(withoutAcl, Does.Contain("s3:PutObject").And.Not.Contain("s3:PutObjectAcl"), "the policy as the customer wrote it, without s3:PutObjectAcl");
        await SharedPeers.S3.Account.PutRolePolicyAsync(roleName, "segment-s3-upload", withoutAcl);
        string[] arguments =
        [
            "verify", "--region", "us-east-1", "--bucket", customer.Bucket, "--role-arn", customer.RoleArn, "--external-id", SharedPeers.ExternalId,
            "--endpoint-url", SharedPeers.S3.ServiceUrl, "--sts-endpoint-url", SharedPeers.Sts.ServiceUrl,
        ];

        var (exitCode, stdout, stderr) = await RawdataProgram.RunAsync(arguments, stdin: "");

        Assert.That(exitCode, Is.EqualTo(1), "AWS refuses a PutObject with an ACL header without s3:PutObjectAcl; so must the local AWS\n" + stdout + stderr);
        Assert.That(stdout, Does.Contain("3. Put a probe object: FAILED"));
        Assert.That(stderr, Does.Contain("s3:PutObjectAcl").And.Contain($"arn:aws:s3:::{customer.Bucket}/segment-logs/*"));
    }

    [Test]
    public async Task RawdataVerify_WhenThePathPrefixEndsInSegmentLogs_WarnsWhereObjectsGoAndNamesTheValueMeant()
    {
        // QA: --bucket copied with the folder the layout adds itself passed every step, and ship wrote every object under
        // team/raw/segment-logs/segment-logs/, where the customer's readers do not look.
        await using PolicyProxy proxy = Proxy();
        string[] arguments = VerifyArguments(proxy, SharedPeers.ExternalId);
        arguments[Array.IndexOf(arguments, "--bucket") + 1] = SharedPeers.Bucket + "/" + Prefix + "/segment-logs";

        var (exitCode, stdout, stderr) = await RawdataProgram.RunAsync(arguments, stdin: "");

        Assert.That(exitCode, Is.EqualTo(0), "the role may write there: the destination works, but not where it was meant to" + stdout + stderr);
        Assert.That(stdout, Says.All(
            "3. Put a probe object: WARNING",
            $"objects go under s3://{SharedPeers.Bucket}/{Prefix}/segment-logs/segment-logs/",
            $"set --bucket to '{SharedPeers.Bucket}/{Prefix}'",
            "The destination will work, but see the warning above."));
    }

    [Test]
    public void Create_WithAPathPrefixEndingInSegmentLogs_LogsOneWarningNamingTheBucketValueMeant()
    {
        var logs = new CapturingLogger();

        using (var destination = new S3RoleDestination(Destinations.Options(SharedPeers.Bucket + "/segment-logs"), Destinations.BaseCredentials(), loggerFactory: logs))
        {
        }

        using (var destination = new S3RoleDestination(Destinations.Options(SharedPeers.Bucket + "/segment-logs-archive"), Destinations.BaseCredentials(), loggerFactory: logs))
        {
        }

        Assert.That(logs.Lines, Has.Exactly(1).Contains($"set Bucket to '{SharedPeers.Bucket}'"), string.Join("\n", logs.Lines));
    }

    private static string[] VerifyArguments(PolicyProxy proxy, string externalId) =>
    [
        "verify", "--region", "us-east-1", "--bucket", SharedPeers.Bucket + "/" + Prefix, "--role-arn", SharedPeers.RoleArn, "--external-id", externalId,
        "--endpoint-url", proxy.ServiceUrl.ToString(), "--sts-endpoint-url", SharedPeers.Sts.ServiceUrl,
    ];
}
