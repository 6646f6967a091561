namespace RawDataDestination.Tests.Support;

/// <summary>
/// moto (a widely used AWS emulator: S3, STS, IAM and KMS at one endpoint) run as a child process on a free loopback
/// port, through tests/peers/moto-with-aws-rules.py, with IAM enforced: the first
/// <see cref="AccountSetup.BootstrapRequests"/> requests create an administrator, and every request after them has its
/// SigV4 signature, its session token and the caller's IAM policies checked, as AWS does. Everything is set up through
/// the public APIs (<see cref="Account"/>); the tests read back with the administrator's key.
/// </summary>
/// <remarks>
/// Needs python3 with moto installed (<c>pip install "moto[server]"</c>; tests/run.sh checks). MOTO_PYTHON names
/// another interpreter.
/// </remarks>
public sealed class MotoPeer : IAsyncDisposable
{
    public const string Region = "us-east-1";
    private const string ListeningPrefix = "listening on ";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly PeerProcess process;

    private MotoPeer(PeerProcess process, Uri endpoint, AccessKey administrator)
    {
        this.process = process;
        ServiceUrl = endpoint.ToString().TrimEnd('/');
        Account = new AccountSetup(endpoint, administrator);
    }

    /// <summary>Gets the endpoint of every service: http://127.0.0.1:PORT.</summary>
    public string ServiceUrl { get; }

    public int Pid => process.Pid;

    /// <summary>Gets the account's setup calls, made as its administrator.</summary>
    internal AccountSetup Account { get; }

    /// <summary>Gets the administrator's credentials: everything is allowed to them (reads for verification).</summary>
    public AWSCredentials AdministratorCredentials => new BasicAWSCredentials(Account.Administrator.AccessKeyId, Account.Administrator.SecretAccessKey);

    /// <summary>Starts moto with IAM enforced and creates the account's administrator.</summary>
    public static async Task<MotoPeer> StartAsync()
    {
        (PeerProcess process, Uri endpoint) = await StartServerAsync();
        try
        {
            AccessKey administrator = await AccountSetup.CreateAdministratorAsync(endpoint);
            return new MotoPeer(process, endpoint, administrator);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Starts moto alone, its account empty: the first <see cref="AccountSetup.BootstrapRequests"/> requests are not
    /// checked (for whoever creates the administrator), every later one is. The caller disposes the process.
    /// </summary>
    internal static async Task<(PeerProcess Process, Uri Endpoint)> StartServerAsync()
    {
        string python = Environment.GetEnvironmentVariable("MOTO_PYTHON") is { Length: > 0 } chosen ? chosen : "python3";
        var process = PeerProcess.Start(
            python,
            [Path.Combine(RepoPaths.Peers, "moto-with-aws-rules.py"), "--host", "127.0.0.1", "--port", "0"],
            RepoPaths.Root,
            line => line.StartsWith(ListeningPrefix, StringComparison.Ordinal),
            new Dictionary<string, string>
            {
                ["INITIAL_NO_AUTH_ACTION_COUNT"] = AccountSetup.BootstrapRequests.ToString(CultureInfo.InvariantCulture),
                ["PYTHONUNBUFFERED"] = "1",
            });
        try
        {
            string line = await process.WaitUntilReadyAsync(StartTimeout);
            return (process, new Uri(line[ListeningPrefix.Length..].Trim()));
        }
        catch (InvalidOperationException e)
        {
            await process.DisposeAsync();
            throw new InvalidOperationException($"moto did not start; is it installed for {python}? (pip install \"moto[server]\"; tests/run.sh checks){Environment.NewLine}{e.Message}", e);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>An S3 client for this endpoint: path-style, us-east-1, checksums only when required.</summary>
    public AmazonS3Client CreateClient(AWSCredentials credentials) => AccountSetup.CreateS3Client(new Uri(ServiceUrl), credentials);

    /// <summary>Creates <paramref name="bucket"/> (as the administrator) unless it exists.</summary>
    public Task CreateBucketAsync(string bucket) => Account.CreateBucketAsync(bucket);

    /// <summary>
    /// All keys under <paramref name="prefix"/>, in key order, read as the administrator. The listing asks only for the
    /// part of the prefix before its first '/' and filters the rest here: moto 5.2.1 refuses a signed ListObjectsV2
    /// whose prefix holds a '/' (tests/peers/moto-with-aws-rules.py corrects that, and these reads do not depend on it).
    /// </summary>
    public async Task<IReadOnlyList<string>> ListKeysAsync(string bucket, string? prefix = null)
    {
        prefix ??= string.Empty;
        int slash = prefix.IndexOf('/', StringComparison.Ordinal);
        var keys = new List<string>();
        var request = new ListObjectsV2Request { BucketName = bucket, Prefix = slash < 0 ? prefix : prefix[..slash] };
        do
        {
            ListObjectsV2Response response = await Account.AdministratorS3.ListObjectsV2Async(request);
            keys.AddRange((response.S3Objects ?? []).Select(o => o.Key).Where(k => k.StartsWith(prefix, StringComparison.Ordinal)));
            request.ContinuationToken = response.IsTruncated == true ? response.NextContinuationToken : null;
        }
        while (request.ContinuationToken is not null);

        return keys;
    }

    /// <summary>An object's bytes, read as the administrator.</summary>
    public async Task<byte[]> GetObjectBytesAsync(string bucket, string key)
    {
        using GetObjectResponse response = await Account.AdministratorS3.GetObjectAsync(bucket, key);
        using var buffer = new MemoryStream();
        await response.ResponseStream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        Account.Dispose();
        await process.DisposeAsync();
    }
}
