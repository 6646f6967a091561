namespace RawDataDestination.Tests.Peers;

/// <summary>s3rver with credentials from the STS peer: the path the library takes, end to end, with the real SDK.</summary>
[NonParallelizable]
public sealed class S3rverPeerTests
{
    private const string Bucket = "rawdata-peer-tests";
    private StsPeer sts = null!;

    [OneTimeSetUp]
    public async Task StartPeers()
    {
        await PeersS3rver.S3.CreateBucketAsync(Bucket);
        sts = await StsPeer.StartAsync();
    }

    [OneTimeTearDown]
    public async Task StopPeers()
    {
        if (sts is not null)
        {
            await sts.DisposeAsync();
        }
    }

    [Test]
    public async Task PutObject_SignedWithAssumedCredentials_LandsByteIdentical()
    {
        var credentials = await AssumeRoleAsync();
        using var client = PeersS3rver.S3.CreateClient(credentials);
        var body = GzipNdjson(100);
        const string key = "segment-logs/src-1/1700000000000/batch-0001.gz";

        using var input = new MemoryStream(body);
        var put = await client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = Bucket,
            Key = key,
            InputStream = input,
            ContentType = "application/gzip",
            UseChunkEncoding = false,
        });

        Assert.Multiple(async () =>
        {
            Assert.That(put.HttpStatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await PeersS3rver.S3.GetObjectBytesAsync(Bucket, key), Is.EqualTo(body));
            Assert.That(await PeersS3rver.S3.ListKeysAsync(Bucket, "segment-logs/src-1/"), Does.Contain(key));
        });
    }

    [Test]
    public async Task PutObject_SignedWithBaseKeyId_IsRefusedWithInvalidAccessKeyId()
    {
        using var client = PeersS3rver.S3.CreateClient(new BasicAWSCredentials("BASEKEYID", "basesecret"));
        const string key = "segment-logs/base-key/refused.gz";

        using var input = new MemoryStream(GzipNdjson(1));
        var error = Assert.ThrowsAsync<AmazonS3Exception>(() => client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = Bucket,
            Key = key,
            InputStream = input,
            UseChunkEncoding = false,
        }));

        Assert.Multiple(async () =>
        {
            Assert.That(error!.ErrorCode, Is.EqualTo("InvalidAccessKeyId"));
            Assert.That(error.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(await PeersS3rver.S3.ListKeysAsync(Bucket, "segment-logs/base-key/"), Is.Empty);
        });
    }

    [Test]
    public async Task ListKeysAsync_WithMoreKeysThanOnePage_FollowsContinuationTokens()
    {
        const string prefix = "paging/";
        using var client = PeersS3rver.S3.CreateClient(new BasicAWSCredentials(S3rverPeer.AccessKeyId, S3rverPeer.SecretAccessKey));
        var expected = Enumerable.Range(0, 1005).Select(i => $"{prefix}{i:D5}").ToList();
        foreach (var key in expected)
        {
            await client.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = key, ContentBody = "x", UseChunkEncoding = false });
        }

        Assert.That(await PeersS3rver.S3.ListKeysAsync(Bucket, prefix), Is.EqualTo(expected));
    }

    [Test]
    public async Task CreateBucketAsync_MakesAnEmptyBucket()
    {
        await PeersS3rver.S3.CreateBucketAsync("rawdata-created-later");

        Assert.That(await PeersS3rver.S3.ListKeysAsync("rawdata-created-later"), Is.Empty);
    }

    private async Task<SessionAWSCredentials> AssumeRoleAsync()
    {
        using var client = new AmazonSecurityTokenServiceClient(new BasicAWSCredentials("BASEKEYID", "basesecret"), sts.CreateClientConfig());
        var response = await client.AssumeRoleAsync(new AssumeRoleRequest
        {
            RoleArn = sts.RoleArn,
            RoleSessionName = "rawdata-s3-test",
            ExternalId = sts.ExternalId,
        });
        var c = response.Credentials;
        return new SessionAWSCredentials(c.AccessKeyId, c.SecretAccessKey, c.SessionToken);
    }

    private static byte[] GzipNdjson(int lines)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal))
        {
            for (var i = 0; i < lines; i++)
            {
                gzip.Write(Encoding.UTF8.GetBytes($"{{\"type\":\"track\",\"event\":\"e{i}\",\"messageId\":\"{Guid.NewGuid()}\"}}\n"));
            }
        }

        return buffer.ToArray();
    }
}
