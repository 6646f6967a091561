using static RawDataDestination.Tests.Support.CommandLineWords;

namespace RawDataDestination.Tests.S3;

/// <summary>
/// The S3 side of the one error mapping, against what the AWS SDK really throws: S3's answers through the fault proxy,
/// a port that refuses connections, an endpoint that never answers.
/// </summary>
public class ErrorExplanationsTests
{
    private static readonly BucketLocation Location = BucketLocation.Parse("mybucket/path");

    private static S3Target Customer(Uri? endpoint = null) => new(Staging: false, Location, "us-west-2", endpoint);

    private static S3Target Staging(Uri? endpoint = null) => new(Staging: true, BucketLocation.Parse("ops-staging/rawdata"), "us-east-1", endpoint);

    private static async Task<AmazonS3Exception> AnswerAsync(int status, string code, string message) =>
        (AmazonS3Exception)await RealAnswers.FromS3Async(ProxyDecision.Response(status, code, message));

    private static DestinationException? ForPut(AmazonS3Exception exception) => ErrorExplanations.ForPutObject(exception, Location, "us-west-2");

    [Test]
    public async Task ForPutObject_AccessDenied_NamesBothActionsAndTheResourceUnderThePrefix()
    {
        DestinationException? explained = ForPut(await AnswerAsync(403, "AccessDenied", "User is not authorized to perform: s3:PutObject"));

        Assert.That(explained, Is.Not.Null);
        Assert.That(explained!.IsPermanent, Is.True);
        Assert.That(explained.ErrorCode, Is.EqualTo("AccessDenied"));
        Assert.That(explained.Message, Does.Contain("s3:PutObject and s3:PutObjectAcl").And.Contain("arn:aws:s3:::mybucket/path/segment-logs/*"));
        Assert.That(explained.Message, Does.Contain("AccessDenied (HTTP 403): User is not authorized to perform: s3:PutObject"), "S3's own words");
        Assert.That(explained.Message, Does.Not.Contain("kms:GenerateDataKey"), "S3 named the action, so KMS is not the suspect");
    }

    [Test]
    public async Task ForPutObject_AccessDenied_AsksToCheckTheBucketNameInTheCallersWords()
    {
        // A mistyped bucket name that another account owns is refused as AccessDenied, not NoSuchBucket.
        DestinationException explained = ForPut(await AnswerAsync(403, "AccessDenied", "Access Denied"))!;

        Assert.That(explained.Message, Does.Contain("Check too the bucket name in Bucket: a bucket of another account (a name mistyped) is refused the same way."));
        Assert.That(explained.Describe(Flags), Does.Contain("Check too the bucket name in --bucket:"));
    }

    [Test]
    public async Task ForPutObject_AccessDeniedWithAnExpectedOwner_SaysTheBucketMayBeAnotherAccountsInTheCallersWords()
    {
        // S3 answers a wrong x-amz-expected-bucket-owner with the same bare AccessDenied as a missing permission.
        AmazonS3Exception answer = await AnswerAsync(403, "AccessDenied", "Access Denied");

        DestinationException explained = ErrorExplanations.ForPutObject(answer, Location, "us-west-2", expectedBucketOwner: "111122223333")!;

        Assert.That(explained.IsPermanent, Is.True);
        Assert.That(explained.Message, Does.Contain("s3:PutObject and s3:PutObjectAcl"), "the policy is still a cause");
        Assert.That(explained.Message, Does.Contain("bucket 'mybucket' may not be owned by account 111122223333, which ExpectedBucketOwner names"));
        Assert.That(explained.Describe(Flags), Does.Contain("which --expectedbucketowner names"));
        Assert.That(ForPut(answer)!.Message, Does.Not.Contain("owned by account"), "without the setting, the owner is not a cause");
    }

    [Test]
    public async Task ForS3_AccessDeniedToATargetWithAnExpectedOwner_SaysTheBucketMayBeAnotherAccounts()
    {
        AmazonS3Exception answer = await AnswerAsync(403, "AccessDenied", "Access Denied");

        DestinationException explained = ErrorExplanations.ForS3(answer, Customer() with { ExpectedBucketOwner = "111122223333" })!;

        Assert.That(explained.Message, Does.Contain("may not be owned by account 111122223333"));
    }

