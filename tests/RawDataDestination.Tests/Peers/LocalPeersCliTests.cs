namespace RawDataDestination.Tests.Peers;

/// <summary>The list, cat and create-bucket commands of localpeers against a real s3rver.</summary>
[NonParallelizable]
public sealed class LocalPeersCliTests
{
    private const string Bucket = "rawdata-cli";

    [OneTimeSetUp]
    public async Task PutObjects()
    {
        await PeersS3rver.S3.CreateBucketAsync(Bucket);
        using var client = PeersS3rver.S3.CreateClient(new BasicAWSCredentials(S3rverPeer.AccessKeyId, S3rverPeer.SecretAccessKey));
        using var body = new MemoryStream(Gzip.Compress("{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n"));
        await client.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = "logs/a.gz", InputStream = body, UseChunkEncoding = false });
        await client.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = "other/b.txt", ContentBody = "12345", UseChunkEncoding = false });
    }

    [Test]
    public async Task List_WithPrefix_PrintsKeyTabSizePerObject()
    {
        var (exit, stdout, stderr) = await LocalPeersProgram.RunAsync("list", "--endpoint", PeersS3rver.S3.ServiceUrl, "--bucket", Bucket, "--prefix", "other/");

        Assert.That(exit, Is.Zero, stderr);
        Assert.That(stdout, Is.EqualTo("other/b.txt\t5\n"));
    }

    [Test]
    public async Task Cat_WithLines_PrintsTheFirstGunzippedLines()
    {
        var (exit, stdout, stderr) = await LocalPeersProgram.RunAsync("cat", "--endpoint", PeersS3rver.S3.ServiceUrl, "--bucket", Bucket, "--key", "logs/a.gz", "--lines", "2");

        Assert.That(exit, Is.Zero, stderr);
        Assert.That(stdout, Is.EqualTo("{\"n\":1}\n{\"n\":2}\n"));
    }

    [Test]
    public async Task CreateBucket_MakesABucketThatListsEmpty()
    {
        var (exit, _, stderr) = await LocalPeersProgram.RunAsync("create-bucket", "--endpoint", PeersS3rver.S3.ServiceUrl, "--bucket", "rawdata-cli-new");

        Assert.That(exit, Is.Zero, stderr);
        Assert.That(await PeersS3rver.S3.ListKeysAsync("rawdata-cli-new"), Is.Empty);
    }
}
