namespace RawDataDestination.Tests.Cli.Processes;

/// <summary>
/// <c>rawdata</c>'s errors name the real cause, as a new user meets them: no AWS credentials at all, an answer with no
/// body, a staging bucket that refuses, a spool file it cannot use; and its first steps (stdin, the counts).
/// </summary>
public class RawdataErrorsTests
{
    private static string[] Ship(string s3Url, string stsUrl, params string[] more) =>
        RawdataPeers.Command("ship", s3Url, stsUrl, ["--source-id", $"err-{Guid.NewGuid():N}", "--retry-time-limit", "3s", "--shutdown-timeout", "2s", .. more]);

    private static string[] Verify(string s3Url, string stsUrl) => RawdataPeers.Command("verify", s3Url, stsUrl);

    [Test]
    [CancelAfter(90_000)]
    public async Task Ship_WithNoAwsCredentialsAnywhere_SaysThisServiceHasNoneInsteadOfSignatureV4a()
    {
        // An environment with no credentials: no variables, no profile file, no instance metadata.
        using var home = new TempDirectory("rawdata-home-");
        Dictionary<string, string> environment = NoCredentialsEnvironment.Under(home.Path);
        using System.Diagnostics.Process process = RawdataProgram.Start(Ship(RawdataPeers.S3Url, RawdataPeers.StsUrl), environment);
        var (exitCode, stdout, stderr) = await RawdataProgram.RunToEndAsync(process, "{\"type\":\"track\"}\n{\"type\":\"track\"}\n");

        Assert.That(exitCode, Is.EqualTo(1), stderr);
        Assert.That(stderr, Does.Contain("Delivery failed: This service has no AWS credentials of its own to call STS AssumeRole for role"));
        Assert.That(stderr, Does.Not.Contain("V4a").And.Not.Contain("CrtIntegration").And.Not.Contain("Could not reach S3"));
        Assert.That(stdout, Does.Contain("events read:      2").And.Contain("not delivered:    2"));
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task Verify_WithAwsProfileNamingAProfileThatDoesNotExist_NamesTheProfile()
    {
        using var home = new TempDirectory("rawdata-home-");
        await File.WriteAllTextAsync(Path.Combine(home.Path, "credentials"), "[prod]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = secret\n");
        Dictionary<string, string> environment = NoCredentialsEnvironment.Under(home.Path, ("AWS_PROFILE", "prdo"), ("AWS_SHARED_CREDENTIALS_FILE", Path.Combine(home.Path, "credentials")));
        string[] arguments = Verify(RawdataPeers.S3Url, RawdataPeers.StsUrl);
        using System.Diagnostics.Process process = RawdataProgram.Start(arguments, environment);
        var (exitCode, stdout, stderr) = await RawdataProgram.RunToEndAsync(process, string.Empty);

        Assert.That(exitCode, Is.EqualTo(1), stdout + stderr);
        Assert.That(stderr, Does.Contain("This service has no AWS credentials of its own").And.Contain("AWS_PROFILE is 'prdo'"), stderr);
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task Verify_WithAMistypedExternalId_SaysTheExternalIdGivenMayNotBeTheOneTheTrustPolicyRequires()
    {
        // QA: the trust policy was right and --external-id mistyped; verify told the customer to put the mistyped id into
        // the role's trust relationship, and never that --external-id may be what is wrong.
        string[] arguments = Verify(RawdataPeers.S3Url, RawdataPeers.StsUrl);
        arguments[Array.IndexOf(arguments, "--external-id") + 1] = "ext-id-typo";
        using System.Diagnostics.Process process = RawdataProgram.Start(arguments, RawdataPeers.ServiceCredentials);
        var (exitCode, stdout, stderr) = await RawdataProgram.RunToEndAsync(process, string.Empty);

        Assert.That(exitCode, Is.EqualTo(1), stdout + stderr);
        Assert.That(stderr, Does.Contain("--external-id 'ext-id-typo' may not be the external id the role's trust policy requires"), stdout + stderr);
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task Verify_WhenTheBucketPolicyDeniesThePut_BlamesTheBucketPolicyNotTheRolesPolicy()
    {
        // S3's words for an explicit Deny in the bucket policy (one that requires encryption, say): the role's policy is right.
        const string Denied = "User: arn:aws:sts::123456789012:assumed-role/RawdataProcessTests/RawDataDestination is not authorized to perform: s3:PutObject " +
            "on resource: \"arn:aws:s3:::rawdata-customer/segment-logs/dummy-object.txt\" with an explicit deny in a resource-based policy";
        await using var s3 = new FaultProxy(new Uri(RawdataPeers.S3Url), _ => ProxyDecision.Response(403, "AccessDenied", Denied));
        string[] arguments = Verify(s3.ServiceUrl.ToString(), RawdataPeers.StsUrl);
        using System.Diagnostics.Process process = RawdataProgram.Start(arguments, RawdataPeers.ServiceCredentials);
        var (exitCode, stdout, stderr) = await RawdataProgram.RunToEndAsync(process, string.Empty);

        Assert.That(exitCode, Is.EqualTo(1), stdout + stderr);
        Assert.That(stderr, Does.Contain($"The bucket policy of '{RawdataPeers.Bucket}' denies this upload").And.Contain("--sse").And.Contain("--acl"), stderr);
        Assert.That(stderr, Does.Not.Contain("The role's policy must allow"), stderr);
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task Ship_WithoutASpoolWhenEveryPutLandsButItsAnswerIsLost_SaysTheEventsNotDeliveredMayBeInTheBucket()
    {
        await using var s3 = new FaultProxy(new Uri(RawdataPeers.S3Url), request => request.Method == "PUT" ? ProxyAction.LandThenDropResponse : ProxyAction.Forward);
        string[] arguments = Ship(s3.ServiceUrl.ToString(), RawdataPeers.StsUrl);
        string sourceId = arguments[Array.IndexOf(arguments, "--source-id") + 1];
        using System.Diagnostics.Process process = RawdataProgram.Start(arguments, RawdataPeers.ServiceCredentials);
        var (exitCode, stdout, stderr) = await RawdataProgram.RunToEndAsync(process, "{\"type\":\"track\",\"messageId\":\"lost-1\"}\n{\"type\":\"track\",\"messageId\":\"lost-2\"}\n");

        Assert.That(exitCode, Is.EqualTo(1), stdout + stderr);
        Assert.That(stdout, Does.Contain("not delivered:    2 (").And.Contain("2 of them may be in the bucket all the same: their upload was sent in full and got no answer"), stdout);
        Assert.That(stderr, Does.Contain("2 events read were not delivered (no --spool-dir to keep them). Of those, 2 events may be in the bucket all the same: their upload was sent in full and got no answer."), stderr);
        Assert.That(await RawdataPeers.MessageIdsAsync(sourceId), Is.EquivalentTo(new[] { "lost-1", "lost-2" }), "S3 stored them: only the answers were lost");
        IReadOnlyList<string> stored = [.. (await RawdataPeers.KeysAsync(RawdataPeers.Bucket)).Where(key => key.Contains($"/{sourceId}/", StringComparison.Ordinal))];
        Assert.That(stored, Has.Count.EqualTo(1), "one batch, written once");
        Assert.That(stdout, Does.Contain($"  may be at s3://{RawdataPeers.Bucket}/{stored[0]} (2 events)"), "the summary names the object to look for\n" + stdout);
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task Verify_WhenS3AnswersSlowDown_SaysItPassesAndIsNotTheSetup()
    {
        await using var s3 = new FaultProxy(new Uri(RawdataPeers.S3Url), _ => ProxyAction.SlowDown);
        string[] arguments = Verify(s3.ServiceUrl.ToString(), RawdataPeers.StsUrl);
        using System.Diagnostics.Process process = RawdataProgram.Start(arguments, RawdataPeers.ServiceCredentials);
        var (exitCode, stdout, stderr) = await RawdataProgram.RunToEndAsync(process, string.Empty);

        Assert.That(exitCode, Is.EqualTo(1), stdout + stderr);
        Assert.That(stderr, Does.Contain("S3 answered SlowDown (HTTP 503)").And.Contain("says nothing about the bucket's or the role's setup").And.Contain("try again in a moment"), stderr);
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task Ship_WhenTheBucketHasACLsDisabled_DeliversWithoutTheAclAndWarnsOnceNamingAclNone()
    {
        // A bucket whose Object Ownership is "bucket owner enforced" refuses any PUT that carries an ACL header.
        await using var s3 = new FaultProxy(new Uri(RawdataPeers.S3Url), request =>
            request.Method == "PUT" && request.Headers.ContainsKey("x-amz-acl") ? ProxyDecision.Response(400, "AccessControlListNotSupported", "The bucket does not allow ACLs") : ProxyAction.Forward);
        string sourceId = $"acl-{Guid.NewGuid():N}";
        string[] arguments = RawdataPeers.Command("ship", s3.ServiceUrl.ToString(), RawdataPeers.StsUrl, ["--source-id", sourceId, "--acl", "bucket-owner-read"]);
        using System.Diagnostics.Process process = RawdataProgram.Start(arguments, RawdataPeers.ServiceCredentials);
        var (exitCode, stdout, stderr) = await RawdataProgram.RunToEndAsync(process, "{\"type\":\"track\",\"messageId\":\"acl-1\"}\n{\"type\":\"track\",\"messageId\":\"acl-2\"}\n");

        Assert.That(exitCode, Is.EqualTo(0), stdout + stderr);
        Assert.That(await RawdataPeers.MessageIdsAsync(sourceId), Is.EquivalentTo(new[] { "acl-1", "acl-2" }), "delivered without the ACL");
        string[] warnings = [.. stderr.Split('\n').Where(l => l.StartsWith("warning: ", StringComparison.Ordinal))];
        Assert.That(warnings, Has.Length.EqualTo(1), stderr);
        Assert.That(warnings[0], Does.Contain($"Bucket {RawdataPeers.Bucket} has ACLs disabled").And.Contain("without the bucket-owner-read ACL").And.Contain("To stop this warning, add --acl none;"), "rawdata's flag, not the library's property (it said nothing at all)");
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task Ship_WhenS3AnswersWithNoBody_ReportsTheStatusTheBucketAndS3NotTheSdksPlaceholder()
    {
        await using var proxy = new FaultProxy(new Uri(RawdataPeers.S3Url), _ => RealAnswers.Empty(403));
        using System.Diagnostics.Process process = RawdataProgram.Start(Ship(proxy.ServiceUrl.ToString(), RawdataPeers.StsUrl), RawdataPeers.ServiceCredentials);
        var (exitCode, _, stderr) = await RawdataProgram.RunToEndAsync(process, "{\"type\":\"track\"}\n");

        Assert.That(exitCode, Is.EqualTo(1), stderr);
        Assert.That(stderr, Does.Contain($"S3 answered HTTP 403 (Forbidden), with no error code or message, for the customer's bucket '{RawdataPeers.Bucket}' (S3 at {proxy.ServiceUrl})"));
        Assert.That(stderr, Does.Not.Contain("HttpErrorResponseException").And.Not.Contain("Exception of type").And.Not.Contain("Could not reach"));
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task Ship_WhenTheBucketRefusesABatch_GivesUpAtOnceWithoutSayingTheRetryTimeLimitRanOut()
    {
        await using var proxy = new FaultProxy(new Uri(RawdataPeers.S3Url), _ => ProxyDecision.Response(403, "AccessDenied", "Access Denied"));
        string[] arguments = [.. Ship(proxy.ServiceUrl.ToString(), RawdataPeers.StsUrl).Where(argument => argument is not "--retry-time-limit" and not "3s"), "--retry-time-limit", "5m"];
        using System.Diagnostics.Process process = RawdataProgram.Start(arguments, RawdataPeers.ServiceCredentials);
        var (exitCode, _, stderr) = await RawdataProgram.RunToEndAsync(process, "{\"type\":\"track\"}\n");

        Assert.That(exitCode, Is.EqualTo(1), stderr);
        Assert.That(stderr, Does.Contain("status: giving up: 1 batch refused"), "gives up at once, within the test's 90 s of a 5 min budget");
        Assert.That(stderr, Does.Not.Contain("refused (--retry-time-limit"), "a refusal is not the budget running out");
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task Ship_WhileS3ThrottlesThenFailsSomeUploads_RetriesAndDeliversEveryEventOnceWithExitZero()
    {
        // S3 busy, as it is under load: the first four PUTs answered 503 SlowDown, then every third 500 InternalError.
        int puts = 0;
        await using var s3 = new FaultProxy(new Uri(RawdataPeers.S3Url), request =>
        {
            if (request.Method != "PUT")
            {
                return ProxyAction.Forward;
            }

            int put = Interlocked.Increment(ref puts);
            return put <= 4 ? ProxyAction.SlowDown : put % 3 == 0 ? ProxyAction.InternalError : ProxyAction.Forward;
        });
        string sourceId = $"busy-{Guid.NewGuid():N}";
        string[] arguments = RawdataPeers.Command("ship", s3.ServiceUrl.ToString(), RawdataPeers.StsUrl, ["--source-id", sourceId, "--max-batch-bytes", "20000", "--max-event-bytes", "1024"]);
        using System.Diagnostics.Process process = RawdataProgram.Start(arguments, RawdataPeers.ServiceCredentials);
        var (exitCode, stdout, stderr) = await RawdataProgram.RunToEndAsync(process, ShipRun.Events(2000, "busy"));

        List<string> delivered = await RawdataPeers.MessageIdsAsync(sourceId);
        Assert.That(delivered, Is.EquivalentTo(Enumerable.Range(0, 2000).Select(i => $"busy-{i}")), "every event once: none lost to the refusals, none written twice by the retries\n" + stderr);
        int objects = (await RawdataPeers.ReadAllAsync(RawdataPeers.Bucket, $"segment-logs/{sourceId}/")).Count;
        Assert.That(objects, Is.GreaterThan(4), "several batches, so that the faults fell on more than one");
        Assert.That(stdout, Does.Contain("events delivered: 2000").And.Contain("not delivered:    0").And.Contain($"objects written:  {objects}"), stdout);
        Assert.That(s3.Log.Count(entry => entry.Action is ProxyAction.SlowDown or ProxyAction.InternalError), Is.GreaterThanOrEqualTo(5), "S3 did refuse: the case this test is about");
        Assert.That(exitCode, Is.EqualTo(0), stdout + stderr);
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task Verify_WhenAWebPageAnswersAtTheStsUrl_FailsTheFirstStepSayingItIsNotStsInsteadOfPassingAndANullReference()
    {
        // A proxy's or captive portal's page (HTTP 200, well-formed XML): the SDK finds no credentials in it and no error either.
        await using var sts = new FaultProxy(new Uri(RawdataPeers.StsUrl), _ => new ProxyDecision(ProxyAction.Respond, 200, "<html><body>Please log in</body></html>"));
        await using var s3 = new FaultProxy(new Uri(RawdataPeers.S3Url), _ => ProxyAction.Forward);
        string[] arguments = Verify(s3.ServiceUrl.ToString(), sts.ServiceUrl.ToString());
        using System.Diagnostics.Process process = RawdataProgram.Start(arguments, RawdataPeers.ServiceCredentials);
        var (exitCode, stdout, stderr) = await RawdataProgram.RunToEndAsync(process, string.Empty);

        Assert.That(exitCode, Is.EqualTo(1), stdout + stderr);
        Assert.That(stdout, Does.Contain("1. Assume the role without the external id, and with another (must be denied): FAILED").And.Contain("2. Assume the role with the external id: FAILED"), stdout);
        Assert.That(stderr, Does.Contain($"STS ({sts.ServiceUrl}) answered AssumeRole for role '{RawdataPeers.RoleArn}' with success, but with no credentials in the answer")
            .And.Contain("--sts-endpoint-url"), stderr);
        Assert.That(stdout + stderr, Does.Not.Contain("Object reference").And.Not.Contain("without an external id"));
        Assert.That(s3.Log, Is.Empty, "no S3 call without credentials");
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task Ship_WhenAWebPageAnswersAtTheStsUrl_SaysItIsNotStsInsteadOfANullReferenceBlamedOnTheBucket()
    {
        await using var sts = new FaultProxy(new Uri(RawdataPeers.StsUrl), _ => new ProxyDecision(ProxyAction.Respond, 200, "<html><body>Please log in</body></html>"));
        using System.Diagnostics.Process process = RawdataProgram.Start(Ship(RawdataPeers.S3Url, sts.ServiceUrl.ToString()), RawdataPeers.ServiceCredentials);
        var (exitCode, stdout, stderr) = await RawdataProgram.RunToEndAsync(process, "{\"type\":\"track\"}\n");

        Assert.That(exitCode, Is.EqualTo(1), stderr);
        Assert.That(stderr, Does.Contain("Delivery failed: STS (").And.Contain("with success, but with no credentials in the answer"), stderr);
        Assert.That(stderr, Does.Not.Contain("Object reference"));
        Assert.That(stdout, Does.Contain("events read:      1").And.Contain("not delivered:    1"));
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task Ship_WhenAWebPageAnswersThePutAtTheS3Url_SaysItIsNotS3InsteadOfCountingTheEventDelivered()
    {
        // A server that answers 200 to anything: the SDK found no error in it, and ship counted the event delivered (exit 0).
        await using var s3 = new FaultProxy(new Uri(RawdataPeers.S3Url), request =>
            request.Method == "PUT" ? new ProxyDecision(ProxyAction.Respond, 200, "<html><body>It works!</body></html>") : ProxyAction.Forward);
        using System.Diagnostics.Process process = RawdataProgram.Start(Ship(s3.ServiceUrl.ToString(), RawdataPeers.StsUrl), RawdataPeers.ServiceCredentials);
        var (exitCode, stdout, stderr) = await RawdataProgram.RunToEndAsync(process, "{\"type\":\"track\"}\n");

        Assert.That(exitCode, Is.EqualTo(1), stderr);
        Assert.That(stderr, Does.Contain($"Delivery failed: What answered for the customer's bucket '{RawdataPeers.Bucket}' (S3 at {s3.ServiceUrl}) is not S3: it took the PutObject with HTTP 200 but without the ETag")
            .And.Contain("Check --endpoint-url: it must be the S3 endpoint."), stderr);
        Assert.That(stdout, Does.Contain("events delivered: 0").And.Contain("not delivered:    1"));
        Assert.That(stdout + stderr, Does.Not.Contain("may be in the bucket"), "what answered is not S3: it stored nothing");
        Assert.That(s3.Log.Count(entry => entry.Request.Method == "PUT"), Is.InRange(1, 2), "refused for good: no retries with backoff, only the shutdown's one more try of a refused batch");
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task ShipWithAStage_WhenAWebPageAnswersThePutAtTheStagingUrl_SaysItIsNotS3InsteadOfCountingTheEventStaged()
    {
        await using var stage = new FaultProxy(new Uri(RawdataPeers.S3Url), request =>
            request.Method == "PUT" ? new ProxyDecision(ProxyAction.Respond, 200, "<html><body>It works!</body></html>") : ProxyAction.Forward);
        using System.Diagnostics.Process process = RawdataProgram.Start(
            [.. Ship(RawdataPeers.S3Url, RawdataPeers.StsUrl), "--stage-bucket", "ops-staging/rawdata", "--stage-endpoint-url", stage.ServiceUrl.ToString()],
            RawdataPeers.ServiceCredentials);
        var (exitCode, stdout, stderr) = await RawdataProgram.RunToEndAsync(process, "{\"type\":\"track\"}\n");

        Assert.That(exitCode, Is.EqualTo(1), stderr);
        Assert.That(stderr, Does.Contain($"Delivery failed: What answered for the staging bucket 'ops-staging' (S3 at {stage.ServiceUrl}) is not S3")
            .And.Contain("Check --stage-endpoint-url: it must be the S3 endpoint."), stderr);
        Assert.That(stdout, Does.Contain("not delivered:    1"));
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task ShipWithAStage_WhenTheStagingBucketRefuses_BlamesTheStagingBucketNeverTheCustomersEndpoint()
    {
        await using var stage = new FaultProxy(new Uri(RawdataPeers.S3Url), _ => ProxyDecision.Response(403, "AccessDenied", "Access Denied"));
        using System.Diagnostics.Process process = RawdataProgram.Start(
            [.. Ship(RawdataPeers.S3Url, RawdataPeers.StsUrl), "--stage-bucket", "ops-staging/rawdata", "--stage-endpoint-url", stage.ServiceUrl.ToString()],
            RawdataPeers.ServiceCredentials);
        var (exitCode, stdout, stderr) = await RawdataProgram.RunToEndAsync(process, "{\"type\":\"track\"}\n");

        Assert.That(exitCode, Is.EqualTo(1), stderr);
        Assert.That(stderr, Does.Contain("Delivery failed: The staging bucket 'ops-staging' refused this service's own credentials (AccessDenied (HTTP 403): Access Denied)"));
        Assert.That(stderr, Does.Not.Contain("--endpoint-url").And.Not.Contain("customer's bucket"));
        Assert.That(stdout, Does.Contain("events read:      1").And.Contain("not delivered:    1"));
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task Ship_WithAFileInItsSpoolItCannotRecover_SaysWhatItWasStillDeliversAndExitsOne()
    {
        using var spool = new TempDirectory("rawdata-spool-");
        // A sealed batch that is not gzip: recovery moves it aside and says so; the new events are delivered.
        await SpoolFiles.WriteAsync(spool.Path, "sealed", "src", "1700784000001.01a239ff-095b-765c-86ac-40313dda4f2f.gz", "not gzip");

        using System.Diagnostics.Process process = RawdataProgram.Start([.. Ship(RawdataPeers.S3Url, RawdataPeers.StsUrl), "--spool-dir", spool.Path], RawdataPeers.ServiceCredentials);
        var (exitCode, stdout, stderr) = await RawdataProgram.RunToEndAsync(process, "{\"type\":\"track\"}\n");

        Assert.That(stderr, Does.Contain("warning: ").And.Contain(spool.Path), "the spool's problem is said, with its path");
        Assert.That(stderr, Does.Not.Contain("unknown error").And.Not.Contain("Could not reach"));
        Assert.That(stdout, Does.Contain("events read:      1").And.Contain("events delivered: 1"), stderr);
        Assert.That(exitCode, Is.EqualTo(1), "what the quarantined file held is delivered nowhere: a script must notice\n" + stderr);
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task Ship_WithARetryTimeLimitOfMoreThanADay_DeliversInsteadOfFailingOnAnInternalTimeout()
    {
        // A budget for a long outage: one upload attempt is bounded by it, and no attempt timeout may pass 1 day.
        string[] arguments = [.. Ship(RawdataPeers.S3Url, RawdataPeers.StsUrl).Where(argument => argument is not "--retry-time-limit" and not "3s"), "--retry-time-limit", "48h"];
        using System.Diagnostics.Process process = RawdataProgram.Start(arguments, RawdataPeers.ServiceCredentials);
        var (exitCode, stdout, stderr) = await RawdataProgram.RunToEndAsync(process, "{\"type\":\"track\"}\n{\"type\":\"track\"}\n");

        Assert.That(stderr, Does.Not.Contain("unexpected error"));
        Assert.That(stdout, Does.Contain("events read:      2").And.Contain("events delivered: 2"), stderr);
        Assert.That(exitCode, Is.EqualTo(0), stderr);
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task Ship_Delivering_CountsTheInputsBytesBesideItsEvents()
    {
        const string Input = "{\"type\":\"track\"}\n{\"type\":\"track\"}\n{\"type\":\"track\"}\n";
        using System.Diagnostics.Process process = RawdataProgram.Start(Ship(RawdataPeers.S3Url, RawdataPeers.StsUrl), RawdataPeers.ServiceCredentials);
        var (exitCode, stdout, stderr) = await RawdataProgram.RunToEndAsync(process, Input);

        Assert.That(exitCode, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("events read:      3").And.Contain($"bytes in:         {Input.Length} (input)"));
        Assert.That(stderr, Does.Not.Contain("Reading events from standard input"), "stdin is a pipe here, not a terminal");
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task Ship_AFileWithCrlfLineEndsAByteOrderMarkAndNoLastNewline_CountsItsBytesInAsTheFilesSize()
    {
        // As Windows tools write it: "bytes in" is the input read, not the lines' bytes plus one each.
        using var directory = new TempDirectory("rawdata-bytes-in-");
        string file = Path.Combine(directory.Path, "events.json");
        string tooLong = "{\"type\":\"track\",\"p\":\"" + new string('x', 3000) + "\"}\r\n";
        await File.WriteAllTextAsync(file, "\uFEFF{\"type\":\"track\"}\r\n" + tooLong + "{\"type\":\"track\"}\r\n{\"type\":\"track\"}", new System.Text.UTF8Encoding(false));
        long size = new FileInfo(file).Length;
        using System.Diagnostics.Process process = RawdataProgram.Start([.. Ship(RawdataPeers.S3Url, RawdataPeers.StsUrl), "--input", file, "--max-event-bytes", "1024"], RawdataPeers.ServiceCredentials);
        var (exitCode, stdout, stderr) = await RawdataProgram.RunToEndAsync(process, string.Empty);

        Assert.That(exitCode, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("events read:      4").And.Contain("events rejected:  1"), stdout);
        Assert.That(stdout, Does.Contain($"bytes in:         {size} (input)"), stdout);
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task Ship_WithStandardInputClosed_RefusesWithExitTwoInsteadOfWaitingForever()
    {
        // "rawdata ship <&-": the runtime took descriptor 0 for a pipe of its own, and ship read it forever. Nothing here
        // needs an endpoint: the input is refused before any call.
        var start = new System.Diagnostics.ProcessStartInfo("sh") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoPaths.Root };
        foreach (string argument in (string[])["-c", "exec \"$0\" \"$@\" <&-", LocalPeersProgram.DotnetHost, RawdataProgram.DllPath, .. Ship("http://127.0.0.1:9", "http://127.0.0.1:9")])
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["AWS_ACCESS_KEY_ID"] = "AKIDEXAMPLE";
        start.Environment["AWS_SECRET_ACCESS_KEY"] = "secret";
        using System.Diagnostics.Process process = System.Diagnostics.Process.Start(start)!;
        var (exitCode, _, stderr) = await ChildProcess.WaitToEndAsync(process, TimeSpan.FromSeconds(60));

        Assert.That(stderr, Does.Contain("Standard input is closed (<&-), so there are no events to read; give --input FILE, or < /dev/null for none."));
        Assert.That(exitCode, Is.EqualTo(2), stderr);
    }

    [TestCase("generate", TestName = "AnyCommand_WithStandardOutputClosed_RefusesWithExitTwoBeforeDoingAnything(generate)")]
    [TestCase("ship", TestName = "AnyCommand_WithStandardOutputClosed_RefusesWithExitTwoBeforeDoingAnything(ship)")]
    [CancelAfter(90_000)]
    public async Task AnyCommand_WithStandardOutputClosed_RefusesWithExitTwoBeforeDoingAnything(string command)
    {
        // "rawdata generate >&-": the runtime took descriptor 1 for a pipe of its own, and the first write failed with
        // "unexpected error (UnauthorizedAccessException): Access to the path is denied"; ship delivered, then failed so
        // on its summary. Nothing here needs an endpoint: the run is refused before any call.
        string[] arguments = command == "generate" ? ["generate", "--count", "10"] : Ship("http://127.0.0.1:9", "http://127.0.0.1:9");
        var start = new System.Diagnostics.ProcessStartInfo("sh") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoPaths.Root };
        foreach (string argument in (string[])["-c", "exec \"$0\" \"$@\" >&- </dev/null", LocalPeersProgram.DotnetHost, RawdataProgram.DllPath, .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["AWS_ACCESS_KEY_ID"] = "AKIDEXAMPLE";
        start.Environment["AWS_SECRET_ACCESS_KEY"] = "secret";
        using System.Diagnostics.Process process = System.Diagnostics.Process.Start(start)!;
        var (exitCode, _, stderr) = await ChildProcess.WaitToEndAsync(process, TimeSpan.FromSeconds(60));

        Assert.That(stderr, Is.EqualTo("rawdata: standard output is closed (>&-), where rawdata writes its report (and generate its events); give > FILE, or > /dev/null to discard it." + Environment.NewLine));
        Assert.That(exitCode, Is.EqualTo(2), stderr);
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task Ship_WithStandardErrorClosed_ExitsAsWithItOpenInsteadOfCrashing()
    {
        // "rawdata ship ... 2>&-": the runtime took descriptor 2 for a pipe of its own, and the first message (here, the
        // missing options) aborted the process (exit 134, SIGABRT). Closed on purpose, it is discarded as with 2>/dev/null.
        var start = new System.Diagnostics.ProcessStartInfo("sh") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoPaths.Root };
        foreach (string argument in (string[])["-c", "exec \"$0\" \"$@\" 2>&- </dev/null", LocalPeersProgram.DotnetHost, RawdataProgram.DllPath, "ship", "--input", "/nonexistent"])
        {
            start.ArgumentList.Add(argument);
        }

        using System.Diagnostics.Process process = System.Diagnostics.Process.Start(start)!;
        var (exitCode, stdout, _) = await ChildProcess.WaitToEndAsync(process, TimeSpan.FromSeconds(60));

        Assert.That(exitCode, Is.EqualTo(2), stdout);
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task Ship_OnATerminalWithNoInputOption_SaysItReadsStandardInputAndHowToEndIt()
    {
        // util-linux's script gives the program a terminal (a pseudo-terminal) for stdin, stdout and stderr.
        if (!File.Exists("/usr/bin/script"))
        {
            Assert.Ignore("needs util-linux's script to give rawdata a terminal");
        }

        string command = string.Join(' ', new[] { LocalPeersProgram.DotnetHost, RawdataProgram.DllPath }.Concat(Ship(RawdataPeers.S3Url, RawdataPeers.StsUrl)).Select(argument => $"'{argument}'"));
        var start = new System.Diagnostics.ProcessStartInfo("/usr/bin/script") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in new[] { "-qefc", command, "/dev/null" })
        {
            start.ArgumentList.Add(argument);
        }

        foreach ((string name, string value) in RawdataPeers.ServiceCredentials)
        {
            start.Environment[name] = value;
        }

        using System.Diagnostics.Process process = System.Diagnostics.Process.Start(start)!;
        var terminal = new System.Text.StringBuilder();
        var notice = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task reading = Task.Run(async () =>
        {
            char[] buffer = new char[4096];
            int read;
            while ((read = await process.StandardOutput.ReadAsync(buffer)) > 0)
            {
                lock (terminal)
                {
                    terminal.Append(buffer, 0, read);
                    if (terminal.ToString().Contains("end with Ctrl+D", StringComparison.Ordinal))
                    {
                        notice.TrySetResult();
                    }
                }
            }
        });

        Assert.That(await Task.WhenAny(notice.Task, Task.Delay(TimeSpan.FromSeconds(30))), Is.SameAs(notice.Task), () => $"the notice, before any input:\n{terminal}");
        await process.StandardInput.WriteAsync("{\"type\":\"track\"}\n");
        await process.StandardInput.FlushAsync();

        // Ctrl+D on a line of its own ends the input; the terminal takes it only once the line before was read, so it
        // is typed again (bounded) until the program ends.
        for (int typed = 0; !process.HasExited && typed < 30; typed++)
        {
            await process.StandardInput.WriteAsync('\u0004');
            await process.StandardInput.FlushAsync();
            using var pause = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await process.WaitForExitAsync(pause.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("Ctrl+D did not end the input:\n" + terminal);
        }

        await reading;

        Assert.That(terminal.ToString(), Does.Contain("Reading events from standard input, one JSON object per line; end with Ctrl+D (or give --input FILE)."));
        Assert.That(terminal.ToString(), Does.Contain("events read:      1").And.Contain("events delivered: 1"));
        Assert.That(process.ExitCode, Is.EqualTo(0), terminal.ToString());
    }
}
