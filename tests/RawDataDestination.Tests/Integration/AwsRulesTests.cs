namespace RawDataDestination.Tests.Integration;

/// <summary>
/// What the test AWS (moto with IAM enforced, set up by <see cref="SharedPeers"/>) refuses, as AWS does, so that a
/// green integration test means the library got past the real checks: SigV4 signatures, session tokens, the role's
/// trust policy (only the service's identity, only with the external id) and its permission policy (only PutObject
/// and PutObjectAcl under the prefix).
/// </summary>
public class AwsRulesTests
{
    private static AmazonSecurityTokenServiceClient Sts(AWSCredentials credentials) =>
        new(credentials, new AmazonSecurityTokenServiceConfig { ServiceURL = SharedPeers.S3.ServiceUrl, AuthenticationRegion = MotoPeer.Region });

    private static AssumeRoleRequest AssumeRole(string? externalId = SharedPeers.ExternalId) =>
        new() { RoleArn = SharedPeers.RoleArn, RoleSessionName = "aws-rules", ExternalId = externalId };

    private static async Task<Credentials> AssumedAsync()
    {
        using AmazonSecurityTokenServiceClient sts = Sts(SharedPeers.ServiceCredentials());
        return (await sts.AssumeRoleAsync(AssumeRole())).Credentials;
    }

    /// <summary>An S3 client signed as the customer's role, with the session STS issued to the service.</summary>
    private static async Task<AmazonS3Client> RoleS3Async()
    {
        Credentials role = await AssumedAsync();
        return SharedPeers.S3.CreateClient(new SessionAWSCredentials(role.AccessKeyId, role.SecretAccessKey, role.SessionToken));
    }

    private static PutObjectRequest Put(string key, string bucket = SharedPeers.Bucket) =>
        new() { BucketName = bucket, Key = key, ContentBody = "{}", UseChunkEncoding = false };

    private static string Key(string under = "segment-logs/") => $"{under}{Objects.UniqueSource("rules")}/x.gz";

    private static T Refused<T>(Func<Task> call)
        where T : AmazonServiceException => Assert.ThrowsAsync<T>(call)!;

    [Test]
    public async Task AssumeRole_ByTheServiceWithTheExternalId_IssuesTemporaryCredentials()
    {
        Credentials credentials = await AssumedAsync();

        Assert.That(credentials.AccessKeyId, Does.StartWith("ASIA"));
        Assert.That(credentials.SessionToken, Is.Not.Empty);
        Assert.That(SharedPeers.Role.TrustPolicy, Does.Contain(SharedPeers.Service.Arn).And.Contain("\"sts:ExternalId\": \"" + SharedPeers.ExternalId + "\""));
    }

    [TestCase(null, TestName = "AssumeRole_WithoutTheExternalId_IsRefused")]
    [TestCase("not-the-external-id", TestName = "AssumeRole_WithAnotherExternalId_IsRefused")]
    public void AssumeRole_WithoutTheRightExternalId_IsRefused(string? externalId)
    {
        using AmazonSecurityTokenServiceClient sts = Sts(SharedPeers.ServiceCredentials());

        var error = Refused<AmazonSecurityTokenServiceException>(() => sts.AssumeRoleAsync(AssumeRole(externalId)));

        Assert.That((error.StatusCode, error.ErrorCode), Is.EqualTo((HttpStatusCode.Forbidden, "AccessDenied")));
    }

    [Test]
    public void AssumeRole_ByAnIdentityTheTrustPolicyDoesNotName_IsRefused()
    {
        // The administrator may do anything in its own account, but the role trusts only the service's identity.
        using AmazonSecurityTokenServiceClient sts = Sts(SharedPeers.S3.AdministratorCredentials);

        var error = Refused<AmazonSecurityTokenServiceException>(() => sts.AssumeRoleAsync(AssumeRole()));

        Assert.That(error.ErrorCode, Is.EqualTo("AccessDenied"));
    }