    [Test]
    public async Task ForPutObject_BareAccessDenied_AlsoPointsAtKms() =>
        Assert.That(ForPut(await AnswerAsync(403, "AccessDenied", "Access Denied"))!.Message, Does.Contain("kms:GenerateDataKey"));

    [Test]
    public async Task ForPutObject_AccessDeniedMentioningKms_AsksForGenerateDataKey()
    {
        DestinationException explained = ForPut(await AnswerAsync(403, "AccessDenied", "not authorized to use the KMS key"))!;
        Assert.That(explained.Message, Does.StartWith("S3 refused the upload because the role may not use the bucket's KMS key").And.Contain("kms:GenerateDataKey"));
    }

    [TestCase("KMS.DisabledException")]
    [TestCase("KMS.NotFoundException")]
    public async Task ForPutObject_KmsErrors_ArePermanentAndNameTheKeyPermission(string code) =>
        Assert.That(ForPut(await AnswerAsync(400, code, "key"))!, Has.Property(nameof(DestinationException.IsPermanent)).True.And.Message.Contains("kms:GenerateDataKey"));

    [Test]
    public async Task ForPutObject_NoSuchBucket_NamesTheBucketAndItsSetting()
    {
        DestinationException explained = ForPut(await AnswerAsync(404, "NoSuchBucket", "The specified bucket does not exist"))!;

        Assert.That(explained.Message, Does.Contain("Bucket 'mybucket' does not exist").And.Contain("in Bucket."));
        Assert.That(explained.Describe(Flags), Does.Contain("in --bucket."));
    }

    [Test]
    public async Task ForPutObject_WrongRegionInMessage_NamesTheBucketsRegionInTheCallersWords()
    {
        DestinationException explained = ForPut(await AnswerAsync(400, "AuthorizationHeaderMalformed", "the region 'us-west-2' is wrong; expecting 'eu-west-1'"))!;

        Assert.That(explained.Message, Does.Contain("is not in region 'us-west-2'").And.Contain("Set Region to 'eu-west-1'."));
        Assert.That(explained.Describe(Flags), Does.Contain("Add --region 'eu-west-1'."));
    }

    [Test]
    public async Task ForPutObject_Bare301_IsAWrongRegionEvenWithoutACode()
    {
        DestinationException explained = ForPut((AmazonS3Exception)await RealAnswers.FromS3Async(RealAnswers.Empty(301)))!;

        Assert.That(explained.ErrorCode, Is.EqualTo("PermanentRedirect"));
        Assert.That(explained.Message, Does.Contain("Set Region to the bucket's region"));
    }

    [Test]
    public async Task ForPutObject_AclsDisabled_SaysToSendNoAclInTheCallersWords()
    {
        DestinationException explained = ForPut(await AnswerAsync(400, "AccessControlListNotSupported", "The bucket does not allow ACLs"))!;

        Assert.That(explained.Message, Does.Contain("set Acl to ObjectAcl.None"));
        Assert.That(explained.Describe(Flags), Does.Contain("add --acl ObjectAcl.None").And.Not.Contain("Acl to"));
    }

    [TestCase(503, "SlowDown")]
    [TestCase(500, "InternalError")]
    [TestCase(400, "SomethingNew")]
    public async Task ForPutObject_ErrorsItCannotExplain_ReturnNull(int status, string code) =>
        Assert.That(ForPut(await AnswerAsync(status, code, "text")), Is.Null);

    [Test]
    public async Task ForS3_AnAnswerWithNoBody_SaysTheStatusAndTheBucketNeverTheSdksPlaceholder()
    {
        Exception error = await RealAnswers.FromS3Async(RealAnswers.Empty(403));

        DestinationException explained = ErrorExplanations.ForS3(error, Customer(new Uri("http://127.0.0.1:4568")))!;

        Assert.That(explained.Message, Does.Contain("S3 answered HTTP 403 (Forbidden), with no error code or message").And.Contain("the customer's bucket 'mybucket'"));
        Assert.That(explained.Message, Does.Not.Contain("HttpErrorResponseException").And.Not.Contain("Exception of type"));
    }

