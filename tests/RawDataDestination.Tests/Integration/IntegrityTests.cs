using System.Security.Cryptography;

namespace RawDataDestination.Tests.Integration;

/// <summary>
/// Integrity end to end, read on the wire through the fault proxy: every PUT carries the SHA-256 computed at seal and
/// the batch's counts as metadata, and a body changed on the way is refused by the server, retried, and lands intact.
/// </summary>
public class IntegrityTests
{
    private static readonly DateOnly Day = new(2023, 11, 24);

    private static string[] Lines(string prefix, int count) =>
        [.. Enumerable.Range(0, count).Select(i => $"{{\"type\":\"track\",\"messageId\":\"{prefix}-{i}\",\"receivedAt\":\"2023-11-24T10:00:00.000Z\",\"properties\":{{\"n\":{i}}}}}")];

    private static bool IsPut(ProxyRequest request) => request.Method == "PUT";

    private static string Sha256(byte[] bytes) => Convert.ToBase64String(SHA256.HashData(bytes));

    [Test]
    public async Task Upload_OnEveryAttempt_SendsTheSealedChecksumAndTheBatchCountsAsMetadata()
    {
        await using FaultProxy proxy = MotoFaults.FirstPut(ProxyAction.InternalError);
        string source = Objects.UniqueSource("checksum");
        using S3RoleDestination destination = Destinations.Through(proxy);
        using SealedBatch batch = await TestBatches.CreateAsync(source, Day, Lines("c", 200));

        UploadedObject uploaded = await destination.UploadAsync(batch);

        List<ProxyExchange> attempts = [.. proxy.Exchanges.Where(e => IsPut(e.Request))];
        Assert.That(attempts, Has.Count.EqualTo(2), "a 500, then the retry");
        string expected = Sha256(batch.ReadAllBytes());
        long ndjsonBytes = Gzip.Decompress(batch.ReadAllBytes()).LongLength;
        foreach (ProxyExchange attempt in attempts)
        {
            Assert.That(attempt.Request.Headers["x-amz-checksum-sha256"], Is.EqualTo(Sha256(attempt.Received)).And.EqualTo(expected), "the checksum of the body sent, on every attempt");
            Assert.That(attempt.Request.Headers["x-amz-meta-event-count"], Is.EqualTo("200"));
            Assert.That(attempt.Request.Headers["x-amz-meta-ndjson-bytes"], Is.EqualTo(ndjsonBytes.ToString(CultureInfo.InvariantCulture)));
        }

        using AmazonS3Client reader = SharedPeers.S3.CreateClient(SharedPeers.S3.AdministratorCredentials);
        GetObjectMetadataResponse stored = await reader.GetObjectMetadataAsync(SharedPeers.Bucket, uploaded.Key);
        Assert.That(stored.Metadata["x-amz-meta-event-count"], Is.EqualTo("200"), "kept on the object");
        Assert.That(stored.Metadata["x-amz-meta-ndjson-bytes"], Is.EqualTo(ndjsonBytes.ToString(CultureInfo.InvariantCulture)));
        Assert.That(Gzip.Lines(await SharedPeers.S3.GetObjectBytesAsync(SharedPeers.Bucket, uploaded.Key)), Has.Length.EqualTo(200));
    }

    [Test]
    public async Task Upload_WhenTheBodyIsChangedInTransit_IsRefusedRetriedAndDeliveredIntact()
    {
        await using FaultProxy proxy = MotoFaults.FirstPut(ProxyAction.FlipBodyByte);
        string source = Objects.UniqueSource("flipped");
        using S3RoleDestination destination = Destinations.Through(proxy);
        string[] lines = Lines("f", 300);
        using SealedBatch batch = await TestBatches.CreateAsync(source, Day, lines);

        UploadedObject uploaded = await destination.UploadAsync(batch);

        List<ProxyExchange> attempts = [.. proxy.Exchanges.Where(e => IsPut(e.Request))];
        Assert.That(attempts.Select(a => a.Action), Is.EqualTo(new[] { ProxyAction.FlipBodyByte, ProxyAction.Forward }));
        Assert.That(attempts[0].Forwarded, Is.Not.EqualTo(attempts[0].Received), "the first body was changed on the way");
        Assert.That(attempts[0].AnswerStatus, Is.EqualTo(400), "the server refused the changed body");
        // The SDK signs the payload's SHA-256 (x-amz-content-sha256), so S3 names that mismatch before the checksum's.
        Assert.That(attempts[0].Answer, Does.Contain("<Code>XAmzContentSHA256Mismatch</Code>"));
        Assert.That(attempts[1].AnswerStatus, Is.EqualTo(200));
        byte[] landed = await SharedPeers.S3.GetObjectBytesAsync(SharedPeers.Bucket, uploaded.Key);
        Assert.That(landed, Is.EqualTo(batch.ReadAllBytes()), "the retry delivered the sealed bytes");
        Assert.That(Objects.MessageIds(Gzip.Lines(landed)), Is.EqualTo(Enumerable.Range(0, 300).Select(i => $"f-{i}")));
    }

    [Test]
    public async Task LocalS3_WhenABodyDoesNotMatchItsChecksum_RefusesItWithBadDigestAndStoresNothing()
    {
        using AmazonS3Client client = SharedPeers.S3.CreateClient(SharedPeers.S3.AdministratorCredentials);
        string key = $"segment-logs/{Objects.UniqueSource("peer")}/x.gz";
        byte[] body = [1, 2, 3, 4];
        PutObjectRequest Put(Action<PutObjectRequest> claim)
        {
            var request = new PutObjectRequest { BucketName = SharedPeers.Bucket, Key = key, InputStream = new MemoryStream(body), UseChunkEncoding = false };
            claim(request);
            return request;
        }

        AmazonS3Exception? sha = Assert.ThrowsAsync<AmazonS3Exception>(() => client.PutObjectAsync(Put(r => r.ChecksumSHA256 = Sha256([1, 2, 3, 5]))));
#pragma warning disable CA5351 // S3's Content-MD5: an integrity header, not security.
        AmazonS3Exception? md5 = Assert.ThrowsAsync<AmazonS3Exception>(() => client.PutObjectAsync(Put(r => r.MD5Digest = Convert.ToBase64String(MD5.HashData([9])))));
#pragma warning restore CA5351
        Assert.That((sha!.StatusCode, sha.ErrorCode, md5!.StatusCode, md5.ErrorCode), Is.EqualTo((HttpStatusCode.BadRequest, "BadDigest", HttpStatusCode.BadRequest, "BadDigest")));
        Assert.That(await SharedPeers.S3.ListKeysAsync(SharedPeers.Bucket, key), Is.Empty);

        await client.PutObjectAsync(Put(r => r.ChecksumSHA256 = Sha256(body)));
        Assert.That(await SharedPeers.S3.GetObjectBytesAsync(SharedPeers.Bucket, key), Is.EqualTo(body), "a matching body is stored");
    }
}
