namespace RawDataDestination.Tests.Peers;

/// <summary>The local STS peer, driven by the real AWS SDK client.</summary>
[NonParallelizable]
public sealed class StsPeerTests
{
    private const int ExpirySeconds = 1800;
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(5);
    private StsPeer sts = null!;

    [OneTimeSetUp]
    public async Task StartPeer() => sts = await StsPeer.StartAsync(expirySeconds: ExpirySeconds);

    [OneTimeTearDown]
    public async Task StopPeer() => await sts.DisposeAsync();

    [Test]
    public async Task AssumeRole_WithRightExternalId_IssuesS3rverCredentialsWithConfiguredExpiry()
    {
        using var client = CreateClient();
        var before = DateTime.UtcNow;

        var response = await client.AssumeRoleAsync(Request(sts.RoleArn, sts.ExternalId));

        var credentials = response.Credentials;
        Assert.Multiple(() =>
        {
            Assert.That(response.HttpStatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(credentials.AccessKeyId, Is.EqualTo("S3RVER"));
            Assert.That(credentials.SecretAccessKey, Is.EqualTo("S3RVER"));
            Assert.That(credentials.SessionToken, Is.Not.Empty);
            Assert.That(credentials.Expiration?.ToUniversalTime(), Is.EqualTo(before.AddSeconds(ExpirySeconds)).Within(Slack));
            Assert.That(response.AssumedRoleUser.Arn, Is.EqualTo("arn:aws:sts::111122223333:assumed-role/rawdata-writer/rawdata-test"));
            Assert.That(response.AssumedRoleUser.AssumedRoleId, Does.StartWith("AROA").And.EndWith(":rawdata-test"));
            Assert.That(response.ResponseMetadata.RequestId, Is.Not.Empty);
        });
    }

    [Test]
    public async Task AssumeRole_CalledTwice_IssuesAFreshSessionTokenEachTime()
    {
        using var client = CreateClient();

        var first = await client.AssumeRoleAsync(Request(sts.RoleArn, sts.ExternalId));
        var second = await client.AssumeRoleAsync(Request(sts.RoleArn, sts.ExternalId));

        Assert.That(second.Credentials.SessionToken, Is.Not.EqualTo(first.Credentials.SessionToken));
    }

    [Test]
    public void AssumeRole_WithWrongExternalId_IsDeniedWithAccessDenied()
    {
        using var client = CreateClient();

        var error = Assert.ThrowsAsync<AmazonSecurityTokenServiceException>(
            () => client.AssumeRoleAsync(Request(sts.RoleArn, "not-the-external-id")));

        AssertAccessDenied(error, sts.RoleArn);
    }

    [Test]
    public void AssumeRole_WithoutExternalId_IsDeniedWithAccessDenied()
    {
        using var client = CreateClient();

        var error = Assert.ThrowsAsync<AmazonSecurityTokenServiceException>(
            () => client.AssumeRoleAsync(Request(sts.RoleArn, externalId: null)));

        AssertAccessDenied(error, sts.RoleArn);
    }

    [Test]
    public void AssumeRole_WithWrongRoleArn_IsDeniedWithAccessDenied()
    {
        const string otherRole = "arn:aws:iam::111122223333:role/someone-else";
        using var client = CreateClient();

        var error = Assert.ThrowsAsync<AmazonSecurityTokenServiceException>(
            () => client.AssumeRoleAsync(Request(otherRole, sts.ExternalId)));

        AssertAccessDenied(error, otherRole);
    }

    [Test]
    public async Task AssumeRole_GrantedOrDenied_IncrementsCallCount()
    {
        using var client = CreateClient();
        var callsBefore = await sts.GetCallCountAsync();
        var grantedBefore = await sts.GetGrantedCountAsync();

        await client.AssumeRoleAsync(Request(sts.RoleArn, sts.ExternalId));
        Assert.ThrowsAsync<AmazonSecurityTokenServiceException>(() => client.AssumeRoleAsync(Request(sts.RoleArn, "wrong")));

        Assert.Multiple(async () =>
        {
            Assert.That(await sts.GetCallCountAsync(), Is.EqualTo(callsBefore + 2));
            Assert.That(await sts.GetGrantedCountAsync(), Is.EqualTo(grantedBefore + 1));
        });
    }

    [Test]
    public async Task AssumeRole_AfterSetExpiry_IssuesCredentialsWithTheNewExpiry()
    {
        using var client = CreateClient();
        await sts.SetExpiryAsync(60);
        try
        {
            var before = DateTime.UtcNow;

            var response = await client.AssumeRoleAsync(Request(sts.RoleArn, sts.ExternalId));

            Assert.That(response.Credentials.Expiration?.ToUniversalTime(), Is.EqualTo(before.AddSeconds(60)).Within(Slack));
        }
        finally
        {
            await sts.SetExpiryAsync(ExpirySeconds);
        }
    }

    [Test]
    public async Task AssumeRole_WhileDown_FailsWithServiceUnavailable_AndRecoversWhenUp()
    {
        var config = sts.CreateClientConfig();
        config.MaxErrorRetry = 0;
        using var client = new AmazonSecurityTokenServiceClient(new BasicAWSCredentials("BASEKEYID", "basesecret"), config);
        await sts.SetDownAsync(true);
        try
        {
            var error = Assert.ThrowsAsync<AmazonSecurityTokenServiceException>(
                () => client.AssumeRoleAsync(Request(sts.RoleArn, sts.ExternalId)));

            Assert.Multiple(() =>
            {
                Assert.That(error!.ErrorCode, Is.EqualTo("ServiceUnavailable"));
                Assert.That(error.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            });
        }
        finally
        {
            await sts.SetDownAsync(false);
        }

        var response = await client.AssumeRoleAsync(Request(sts.RoleArn, sts.ExternalId));
        Assert.That(response.Credentials.AccessKeyId, Is.EqualTo("S3RVER"));
    }

    [Test]
    public async Task AssumeRole_WhenOnlyCertainCallersAreAccepted_RefusesAnyOtherKeyIdAsInvalidClientTokenId()
    {
        await using StsPeer strict = await StsPeer.StartAsync(acceptedCallerKeyIds: ["KNOWNKEY"]);
        using var known = new AmazonSecurityTokenServiceClient(new BasicAWSCredentials("KNOWNKEY", "secret"), strict.CreateClientConfig());
        using var other = new AmazonSecurityTokenServiceClient(new BasicAWSCredentials("OTHERKEY", "secret"), strict.CreateClientConfig());

        var granted = await known.AssumeRoleAsync(Request(strict.RoleArn, strict.ExternalId));
        var refused = Assert.ThrowsAsync<AmazonSecurityTokenServiceException>(() => other.AssumeRoleAsync(Request(strict.RoleArn, strict.ExternalId)));

        Assert.That(granted.HttpStatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((refused!.StatusCode, refused.ErrorCode), Is.EqualTo((HttpStatusCode.Forbidden, "InvalidClientTokenId")));
        Assert.That(await strict.GetGrantedCountAsync(), Is.EqualTo(1));
    }

    private static AssumeRoleRequest Request(string roleArn, string? externalId) => new()
    {
        RoleArn = roleArn,
        RoleSessionName = "rawdata-test",
        ExternalId = externalId,
        DurationSeconds = 3600,
    };

    private static void AssertAccessDenied(AmazonSecurityTokenServiceException? error, string roleArn)
    {
        Assert.That(error, Is.Not.Null);
        Assert.Multiple(() =>
        {
            Assert.That(error!.ErrorCode, Is.EqualTo("AccessDenied"));
            Assert.That(error.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(error.ErrorType, Is.EqualTo(ErrorType.Sender));
            Assert.That(error.Message, Does.Contain("user/BASEKEYID is not authorized to perform: sts:AssumeRole on resource: " + roleArn));
        });
    }

    private AmazonSecurityTokenServiceClient CreateClient() =>
        new(new BasicAWSCredentials("BASEKEYID", "basesecret"), sts.CreateClientConfig());
}