    [Test]
    public async Task ForS3_ServiceUnavailableWithItsMessage_KeepsS3sCodeAndMessage()
    {
        // S3's own 503 names the status (<Code>ServiceUnavailable</Code>): a code that is also the status's name is
        // still S3's, with its message, when the body carried one.
        Exception said = await RealAnswers.FromS3Async(ProxyDecision.Response(503, "ServiceUnavailable", "Service is unable to handle request."));
        Exception bare = await RealAnswers.FromS3Async(RealAnswers.Empty(503));

        Assert.That(ErrorExplanations.ForS3(said, Customer())!.Message, Does.Contain("S3 answered ServiceUnavailable (HTTP 503): Service is unable to handle request,"));
        Assert.That(ErrorExplanations.ForS3(bare, Customer())!.Message, Does.Contain("S3 answered HTTP 503 (ServiceUnavailable), with no error code or message"));
    }

    [Test]
    public async Task ForS3_AnUnknownAnswer_IsReportedInS3sWordsWithItsCodeMessageAndBucket()
    {
        Exception error = await RealAnswers.FromS3Async(ProxyDecision.Response(400, "SomethingNew", "A rule this library has no word for."));

        DestinationException explained = ErrorExplanations.ForS3(error, Staging())!;

        Assert.That(explained.Message, Does.Contain("SomethingNew (HTTP 400): A rule this library has no word for"));
        Assert.That(explained.Message, Does.Contain("staging bucket 'ops-staging'").And.Not.Contain("customer"));
    }

    [Test]
    public async Task ForS3_AStagingRefusal_BlamesTheStagingBucketAndTheServicesOwnCredentialsNeverTheCustomer()
    {
        Exception error = await RealAnswers.FromS3Async(ProxyDecision.Response(403, "AccessDenied", "Access Denied"), bucket: "ops-staging");

        DestinationException explained = ErrorExplanations.ForS3(error, Staging(new Uri("http://127.0.0.1:4568")))!;

        Assert.That(explained.Message, Does.StartWith("The staging bucket 'ops-staging' refused this service's own credentials (AccessDenied (HTTP 403): Access Denied)"));
        Assert.That(explained.Message, Does.Contain("arn:aws:s3:::ops-staging/rawdata/*").And.Contain("s3:ListBucket on arn:aws:s3:::ops-staging"));
        Assert.That(explained.Message, Does.Not.Contain("customer's bucket").And.Not.Contain("--endpoint-url"));
    }

    [TestCase("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.", "their access key does not exist")]
    [TestCase("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.", "their secret key does not match their access key")]
    [TestCase("ExpiredToken", "The provided token has expired.", "their session token expired")]
    public async Task ForS3_TheServicesOwnCredentialsRefusedByTheStagingBucket_SaysToGiveValidCredentialsNotToCheckTheBucket(string code, string message, string why)
    {
        // The service's access key deleted, its secret wrong, its session expired: no setting of the staging bucket is the cause.
        Exception error = await RealAnswers.FromS3Async(ProxyDecision.Response(403, code, message), bucket: "ops-staging");

        DestinationException explained = ErrorExplanations.ForS3(error, Staging())!;

        Assert.That(explained.ErrorCode, Is.EqualTo(code));
        Assert.That(explained.Message, Does.Contain($"did not accept this service's own credentials ({code} (HTTP 403): {message.TrimEnd('.')})"));
        Assert.That(explained.Message, Does.Contain(why).And.Contain("Give this service valid credentials").And.Contain("then restart it"));
        Assert.That(explained.Describe(Flags), Does.Not.Contain("--staging-bucket").And.Not.Contain("--staging-region").And.Not.Contain("s3:PutObject"), "nothing about the bucket, its region or its policy");
    }

    [Test]
    public async Task ForStagingListing_AccessDenied_NamesListBucketTheBucketAndThePrefixAndWhatItCosts()
    {
        var error = (AmazonServiceException)await RealAnswers.FromS3Async(ProxyDecision.Response(403, "AccessDenied", "Access Denied"), bucket: "ops-staging");

        DestinationException explained = ErrorExplanations.ForStagingListing(error, Staging(), "rawdata/~cust/logs/segment-logs/")!;

        Assert.That(explained, Is.Not.Null);
        Assert.That(explained.IsPermanent, Is.True);
        Assert.That(explained.InnerException, Is.SameAs(error));
        Assert.That(explained.Message, Does.StartWith("This service's own credentials may not list the staging bucket 'ops-staging' (s3:ListBucket on arn:aws:s3:::ops-staging, prefix 'rawdata/~cust/logs/segment-logs/'; S3 answered AccessDenied (HTTP 403): Access Denied)"));
        Assert.That(explained.Message, Does.Contain("staged batches cannot be delivered until it is granted"));
    }

