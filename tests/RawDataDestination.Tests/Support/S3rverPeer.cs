namespace RawDataDestination.Tests.Support;

/// <summary>
/// A real s3rver (the pinned npm package) run as a child process on a free loopback port, with its
/// data in a fresh temp folder. s3rver knows one key pair, S3RVER/S3RVER. It runs through
/// tests/peers/s3rver-with-checksums.js, which adds S3's BadDigest refusal of a body that does not match its
/// Content-MD5 or x-amz-checksum-sha256.
/// Kept for benchmarks/compare-ship.sh (a fast local S3 for whole-process speed: moto, in Python, would measure itself)
/// and the tests of that tool (tests/.../Peers); the integration tests run on moto (<see cref="MotoPeer"/>), which checks
/// signatures, tokens and policies where s3rver checks none.
/// </summary>
public sealed class S3rverPeer : IAsyncDisposable
{
    public const string AccessKeyId = "S3RVER";
    public const string SecretAccessKey = "S3RVER";
    public const string Region = "us-east-1";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly PeerProcess process;
    private readonly DirectoryInfo dataDirectory;
    private readonly AmazonS3Client client;

    private S3rverPeer(PeerProcess process, DirectoryInfo dataDirectory, int port)
    {
        this.process = process;
        this.dataDirectory = dataDirectory;
        ServiceUrl = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}");
        client = CreateClient(new BasicAWSCredentials(AccessKeyId, SecretAccessKey));
    }

    /// <summary>http://127.0.0.1:PORT</summary>
    public string ServiceUrl { get; }

    public int Pid => process.Pid;

    public string DataDirectory => dataDirectory.FullName;

    /// <summary>Starts s3rver with <paramref name="buckets"/> created, and waits until its port accepts connections.</summary>
    public static async Task<S3rverPeer> StartAsync(params string[] buckets)
    {
        ArgumentNullException.ThrowIfNull(buckets);
        await NodeModules.EnsureInstalledAsync();
        var data = Directory.CreateTempSubdirectory("s3rver-");
        try
        {
            const int attempts = 3;
            for (var attempt = 1; ; attempt++)
            {
                var port = FreePort.Next();
                var process = PeerProcess.Start("node", Arguments(data.FullName, port, buckets), RepoPaths.Root);
                if (await FreePort.WaitUntilAcceptingAsync(port, StartTimeout, () => process.HasExited))
                {
                    return new S3rverPeer(process, data, port);
                }

                var output = process.RecentOutput;
                var exited = process.HasExited;
                await process.DisposeAsync();
                if (!exited || attempt == attempts)
                {
                    throw new InvalidOperationException(
                        $"s3rver did not accept connections on port {port} ({(exited ? "it exited" : $"within {StartTimeout}")}):{Environment.NewLine}{output}");
                }

                // It exited: most likely another process took the port first. Try another one.
            }
        }
        catch
        {
            data.Delete(recursive: true);
            throw;
        }
    }

    /// <summary>An S3 client for this s3rver: path-style, us-east-1, checksums only when required (s3rver stores aws-chunked bodies undecoded).</summary>
    public AmazonS3Client CreateClient(AWSCredentials credentials) => new(credentials, CreateConfig(ServiceUrl));

    public static AmazonS3Config CreateConfig(string serviceUrl) => new()
    {
        ServiceURL = serviceUrl,
        ForcePathStyle = true,
        AuthenticationRegion = Region,
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
    };

    public async Task CreateBucketAsync(string bucket) =>
        await client.PutBucketAsync(new PutBucketRequest { BucketName = bucket });

    /// <summary>All keys under <paramref name="prefix"/>, following ListObjectsV2 pagination, in key order.</summary>
    public async Task<IReadOnlyList<string>> ListKeysAsync(string bucket, string? prefix = null)
    {
        var keys = new List<string>();
        var request = new ListObjectsV2Request { BucketName = bucket, Prefix = prefix };
        do
        {
            var response = await client.ListObjectsV2Async(request);
            keys.AddRange((response.S3Objects ?? []).Select(o => o.Key));
            request.ContinuationToken = response.IsTruncated == true ? response.NextContinuationToken : null;
        }
        while (request.ContinuationToken is not null);

        return keys;
    }

    public async Task<byte[]> GetObjectBytesAsync(string bucket, string key)
    {
        using var response = await client.GetObjectAsync(bucket, key);
        using var buffer = new MemoryStream();
        await response.ResponseStream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        client.Dispose();
        try
        {
            await process.DisposeAsync();
        }
        finally
        {
            if (dataDirectory.Exists)
            {
                dataDirectory.Delete(recursive: true);
            }
        }
    }

    private static IEnumerable<string> Arguments(string dataDirectory, int port, IEnumerable<string> buckets)
    {
        string[] fixedPart =
        [
            "--openssl-legacy-provider", NodeModules.S3rverWithChecksumsScript,
            "-d", dataDirectory,
            "-a", "127.0.0.1",
            "-p", port.ToString(CultureInfo.InvariantCulture),
            "--silent",
        ];
        return fixedPart.Concat(buckets.SelectMany(b => new[] { "--configure-bucket", b }));
    }
}
