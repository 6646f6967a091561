namespace RawDataDestination.Tests.Support;

/// <summary>
/// The loopback STS of tests/RawDataDestination.LocalPeers (<c>localpeers sts</c>) run as a child process:
/// AssumeRole over the Query protocol, trusting one role ARN with one external id, issuing S3RVER/S3RVER
/// credentials with a fresh session token.
/// Kept only for benchmarks/compare-ship.sh (with s3rver, whose one key it issues) and the tests of that tool
/// (tests/.../Peers); the integration tests assume roles on moto's STS (<see cref="MotoPeer"/>, <see cref="StsProxy"/>).
/// </summary>
public sealed class StsPeer : IAsyncDisposable
{
    private const string ListeningPrefix = "listening on ";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly PeerProcess process;
    private readonly HttpClient admin;

    private StsPeer(PeerProcess process, Uri baseUrl, string roleArn, string externalId)
    {
        this.process = process;
        RoleArn = roleArn;
        ExternalId = externalId;
        ServiceUrl = baseUrl.ToString().TrimEnd('/');
        admin = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(10) };
    }

    /// <summary>http://127.0.0.1:PORT</summary>
    public string ServiceUrl { get; }

    public int Pid => process.Pid;

    /// <summary>The role it trusts.</summary>
    public string RoleArn { get; }

    /// <summary>The external id its trust policy asks for.</summary>
    public string ExternalId { get; }

    /// <summary>
    /// Starts the peer, trusting <paramref name="roleArn"/> with <paramref name="externalId"/> (by default the role and id its
    /// tests assume); with <paramref name="acceptedCallerKeyIds"/>, AssumeRole signed with any other key id is refused (InvalidClientTokenId).
    /// </summary>
    public static async Task<StsPeer> StartAsync(string roleArn = "arn:aws:iam::111122223333:role/rawdata-writer", string externalId = "ext-7f3a", int expirySeconds = 3600, string? issuedSecretAccessKey = null, IEnumerable<string>? acceptedCallerKeyIds = null)
    {
        string[] arguments =
        [
            LocalPeersProgram.DllPath, "sts",
            "--port", "0",
            "--address", "127.0.0.1",
            "--role-arn", roleArn,
            "--external-id", externalId,
            "--expiry-seconds", expirySeconds.ToString(CultureInfo.InvariantCulture),
            .. issuedSecretAccessKey is null ? Array.Empty<string>() : ["--secret-access-key", issuedSecretAccessKey],
            .. acceptedCallerKeyIds is null ? Array.Empty<string>() : ["--accept-caller-key-ids", string.Join(',', acceptedCallerKeyIds)],
        ];
        var process = PeerProcess.Start(
            LocalPeersProgram.DotnetHost, arguments, RepoPaths.Root, line => line.StartsWith(ListeningPrefix, StringComparison.Ordinal));
        try
        {
            var line = await process.WaitUntilReadyAsync(StartTimeout);
            return new StsPeer(process, new Uri(line[ListeningPrefix.Length..].Trim()), roleArn, externalId);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>Client settings for the real AWS SDK STS client pointed at this peer.</summary>
    public AmazonSecurityTokenServiceConfig CreateClientConfig() => new()
    {
        ServiceURL = ServiceUrl,
        AuthenticationRegion = "us-east-1",
    };

    /// <summary>AssumeRole requests received so far, granted or not (each SDK retry counts).</summary>
    public Task<int> GetCallCountAsync() => GetCounterAsync("calls");

    public Task<int> GetGrantedCountAsync() => GetCounterAsync("granted");

    /// <summary>Credentials issued after this call expire <paramref name="seconds"/> after issue.</summary>
    public Task SetExpiryAsync(int seconds) =>
        PostAsync(string.Create(CultureInfo.InvariantCulture, $"_admin/config?expirySeconds={seconds}"));

    /// <summary>While down, AssumeRole answers 503 ServiceUnavailable.</summary>
    /// <summary>Adds or removes the trust policy's <c>sts:ExternalId</c> condition.</summary>
    public Task SetExternalIdRequiredAsync(bool required) => PostAsync(required ? "_admin/trust?requireExternalId=true" : "_admin/trust?requireExternalId=false");

    public Task SetDownAsync(bool down) => PostAsync(down ? "_admin/down?on=true" : "_admin/down?on=false");

    public async ValueTask DisposeAsync()
    {
        admin.Dispose();
        await process.DisposeAsync();
    }

    private async Task<int> GetCounterAsync(string name)
    {
        var text = await admin.GetStringAsync(new Uri("_admin/" + name, UriKind.Relative));
        return int.Parse(text.Trim(), CultureInfo.InvariantCulture);
    }

    private async Task PostAsync(string relative)
    {
        using var empty = new ByteArrayContent([]);
        using var response = await admin.PostAsync(new Uri(relative, UriKind.Relative), empty);
        response.EnsureSuccessStatusCode();
    }
}
