namespace RawDataDestination.Tests.Peers;

/// <summary>
/// What the pinned s3rver (3.7.1) does and does not check, so nobody reads more into a green test than it proves.
/// For SigV4 it only looks the access key id up (S3RVER is the only one); it verifies no signature,
/// ignores x-amz-security-token, and stores aws-chunked bodies without decoding them.
/// </summary>
[NonParallelizable]
public sealed class S3rverBehaviourTests
{
    private const string Bucket = "rawdata-behaviour";

    [OneTimeSetUp]
    public Task CreateBucket() => PeersS3rver.S3.CreateBucketAsync(Bucket);

    [Test]
    public async Task PutObject_WithS3rverKeyIdButWrongSecret_IsAccepted_BecauseSigV4IsNotVerified()
    {
        using var client = PeersS3rver.S3.CreateClient(new BasicAWSCredentials(S3rverPeer.AccessKeyId, "not-the-secret"));

        var put = await client.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = "wrong-secret", ContentBody = "x", UseChunkEncoding = false });

        Assert.That(put.HttpStatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task PutObject_WithAnyOrNoSessionToken_IsAccepted_BecauseTokensAreIgnored()
    {
        using var client = PeersS3rver.S3.CreateClient(new SessionAWSCredentials(S3rverPeer.AccessKeyId, S3rverPeer.SecretAccessKey, "expired-or-made-up"));

        var put = await client.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = "any-token", ContentBody = "x", UseChunkEncoding = false });

        Assert.That(put.HttpStatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task UnsignedPut_IsAccepted_BecauseRequestsWithoutAuthorizationAreAnonymous()
    {
        using var http = new HttpClient();
        using var content = new ByteArrayContent("x"u8.ToArray());

        using var response = await http.PutAsync(new Uri($"{PeersS3rver.S3.ServiceUrl}/{Bucket}/anonymous"), content);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task PutObject_WithChunkEncoding_StoresTheChunkFramingNotTheBody()
    {
        using var client = PeersS3rver.S3.CreateClient(new BasicAWSCredentials(S3rverPeer.AccessKeyId, S3rverPeer.SecretAccessKey));
        var body = "{\"event\":\"chunked\"}\n"u8.ToArray();

        using var input = new MemoryStream(body);
        await client.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = "chunked", InputStream = input, UseChunkEncoding = true });

        // Stored as "14;chunk-signature=...\r\n{body}\r\n0;chunk-signature=...\r\n\r\n".
        var stored = Encoding.UTF8.GetString(await PeersS3rver.S3.GetObjectBytesAsync(Bucket, "chunked"));
        Assert.That(stored, Does.StartWith("14;chunk-signature=").And.Contains("\r\n0;chunk-signature="));
    }
}
