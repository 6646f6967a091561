using static RawDataDestination.Tests.Support.CommandLineWords;

namespace RawDataDestination.Tests.Sts;

/// <summary>
/// STS's side of the one error mapping, against what the AWS SDK really throws: STS's answers through the fault proxy,
/// a port that refuses connections, an endpoint that never answers; and through <see cref="AssumeRoleCredentials"/>,
/// which explains every failed AssumeRole with it.
/// </summary>
public class StsExplanationsTests
{
    private const string RoleArn = "arn:aws:iam::123456789012:role/SegmentS3Upload";

    private static AssumeRoleException Explain(Exception error, Uri? endpoint = null) =>
        StsExplanations.Explain(error, RoleArn, "ext-123", new StsEndpoint(endpoint, "us-east-1"), CancellationToken.None)!;

    [Test]
    public async Task Explain_AccessDenied_NamesTheTrustRelationshipWithTheConditionAsIamJsonAndThisServicesOwnPolicy()
    {
        Exception error = await RealAnswers.FromStsAsync(RealAnswers.StsError(403, "AccessDenied", "User: arn:aws:iam::111122223333:user/svc is not authorized to perform: sts:AssumeRole"));

        AssumeRoleException explained = Explain(error);

        Assert.That(explained.IsPermanent, Is.True);
        Assert.That(explained.ErrorCode, Is.EqualTo("AccessDenied"));
        Assert.That(explained.Message, Does.Contain(RoleArn).And.Contain("trust relationship"));
        Assert.That(explained.Message, Does.Contain("\"Condition\": { \"StringEquals\": { \"sts:ExternalId\": \"ext-123\" } }"));
        Assert.That(explained.Message, Does.Contain("AccessDenied (HTTP 403): User: arn:aws:iam::111122223333:user/svc is not authorized"), "STS's own words");
        Assert.That(explained.Message, Does.EndWith("its identity's IAM policy must allow sts:AssumeRole on that role ARN (STS refuses in the same words when it does not)."), "the operator's half");
    }

    [Test]
    public async Task Explain_UnknownBaseCredentials_PointsAtTheServicesOwnCredentialsNotTheRole()
    {
        Exception error = await RealAnswers.FromStsAsync(RealAnswers.StsError(403, "InvalidClientTokenId", "The security token included in the request is invalid."));

        AssumeRoleException explained = Explain(error);

        Assert.That(explained.Message, Does.Contain("did not accept the AWS credentials this service calls AssumeRole with").And.Contain("this service's own credentials"));
        Assert.That(explained.IsPermanent, Is.True);
    }

    [Test]
    public async Task Explain_AnAnswerItHasNoRuleFor_ReportsWhatStsAnsweredWithTheEndpoint()
    {
        var endpoint = new Uri("http://127.0.0.1:4569");
        Exception error = await RealAnswers.FromStsAsync(RealAnswers.StsError(400, "ValidationError", "1 validation error detected: Value 'x' at 'roleSessionName' failed to satisfy constraint"));

        AssumeRoleException explained = Explain(error, endpoint);

        Assert.That(explained.Message, Does.StartWith($"STS ({endpoint}) answered AssumeRole for role '{RoleArn}' with ValidationError (HTTP 400): 1 validation error detected"));
        Assert.That(explained.IsPermanent, Is.True);
    }

    [Test]
    public async Task Explain_AnAnswerWithNoBody_SaysTheStatusNeverTheSdksPlaceholder()
    {
        Exception error = await RealAnswers.FromStsAsync(RealAnswers.Empty(403));

        string message = Explain(error).Message;

        Assert.That(message, Does.Contain("HTTP 403 (Forbidden), with no error code or message"));
        Assert.That(message, Does.Not.Contain("HttpErrorResponseException").And.Not.Contain("Exception of type"));
    }

    [Test]
    public async Task Explain_ServiceUnavailableWithItsMessage_KeepsStsCodeAndMessage()
    {
        Exception said = await RealAnswers.FromStsAsync(RealAnswers.StsError(503, "ServiceUnavailable", "Service is unable to handle request."));
        Exception bare = await RealAnswers.FromStsAsync(RealAnswers.Empty(503));

        Assert.That(Explain(said).Message, Does.Contain("ServiceUnavailable (HTTP 503): Service is unable to handle request"));
        Assert.That(Explain(bare).Message, Does.Contain("HTTP 503 (ServiceUnavailable), with no error code or message"));
        Assert.That(Explain(said).IsPermanent, Is.False);
    }

    [Test]
    public async Task Explain_ThrottlingAnswer_IsTransient()
    {
        Exception error = await RealAnswers.FromStsAsync(RealAnswers.StsError(400, "Throttling", "Rate exceeded"));

        Assert.That(Explain(error).IsPermanent, Is.False);
    }