    [Test]
    public async Task ForStagingListing_AnythingButARefusalOrTheCustomersBucket_IsLeftToForS3()
    {
        var busy = (AmazonServiceException)await RealAnswers.FromS3Async(ProxyDecision.Response(503, "SlowDown", "Please reduce your request rate."), bucket: "ops-staging");
        var denied = (AmazonServiceException)await RealAnswers.FromS3Async(ProxyDecision.Response(403, "AccessDenied", "Access Denied"));

        Assert.That(ErrorExplanations.ForStagingListing(busy, Staging(), "rawdata/"), Is.Null, "transient: the copier's next pass tries again");
        Assert.That(ErrorExplanations.ForStagingListing(denied, Customer(), "segment-logs/"), Is.Null, "not the staging bucket");
    }

    [Test]
    public async Task ForS3_AStagingBucketThatDoesNotExist_NamesTheStagingSetting()
    {
        Exception error = await RealAnswers.FromS3Async(ProxyDecision.Response(404, "NoSuchBucket", "The specified bucket does not exist"));

        Assert.That(ErrorExplanations.ForS3(error, Staging())!.Describe(Flags), Does.Contain("The staging bucket 'ops-staging' does not exist").And.Contain("--staging-bucket"));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task ForS3_APlainHttpEndpointCalledAsHttps_SaysTheTlsHandshakeFailedAndToWriteHttp()
    {
        await using var plainHttp = new PlainHttpEndpoint();
        Uri asHttps = plainHttp.AsHttps;
        Exception error = await RealAnswers.FromS3Async(asHttps, timeout: RealAnswers.Answered);

        DestinationException explained = ErrorExplanations.ForS3(error, Customer(asHttps))!;

        Assert.That(explained.ErrorCode, Is.EqualTo("TlsFailed"));
        Assert.That(explained.Describe(Flags), Does.StartWith($"The TLS handshake with the customer's bucket 'mybucket' (S3 at {asHttps}) failed: ")
            .And.Contain("If the endpoint speaks plain HTTP, write http:// in --serviceurl"));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task ForS3_AnEndpointThatRefusesConnections_SaysSoAndNamesTheBucketAndTheEndpointSetting()
    {
        Uri refusing = RealAnswers.Refusing();
        Exception error = await RealAnswers.FromS3Async(refusing);

        DestinationException explained = ErrorExplanations.ForS3(error, Customer(refusing))!;

        Assert.That(explained.ErrorCode, Is.EqualTo("ConnectionRefused"));
        Assert.That(explained.IsPermanent, Is.False, "retried: the server may come up");
        Assert.That(explained.Describe(Flags), Does.StartWith($"Could not reach the customer's bucket 'mybucket' (S3 at {refusing}): the connection was refused").And.Contain("(--serviceurl)"));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task ForS3_A409ForAWriteOfTheSameKeyInProgress_IsRetriedAndSaysWhatItMeans()
    {
        Exception error = await RealAnswers.FromS3Async(ProxyDecision.Response(409, "ConditionalRequestConflict", "A conflicting conditional operation is currently in progress against this resource. Please try again."));

        DestinationException explained = ErrorExplanations.ForS3(error, Customer(new Uri("http://127.0.0.1:9")))!;

        Assert.That(explained.ErrorCode, Is.EqualTo("ConditionalRequestConflict"));
        Assert.That(explained.IsPermanent, Is.False, "S3 says to retry it");
        Assert.That(explained.Message, Does.StartWith("S3 answered ConditionalRequestConflict (HTTP 409)")
            .And.EndWith("another write of the same key was still in progress (another host's, or an earlier attempt whose answer was lost). Deliveries retry it: the retry writes the object, or finds that the other write did."));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task ForS3_AConnectionResetMidRequest_SaysItBrokeIsRetriedAndWhatToCheck()
    {
        Exception error = await RealAnswers.FromS3Async(ProxyAction.ResetMidRequest);

        DestinationException explained = ErrorExplanations.ForS3(error, Customer(new Uri("http://127.0.0.1:9")))!;

        Assert.That((explained.ErrorCode, explained.IsPermanent), Is.EqualTo(("ConnectionBroken", false)), "retried: a connection that broke once may hold the next time");
        Assert.That(explained.Describe(Flags), Does.StartWith("The connection to the customer's bucket 'mybucket' (S3 at http://127.0.0.1:9/) broke: ")
            .And.EndWith("Deliveries retry a broken connection; if it keeps breaking, check that the endpoint is up and that nothing between here and it (a proxy, a firewall, a load balancer) cuts connections (--serviceurl)."));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task ForS3_AnEndpointThatNeverAnswers_SaysItDidNotAnswer()
    {
        await using var silent = new SilentEndpoint();
        Exception error = await RealAnswers.FromS3Async(new Uri(silent.Url));

        DestinationException explained = ErrorExplanations.ForS3(error, Staging(new Uri(silent.Url)))!;

        Assert.That(explained.ErrorCode, Is.EqualTo("NoAnswer"));
        Assert.That(explained.Message, Does.StartWith("S3 did not answer for the staging bucket 'ops-staging'"));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task ForS3_NoAnswerBeforeTheRoleWasEverAssumed_NamesStsNotS3()
    {
        // An attempt's timeout ends an upload that was still waiting for its credentials: S3 was never called.
        await using var silent = new SilentEndpoint();
        Exception error = await RealAnswers.FromS3Async(new Uri(silent.Url));

        DestinationException explained = ErrorExplanations.ForS3(error, Customer(new Uri(silent.Url)) with { RoleAssumed = () => false })!;

        // It opened "No answer in time for the customer's bucket (S3 at ...)", leading a reader to S3.
        Assert.That(explained.Describe(Flags), Does.StartWith("STS AssumeRole did not answer in time: the customer's role was never assumed").And.Contain("(S3 was never called)").And.Contain("--stsserviceurl"));
        Assert.That(ErrorExplanations.ForS3(error, Customer(new Uri(silent.Url)) with { RoleAssumed = () => true })!.Message, Does.StartWith("S3 did not answer"));
    }

    [Test]
    public void ForS3_AnExplanationAlreadyMade_IsKeptAsItIs()
    {
        var sts = new DestinationException("AccessDenied", isPermanent: true, "STS refused.", null);

        Assert.That(ErrorExplanations.ForS3(new InvalidOperationException("wrapped", sts), Customer()), Is.SameAs(sts));
    }

    [Test]
    public void ForS3_AnStsRefusalInside_IsPassedOnWithItsCodeWordsAndPermanence()
    {
        AssumeRoleException sts = StsExplanations.ForAssumeRole(
            new Amazon.SecurityToken.AmazonSecurityTokenServiceException("STS is not activated", Amazon.Runtime.ErrorType.Sender, "RegionDisabledException", "r", System.Net.HttpStatusCode.Forbidden),
            "arn:aws:iam::123456789012:role/r",
            "ext-123",
            new StsEndpoint(null, "eu-south-2"));

        DestinationException passed = ErrorExplanations.ForS3(new InvalidOperationException("wrapped", sts), Customer())!;

        Assert.That((passed.ErrorCode, passed.IsPermanent, passed.Message), Is.EqualTo((sts.ErrorCode, sts.IsPermanent, sts.Message)));
        Assert.That(passed.Describe(Flags), Is.EqualTo(sts.Describe(Flags)).And.Contain("--stsregion"));
        Assert.That(passed.InnerException, Is.SameAs(sts.InnerException), "the error STS's explanation was made of");
    }

    [Test]
    public void ForS3_ACancellationTheCallerAskedFor_IsNotExplained()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.That(ErrorExplanations.ForS3(new OperationCanceledException(cancelled.Token), Customer(), cancelled.Token), Is.Null);
    }

    [Test]
    public void ForS3_NoCredentialsForTheStagingBucket_SaysSoNotSignatureV4a()
    {
        // No peer can produce this in-process without emptying the test process's environment; the CLI's process test
        // (RawdataErrorsTests) meets the real one. The SDK throws this when the default chain found no credentials.
        var noCredentials = new Amazon.Runtime.AWSCommonRuntimeException("Attempting to make a request that requires an implementation of AWS Signature V4a.");

        DestinationException explained = ErrorExplanations.ForS3(noCredentials, Staging())!;

        Assert.That(explained.ErrorCode, Is.EqualTo("NoCredentials"));
        Assert.That(explained.IsPermanent, Is.True);
        Assert.That(explained.Message, Does.Contain("no AWS credentials were found").And.Contain("AWS_ACCESS_KEY_ID").And.Not.Contain("V4a"));
    }
}