    [Test]
    public void AssumeRole_SignedWithAWrongSecret_IsRefused()
    {
        using AmazonSecurityTokenServiceClient sts = Sts(new BasicAWSCredentials(SharedPeers.Service.Key.AccessKeyId, "not-the-secret"));

        var error = Refused<AmazonSecurityTokenServiceException>(() => sts.AssumeRoleAsync(AssumeRole()));

        Assert.That(error.ErrorCode, Is.EqualTo("SignatureDoesNotMatch"));
    }

    [Test]
    public void AssumeRole_WithAKeyNobodyIssued_IsRefused()
    {
        using AmazonSecurityTokenServiceClient sts = Sts(new BasicAWSCredentials("AKIANOBODYISSUEDTHIS", "secret"));

        var error = Refused<AmazonSecurityTokenServiceException>(() => sts.AssumeRoleAsync(AssumeRole()));

        Assert.That(error.ErrorCode, Is.EqualTo("InvalidClientTokenId"));
    }

    [TestCase(null, TestName = "PutObject_AsTheRoleUnderThePrefix_Lands")]
    [TestCase(AccountSetup.AccountId, TestName = "PutObject_AsTheRoleExpectingTheBucketsOwner_Lands")]
    public async Task PutObject_AsTheRole_Lands(string? expectedBucketOwner)
    {
        using AmazonS3Client s3 = await RoleS3Async();
        string key = Key();
        PutObjectRequest put = Put(key);
        put.ExpectedBucketOwner = expectedBucketOwner;

        await s3.PutObjectAsync(put);

        Assert.That(await SharedPeers.S3.ListKeysAsync(SharedPeers.Bucket, key), Is.EqualTo(new[] { key }));
    }

    [Test]
    public async Task PutObject_AsTheRoleExpectingAnotherOwner_IsRefusedAndWritesNothing()
    {
        // moto ignores x-amz-expected-bucket-owner on PutObject; AWS answers 403 AccessDenied (tests/peers/moto-with-aws-rules.py, rule 5).
        using AmazonS3Client s3 = await RoleS3Async();
        string key = Key();
        PutObjectRequest put = Put(key);
        put.ExpectedBucketOwner = "111122223333";

        var error = Refused<AmazonS3Exception>(() => s3.PutObjectAsync(put));

        Assert.That((error.StatusCode, error.ErrorCode, error.Message), Is.EqualTo((HttpStatusCode.Forbidden, "AccessDenied", "Access Denied")));
        Assert.That(await SharedPeers.S3.ListKeysAsync(SharedPeers.Bucket, key), Is.Empty);
    }

    [Test]
    public async Task PutObject_AsTheRoleWithoutItsSessionToken_IsRefused()
    {
        Credentials role = await AssumedAsync();
        using AmazonS3Client s3 = SharedPeers.S3.CreateClient(new BasicAWSCredentials(role.AccessKeyId, role.SecretAccessKey));

        var error = Refused<AmazonS3Exception>(() => s3.PutObjectAsync(Put(Key())));

        Assert.That((error.StatusCode, error.ErrorCode), Is.EqualTo((HttpStatusCode.Forbidden, "InvalidAccessKeyId")));
    }

    [Test]
    public async Task PutObject_AsTheRoleWithAnotherSessionToken_IsRefused()
    {
        Credentials role = await AssumedAsync();
        using AmazonS3Client s3 = SharedPeers.S3.CreateClient(new SessionAWSCredentials(role.AccessKeyId, role.SecretAccessKey, "made-up-token"));

        var error = Refused<AmazonS3Exception>(() => s3.PutObjectAsync(Put(Key())));

        Assert.That(error.ErrorCode, Is.EqualTo("InvalidToken"));
    }

