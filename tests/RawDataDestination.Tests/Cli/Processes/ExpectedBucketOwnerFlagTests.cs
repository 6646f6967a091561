namespace RawDataDestination.Tests.Cli.Processes;

/// <summary>
/// <c>rawdata</c>'s <c>--expected-bucket-owner</c>, as a process against moto (whose peer refuses a request expecting
/// another owner as AWS does), read on the wire through the fault proxy: the right account lands the events and every
/// PutObject carries it; another account writes nothing and names the flag; a value that is no account id is refused
/// with exit code 2 before anything is called.
/// </summary>
public class ExpectedBucketOwnerFlagTests
{
    private const string Header = "x-amz-expected-bucket-owner";

    private static string Events(string id) =>
        $"{{\"type\":\"track\",\"messageId\":\"{id}-1\"}}\n{{\"type\":\"track\",\"messageId\":\"{id}-2\"}}\n";

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string[] arguments, string stdin = "")
    {
        using Process process = RawdataProgram.Start(arguments, RawdataPeers.ServiceCredentials);
        return await RawdataProgram.RunToEndAsync(process, stdin);
    }

    private static string?[] OwnersSent(FaultProxy proxy) =>
        [.. proxy.Log.Where(l => l.Request.Method == "PUT").Select(l => l.Request.Headers.GetValueOrDefault(Header))];

    [Test]
    [CancelAfter(90_000)]
    public async Task Ship_WithTheBucketsOwner_DeliversAndEveryPutCarriesIt()
    {
        await using var s3 = new FaultProxy(new Uri(RawdataPeers.S3Url), _ => ProxyAction.Forward);
        string source = $"owner-{Guid.NewGuid():N}";
        string[] arguments = RawdataPeers.Command("ship", s3.ServiceUrl.ToString(), more: ["--source-id", source, "--expected-bucket-owner", AccountSetup.AccountId]);

        var (exitCode, stdout, stderr) = await RunAsync(arguments, Events("o"));

        Assert.That(exitCode, Is.EqualTo(0), stdout + stderr);
        Assert.That(await RawdataPeers.MessageIdsAsync(source), Is.EquivalentTo(new[] { "o-1", "o-2" }));
        Assert.That(OwnersSent(s3), Is.Not.Empty.And.All.EqualTo(AccountSetup.AccountId));
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task Ship_WithAnotherAccount_DeliversNothingAndNamesTheFlagAndTheAccount()
    {
        await using var s3 = new FaultProxy(new Uri(RawdataPeers.S3Url), _ => ProxyAction.Forward);
        string source = $"not-owner-{Guid.NewGuid():N}";
        string[] arguments = RawdataPeers.Command(
            "ship", s3.ServiceUrl.ToString(), more: ["--source-id", source, "--expected-bucket-owner", "111122223333", "--retry-time-limit", "1m", "--shutdown-timeout", "2s"]);

        var (exitCode, stdout, stderr) = await RunAsync(arguments, Events("n"));

        Assert.That(exitCode, Is.EqualTo(1), stdout + stderr);
        Assert.That(stderr, Does.Contain($"bucket '{RawdataPeers.Bucket}' may not be owned by account 111122223333, which --expected-bucket-owner names"), stderr);
        Assert.That(stdout, Does.Contain("not delivered:    2"), stdout);
        Assert.That(await RawdataPeers.MessageIdsAsync(source), Is.Empty, "nothing written");
        Assert.That(OwnersSent(s3), Is.Not.Empty.And.All.EqualTo("111122223333"));
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task Verify_WithTheBucketsOwner_PassesAndTheProbeCarriesIt()
    {
        await using var s3 = new FaultProxy(new Uri(RawdataPeers.S3Url), _ => ProxyAction.Forward);
        string[] arguments = RawdataPeers.Command("verify", s3.ServiceUrl.ToString(), more: ["--expected-bucket-owner", AccountSetup.AccountId]);

        var (exitCode, stdout, stderr) = await RunAsync(arguments);

        Assert.That(exitCode, Is.EqualTo(0), stdout + stderr);
        Assert.That(stdout, Does.Contain($"expecting account {AccountSetup.AccountId} to own the bucket"), stdout);
        Assert.That(OwnersSent(s3), Is.EqualTo(new[] { AccountSetup.AccountId }));
    }

    [TestCase("ship")]
    [TestCase("verify")]
    public async Task Command_WithAnAccountIdWrittenWithDashes_ExitsTwoNamingTheFlagAndTheDigitsToEnter(string verb)
    {
        await using var s3 = new FaultProxy(new Uri(RawdataPeers.S3Url), _ => ProxyAction.Forward);
        string[] more = verb == "ship" ? ["--source-id", "bad-owner", "--expected-bucket-owner", "1234-5678-9012"] : ["--expected-bucket-owner", "1234-5678-9012"];

        var (exitCode, stdout, stderr) = await RunAsync(RawdataPeers.Command(verb, s3.ServiceUrl.ToString(), more: more), Events("b"));

        Assert.That(exitCode, Is.EqualTo(2), stdout + stderr);
        Assert.That(stderr, Does.Contain("--expected-bucket-owner '1234-5678-9012' is written with dashes; enter the 12 digits alone: '123456789012'."), stderr);
        Assert.That(s3.Log, Is.Empty, "refused before any call");
    }
}
