namespace RawDataDestination.Tests.Integration;

/// <summary>
/// What PUTs carry on the wire, read through the fault proxy in front of moto: uploads are signed as the assumed role and
/// carry the session STS issued (moto checks both too), and the object is stored as a .gz file.
/// </summary>
public class WireTests
{
    [Test]
    public async Task Upload_IsSignedWithTheAssumedRolesKeyAndCarriesItsSessionToken()
    {
        await using FaultProxy proxy = MotoFaults.Proxy(_ => ProxyAction.Forward);
        AWSCredentials baseCredentials = Destinations.BaseCredentials();
        using var destination = new S3RoleDestination(Destinations.Options(s3Url: proxy.ServiceUrl.ToString()), baseCredentials);
        using SealedBatch batch = await TestBatches.CreateAsync(Objects.UniqueSource("wire"), new DateOnly(2023, 11, 24), "{\"messageId\":\"w\"}");

        await destination.UploadAsync(batch);

        ProxyRequest put = proxy.Log.Single(l => l.Request.Method == "PUT").Request;
        ImmutableCredentials assumed = await destination.Credentials.GetCredentialsAsync();
        string baseKeyId = (await baseCredentials.GetCredentialsAsync()).AccessKey;
        Assert.That(assumed.AccessKey, Does.StartWith("ASIA"), "a temporary key STS issued");
        Assert.That(put.Headers["authorization"], Does.StartWith("AWS4-HMAC-SHA256 ").And.Contain($"Credential={assumed.AccessKey}/").And.Not.Contain(baseKeyId));
        Assert.That(put.Headers["x-amz-security-token"], Is.EqualTo(assumed.Token).And.Not.Empty, "the session token STS issued");
        Assert.That(put.Headers["authorization"], Does.Contain("x-amz-security-token"), "the token is signed");
    }

    [Test]
    public async Task Upload_SendsGzipContentTypeAndNoContentEncoding_AndTheStoredObjectHasNone()
    {
        await using ProxiedUpload upload = await ProxiedUpload.UploadAsync("wire", "w");
        var (proxy, _, batch, uploaded) = upload;

        ProxyRequest put = proxy.Log.Single(l => l.Request.Method == "PUT").Request;
        Assert.That(put.Headers["content-type"], Is.EqualTo("application/gzip"));
        Assert.That(put.Headers.Keys, Has.None.EqualTo("content-encoding"));
        using AmazonS3Client reader = SharedPeers.S3.CreateClient(SharedPeers.S3.AdministratorCredentials);
        using GetObjectResponse stored = await reader.GetObjectAsync(SharedPeers.Bucket, uploaded.Key);
        Assert.That(stored.Headers.ContentType, Is.EqualTo("application/gzip"));
        Assert.That(stored.Headers.ContentEncoding, Is.Null.Or.Empty, "no Content-Encoding: clients would decompress the .gz on download");
        using var bytes = new MemoryStream();
        await stored.ResponseStream.CopyToAsync(bytes);
        Assert.That(bytes.ToArray(), Is.EqualTo(batch.ReadAllBytes()), "the stored bytes are the gzip file, not its content");
    }
}