    [Test]
    public async Task PutObject_AsTheRoleSignedWithAWrongSecret_IsRefused()
    {
        Credentials role = await AssumedAsync();
        using AmazonS3Client s3 = SharedPeers.S3.CreateClient(new SessionAWSCredentials(role.AccessKeyId, "not-the-secret", role.SessionToken));

        var error = Refused<AmazonS3Exception>(() => s3.PutObjectAsync(Put(Key())));

        Assert.That(error.ErrorCode, Is.EqualTo("SignatureDoesNotMatch"));
    }

    [Test]
    public async Task PutObject_AsTheRoleOutsideThePrefix_IsRefused()
    {
        using AmazonS3Client s3 = await RoleS3Async();

        var error = Refused<AmazonS3Exception>(() => s3.PutObjectAsync(Put(Key("other/"))));

        Assert.That((error.StatusCode, error.ErrorCode), Is.EqualTo((HttpStatusCode.Forbidden, "AccessDenied")));
    }

    [Test]
    public async Task ReadListAndDelete_AsTheRole_AreRefused()
    {
        string key = Key();
        await SharedPeers.S3.Account.AdministratorS3.PutObjectAsync(Put(key));
        using AmazonS3Client s3 = await RoleS3Async();

        string[] codes =
        [
            Refused<AmazonS3Exception>(() => s3.GetObjectAsync(SharedPeers.Bucket, key)).ErrorCode,
            Refused<AmazonS3Exception>(() => s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = SharedPeers.Bucket })).ErrorCode,
            Refused<AmazonS3Exception>(() => s3.DeleteObjectAsync(SharedPeers.Bucket, key)).ErrorCode,
        ];

        Assert.That(codes, Is.All.EqualTo("AccessDenied"), "GetObject, ListBucket, DeleteObject");
    }

    [Test]
    public void PutObject_AsTheServiceItself_IsRefused()
    {
        using AmazonS3Client s3 = SharedPeers.S3.CreateClient(SharedPeers.ServiceCredentials());

        var error = Refused<AmazonS3Exception>(() => s3.PutObjectAsync(Put(Key())));

        Assert.That(error.ErrorCode, Is.EqualTo("AccessDenied"), "only the assumed role may write to the customer's bucket");
    }

    [Test]
    public async Task PutObject_AsTheRoleWithTheCustomersKmsKey_LandsEncryptedWithIt()
    {
        using AmazonS3Client s3 = await RoleS3Async();
        PutObjectRequest put = Put(Key());
        put.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS;
        put.ServerSideEncryptionKeyManagementServiceKeyId = SharedPeers.KmsKeyArn;

        await s3.PutObjectAsync(put);

        GetObjectMetadataResponse stored = await SharedPeers.S3.Account.AdministratorS3.GetObjectMetadataAsync(SharedPeers.Bucket, put.Key);
        Assert.That((stored.ServerSideEncryptionMethod, stored.ServerSideEncryptionKeyManagementServiceKeyId), Is.EqualTo((ServerSideEncryptionMethod.AWSKMS, SharedPeers.KmsKeyArn)));
        Assert.That(SharedPeers.Role.PermissionPolicy, Does.Contain("kms:GenerateDataKey").And.Contain(SharedPeers.KmsKeyArn));
    }

    [Test]
    public async Task ListObjectsV2_WithASlashInThePrefix_ByTheServiceOnItsStagingBucket_IsAccepted()
    {
        // What the staged-batch copier sends. moto 5.2.1 alone refuses it (SignatureDoesNotMatch); AWS accepts it.
        string stage = await StagingPeers.NewBucketAsync("stage");
        using AmazonS3Client s3 = SharedPeers.S3.CreateClient(SharedPeers.ServiceCredentials());
        await s3.PutObjectAsync(Put("customer-bucket/segment-logs/a.gz", stage));

        ListObjectsV2Response listed = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = stage, Prefix = "customer-bucket/segment-logs/" });

        Assert.That(listed.S3Objects.Select(o => o.Key), Is.EqualTo(new[] { "customer-bucket/segment-logs/a.gz" }));
    }
}