    [TestCase(503, "ServiceUnavailable", "Service is unable to handle request.")]
    [TestCase(503, "SlowDown", "Please reduce your request rate.")]
    [TestCase(400, "Throttling", "Rate exceeded")]
    public async Task Explain_ABusyOrUnavailableSts_SaysItPassesNotToCheckTheRole(int status, string code, string said)
    {
        Exception error = await RealAnswers.FromStsAsync(RealAnswers.StsError(status, code, said));

        string message = Explain(error).Message;

        Assert.That(message, Does.Contain($"HTTP {status}"), "what STS answered");
        Assert.That(message, Does.Contain("busy or unavailable for a while").And.Contain("try again"));
        Assert.That(message, Does.Not.Contain("Check the role ARN"), "the setup is not what failed");
    }

    [Test]
    public async Task Explain_RegionDisabled_NamesTheStsRegionSettingInTheCallersWords()
    {
        Exception error = await RealAnswers.FromStsAsync(RealAnswers.StsError(403, "RegionDisabledException", "STS is not activated in this region for account:111122223333."));

        Assert.That(Explain(error).Describe(Flags), Does.Contain("give another region in --stsregion"));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Explain_AnEndpointThatRefusesConnections_SaysSoAndIsTransient()
    {
        Uri refusing = RealAnswers.Refusing();
        Exception error = await RealAnswers.FromStsAsync(refusing);

        AssumeRoleException explained = Explain(error, refusing);

        Assert.That(explained.ErrorCode, Is.EqualTo("ConnectionRefused"));
        Assert.That(explained.IsPermanent, Is.False);
        Assert.That(explained.Describe(Flags), Does.StartWith($"Could not reach STS ({refusing}): the connection was refused").And.Contain("(--stsserviceurl)"));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Explain_APlainHttpEndpointCalledAsHttps_SaysTheTlsHandshakeFailedAndToWriteHttp()
    {
        await using var plainHttp = new PlainHttpEndpoint();
        Uri asHttps = plainHttp.AsHttps;
        Exception error = await RealAnswers.FromStsAsync(asHttps, RealAnswers.Answered);

        AssumeRoleException explained = Explain(error, asHttps);

        Assert.That(explained.ErrorCode, Is.EqualTo("TlsFailed"));
        Assert.That(explained.Describe(Flags), Does.StartWith($"The TLS handshake with STS ({asHttps}) failed: ")
            .And.Contain("If the endpoint speaks plain HTTP, write http:// in --stsserviceurl"));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Explain_AConnectionResetMidRequest_SaysItBrokeIsRetriedAndWhatToCheck()
    {
        Exception error = await RealAnswers.FromStsAsync(ProxyAction.ResetMidRequest);

        AssumeRoleException explained = Explain(error, new Uri("http://127.0.0.1:9"));

        Assert.That((explained.ErrorCode, explained.IsPermanent), Is.EqualTo(("ConnectionBroken", false)));
        Assert.That(explained.Describe(Flags), Does.StartWith($"The connection to STS (http://127.0.0.1:9/) broke during AssumeRole for role '{RoleArn}': ")
            .And.EndWith("Deliveries retry a broken connection; if it keeps breaking, check that the endpoint is up and that nothing between here and it (a proxy, a firewall, a load balancer) cuts connections (--stsserviceurl)."));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Explain_AnEndpointThatNeverAnswers_SaysStsDidNotAnswer()
    {
        await using var silent = new SilentEndpoint();
        Exception error = await RealAnswers.FromStsAsync(new Uri(silent.Url));

        AssumeRoleException explained = Explain(error, new Uri(silent.Url));

        Assert.That(explained.ErrorCode, Is.EqualTo("NoAnswer"));
        Assert.That(explained.Message, Does.StartWith($"STS ({silent.Url}/) did not answer AssumeRole for role '{RoleArn}'"));
    }

    [Test]
    public void Explain_AHostNameThatDoesNotResolve_NamesTheRegionSettingsForAwssEndpoint()
    {
        // Hand-built: a DNS failure depends on the machine's resolver, which a test cannot rely on.
        var unresolved = new System.Net.Http.HttpRequestException(System.Net.Http.HttpRequestError.NameResolutionError, "Name or service not known (sts.us-wst-2.amazonaws.com:443)");

        AssumeRoleException explained = StsExplanations.Explain(unresolved, RoleArn, "ext-123", new StsEndpoint(null, "us-wst-2"), CancellationToken.None)!;

        Assert.That(explained.Message, Does.StartWith("Could not reach STS (https://sts.us-wst-2.amazonaws.com): its host name did not resolve; check StsRegion (or Region) 'us-wst-2'"));
        Assert.That(explained.Describe(Flags), Does.Contain("check --stsregion (or --region) 'us-wst-2'"));
    }

    [Test]
    public void Explain_NoCredentials_SaysSoAndNeverSignatureV4a()
    {
        // Hand-built: the SDK throws this when its default chain found no credentials; the test process's environment is
        // not emptied here. The CLI's process test (RawdataErrorsTests) meets the real one.
        var noCredentials = new AWSCommonRuntimeException("Attempting to make a request that requires an implementation of AWS Signature V4a. Add a reference to the AWSSDK.Extensions.CrtIntegration NuGet package.");

        AssumeRoleException explained = Explain(noCredentials);

        Assert.That(explained.ErrorCode, Is.EqualTo(StsExplanations.NoCredentialsCode));
        Assert.That(explained.IsPermanent, Is.True);
        Assert.That(explained.Message, Does.Contain("has no AWS credentials of its own to call STS AssumeRole").And.Contain("AWS_ACCESS_KEY_ID"));
        Assert.That(explained.Message, Does.Not.Contain("V4a").And.Not.Contain("CrtIntegration"));
    }

    [Test]
    public void Explain_ACancellationTheCallerAskedFor_IsNotExplained()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.That(StsExplanations.Explain(new OperationCanceledException(cancelled.Token), RoleArn, "ext-123", new StsEndpoint(null, "us-east-1"), cancelled.Token), Is.Null);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task AssumeRoleCredentials_WhenStsRefusesConnections_ThrowAnExplanationNamingSts()
    {
        Uri refusing = RealAnswers.Refusing();
        var config = new AmazonSecurityTokenServiceConfig { ServiceURL = refusing.ToString(), AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 };
        using var sts = new AmazonSecurityTokenServiceClient(new BasicAWSCredentials("AKIDEXAMPLE", "secret"), config);
        var credentials = AssumeRoleCredentials.Create(sts, new RoleSession(RoleArn, "ext-123", "rawdata", TimeSpan.FromHours(1)), TimeSpan.FromMinutes(5));

        AssumeRoleException? thrown = Assert.ThrowsAsync<AssumeRoleException>(async () => await credentials.GetCredentialsAsync());

        Assert.That(thrown!.Message, Does.StartWith($"Could not reach STS ({refusing}): the connection was refused"));
    }

    [Test]
    public async Task Explain_AnAnswerThatIsNotStsXml_SaysStsAnsweredSomethingUnreadableNotThatTheCallWasNotSent()
    {
        // A corporate proxy or captive portal in the way: HTTP 200, and a body that is not STS's XML.
        var endpoint = new Uri("http://127.0.0.1:4569");
        Exception error = await RealAnswers.FromStsAsync(new ProxyDecision(ProxyAction.Respond, 200, "Please log in to continue {"));

        string message = Explain(error, endpoint).Message;

        Assert.That(message, Does.StartWith($"STS ({endpoint}) answered AssumeRole for role '{RoleArn}' with something that is not STS's XML"));
        Assert.That(message, Does.Contain("--sts-endpoint-url").Or.Contain("StsServiceUrl"), "names the setting that points at what answered");
        Assert.That(message, Does.Not.Contain("could not be sent"));
    }

    [Test]
    public void ForTrustPolicy_QuotesTheConditionWithTheExternalIdAndNamesThisServicesOwnPolicy()
    {
        var refusal = new AmazonSecurityTokenServiceException("denied", ErrorType.Sender, "AccessDenied", "request-id", System.Net.HttpStatusCode.Forbidden);

        Assert.That(
            StsExplanations.ForTrustPolicy(refusal, RoleArn, "ext-123", SettingWords.Properties),
            Does.Contain("\"Condition\": { \"StringEquals\": { \"sts:ExternalId\": \"ext-123\" } }").And.Contain(RoleArn)
                .And.Contain("this service's own side: its identity's IAM policy must allow sts:AssumeRole on that role ARN"));
    }

    [Test]
    public void ForTrustPolicy_SaysFirstThatTheExternalIdGivenMayNotBeTheOneTheTrustPolicyRequires_NamingItsSetting()
    {
        // QA: with the trust policy right and the id mistyped, the advice was to put the mistyped id into the policy.
        var refusal = new AmazonSecurityTokenServiceException("denied", ErrorType.Sender, "AccessDenied", "request-id", System.Net.HttpStatusCode.Forbidden);
        var flags = new SettingWords(setting => setting == "ExternalId" ? "--external-id" : setting, (setting, value) => $"give {setting} {value}");

        string message = StsExplanations.ForTrustPolicy(refusal, RoleArn, "ext-typo", flags);

        Assert.That(message, Does.Contain("--external-id 'ext-typo' may not be the external id the role's trust policy requires"));
        Assert.That(message.IndexOf("--external-id 'ext-typo'", StringComparison.Ordinal), Is.LessThan(message.IndexOf("Trust relationships", StringComparison.Ordinal)), "the likelier fix first");
        Assert.That(StsExplanations.ForTrustPolicy(refusal, RoleArn, "ext-typo", SettingWords.Properties), Does.Contain("ExternalId 'ext-typo' may not be"));
    }
}
