namespace RawDataDestination.Tests.Peers;

/// <summary>The list, cat and create-bucket commands of localpeers against a real s3rver.</summary>
[TestFixture]
[NonParallelizable]
public sealed class LocalPeersCliTests
{
    private const string Bucket = "rawdata-cli";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    private S3rverPeer s3 = null!;

    [OneTimeSetUp]
    public async Task StartPeer()
    {
        s3 = await S3rverPeer.StartAsync(Bucket);
        using var client = s3.CreateClient(new BasicAWSCredentials(S3rverPeer.AccessKeyId, S3rverPeer.SecretAccessKey));
        using var body = new MemoryStream(Gzip("{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n"));
        await client.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = "logs/a.gz", InputStream = body, UseChunkEncoding = false });
        await client.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = "other/b.txt", ContentBody = "12345", UseChunkEncoding = false });
    }

    [OneTimeTearDown]
    public async Task StopPeer() => await s3.DisposeAsync();

    [Test]
    public async Task List_WithPrefix_PrintsKeyTabSizePerObject()
    {
        var (exit, stdout, stderr) = await LocalPeersProgram.RunAsync(CommandTimeout, "list", "--endpoint", s3.ServiceUrl, "--bucket", Bucket, "--prefix", "other/");

        Assert.That(exit, Is.Zero, stderr);
        Assert.That(stdout, Is.EqualTo("other/b.txt\t5\n"));
    }

    [Test]
    public async Task Cat_WithLines_PrintsTheFirstGunzippedLines()
    {
        var (exit, stdout, stderr) = await LocalPeersProgram.RunAsync(CommandTimeout, "cat", "--endpoint", s3.ServiceUrl, "--bucket", Bucket, "--key", "logs/a.gz", "--lines", "2");

        Assert.That(exit, Is.Zero, stderr);
        Assert.That(stdout, Is.EqualTo("{\"n\":1}\n{\"n\":2}\n"));
    }

    [Test]
    public async Task CreateBucket_MakesABucketThatListsEmpty()
    {
        var (exit, _, stderr) = await LocalPeersProgram.RunAsync(CommandTimeout, "create-bucket", "--endpoint", s3.ServiceUrl, "--bucket", "rawdata-cli-new");

        Assert.That(exit, Is.Zero, stderr);
        Assert.That(await s3.ListKeysAsync("rawdata-cli-new"), Is.Empty);
    }

    private static byte[] Gzip(string text)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest))
        {
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }

        return buffer.ToArray();
    }
}
