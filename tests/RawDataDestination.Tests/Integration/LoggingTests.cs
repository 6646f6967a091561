namespace RawDataDestination.Tests.Integration;

/// <summary>What the library logs, at every level, on the happy path and on failures: never credentials, tokens or event bodies.</summary>
public class LoggingTests
{
    [Test]
    public async Task Logs_OnSuccessRetriesRefusalsAndTheSetupCheck_NeverContainSecretsOrEventBodies()
    {
        string bodyMarker = "event-body-marker-" + Guid.NewGuid().ToString("N");
        int requests = 0;
        await using FaultProxy proxy = MotoFaults.Proxy(request =>
            Interlocked.Increment(ref requests) switch
            {
                1 => ProxyAction.SlowDown, // a retry, logged with its error
                3 => ProxyAction.AccessDenied, // a refusal, logged with its explanation
                _ => ProxyAction.Forward,
            });
        var logs = new CapturingLogger();
        AWSCredentials baseCredentials = Destinations.BaseCredentials();
        string baseSecret = (await baseCredentials.GetCredentialsAsync()).SecretKey;
        S3RoleDestinationOptions options = Destinations.Options(s3Url: proxy.ServiceUrl.ToString());
        string source = Objects.UniqueSource("logs");
        ImmutableCredentials issued;

        using (var destination = new S3RoleDestination(options, baseCredentials, loggerFactory: logs))
        {
            await using (var buffer = new BatchBuffer(new BatchBufferOptions(), destination, logger: new Logger<BatchBuffer>(logs)))
            {
                await buffer.AppendAsync(source, Encoding.UTF8.GetBytes($"{{\"messageId\":\"a\",\"note\":\"{bodyMarker}\"}}"));
                await buffer.FlushAsync(); // attempt 1: SlowDown, attempt 2: lands
                await buffer.AppendAsync(source, Encoding.UTF8.GetBytes($"{{\"messageId\":\"b\",\"note\":\"{bodyMarker}\"}}"));
                Assert.ThrowsAsync<BatchDeliveryException>(async () => await buffer.FlushAsync()); // AccessDenied: refused (logged with its explanation), the batch kept
                await buffer.FlushAsync(); // a flush tries refused batches again first: it lands
            }

            await destination.VerifyAsync();
            issued = await destination.Credentials.GetCredentialsAsync();
        }

        using (var wrong = new S3RoleDestination(Destinations.Options(externalId: "wrong-external-id"), baseCredentials, loggerFactory: logs))
        {
            await wrong.VerifyAsync();
            using SealedBatch batch = await TestBatches.CreateAsync(source, new DateOnly(2023, 11, 24), $"{{\"note\":\"{bodyMarker}\"}}");
            Assert.ThrowsAsync<DestinationException>(async () => await wrong.UploadAsync(batch));
        }

        IReadOnlyList<string> lines = logs.Lines;
        Assert.That(lines, Has.Count.GreaterThanOrEqualTo(3), string.Join("\n", lines));
        Assert.That(lines, Has.Some.Contains("next try at"), "the retry was logged");
        Assert.That(lines, Has.Some.Contains("AccessDenied"), "the refusal was logged with its explanation");
        Assert.That(lines, Has.None.Contains(issued.SecretKey), "the assumed role's secret key");
        Assert.That(lines, Has.None.Contains(issued.Token), "the session token");
        Assert.That(lines, Has.None.Contains(baseSecret), "the host's own secret key");
        Assert.That(lines, Has.None.Contains(bodyMarker), "event bodies");
    }
}
