using Moq;

namespace RawDataDestination.Tests.S3;

/// <summary>
/// An STS or S3 that accepts connections and never answers gives the attempt back within the response timeout, on a
/// fake clock, and a cancelled attempt does not wait for a silent STS.
/// </summary>
public class S3RoleDestinationSilentEndpointTests
{
    private static readonly BasicAWSCredentials BaseCredentials = new("AKIDSERVICE", "service-secret");

    [Test]
    public async Task Consume_WhenStsNeverAnswers_FailsTransientlyAfterTheResponseTimeout()
    {
        await using var silent = new SilentPeers();
        Task<BatchReceipt> attempt = await silent.ConsumeUntilStsHasTheRequestAsync(CancellationToken.None);

        // STS has the request's first bytes; the client arms its silence timer once it has sent the rest, which on a busy
        // machine may be after a first advance of the fake clock: advance it again, response timeout by response timeout,
        // until the attempt ends (bounded in real time).
        var bound = Stopwatch.StartNew();
        do
        {
            silent.Time.Advance(TimeSpan.FromSeconds(10));
        }
        while (await Task.WhenAny(attempt, Task.Delay(TimeSpan.FromMilliseconds(200))) != attempt && bound.Elapsed < TimeSpan.FromSeconds(10));

        Exception? failure = Assert.CatchAsync(() => attempt.WaitAsync(TimeSpan.FromSeconds(1)));
        Assert.That(failure, Is.InstanceOf<TimeoutException>().Or.InnerException.InstanceOf<TimeoutException>());
        Assert.That(failure!.ToString(), Does.Contain("went silent"));
        Assert.That(silent.S3.BytesReceived, Is.Zero, "nothing reached the bucket without credentials");
    }

    [Test]
    public async Task Consume_WhenS3NeverAnswers_FailsTransientlyAfterTheResponseTimeout()
    {
        var time = new FakeTimeProvider(Start);
        await using var silentS3 = new SilentEndpoint();
        var sts = new Mock<IAmazonSecurityTokenService>();
        sts.Setup(c => c.AssumeRoleAsync(It.IsAny<AssumeRoleRequest>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(() => new AssumeRoleResponse { Credentials = new Credentials("ASIAROLE", "secret", "token", time.GetUtcNow().UtcDateTime.AddHours(1)) });
        S3RoleDestinationOptions options = Options(silentS3.Url, stsUrl: null);
        var credentials = AssumeRoleCredentials.Create(sts.Object, new RoleSession(options.RoleArn, options.ExternalId, "rawdata", TimeSpan.FromHours(1)), TimeSpan.FromMinutes(5), time);
        using var s3 = new Amazon.S3.AmazonS3Client(credentials, new Amazon.S3.AmazonS3Config
        {
            ServiceURL = silentS3.Url,
            ForcePathStyle = true,
            MaxErrorRetry = 0,
            HttpClientFactory = new RawDataDestination.Internal.BoundedHttpClientFactory(options.ConnectTimeout, options.ResponseTimeout, time),
        });
        using var destination = new S3RoleDestination(options, s3, credentials, timeProvider: time);
        using SealedBatch batch = await OneBatchAsync();

        Task<BatchReceipt> attempt = ((ISealedBatchConsumer)destination).ConsumeAsync(batch, CancellationToken.None);
        await silentS3.WaitForBytesAsync(batch.CompressedBytes);
        time.Advance(TimeSpan.FromSeconds(10));

        Exception? failure = Assert.CatchAsync(() => attempt.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.That(failure, Is.InstanceOf<TimeoutException>().Or.InnerException.InstanceOf<TimeoutException>());
        Assert.That(S3TransientCheck(failure!), Is.True, "a silent endpoint is a transient failure: retried, never parked");
    }

    [Test]
    public async Task Consume_WhenCancelledWhileStsIsSilent_StopsAtOnce()
    {
        await using var silent = new SilentPeers();
        using var cancel = new CancellationTokenSource();
        Task<BatchReceipt> attempt = await silent.ConsumeUntilStsHasTheRequestAsync(cancel.Token);

        await cancel.CancelAsync();

        Assert.CatchAsync<OperationCanceledException>(() => attempt.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    private static Task<SealedBatch> OneBatchAsync() => TestBatches.CreateAsync("src-1", new DateOnly(2023, 11, 24), "{\"type\":\"track\"}");

    private static bool S3TransientCheck(Exception error) => TransientErrors.IsTransient(error, CancellationToken.None);

    private static S3RoleDestinationOptions Options(string s3Url, string? stsUrl) => new()
    {
        Region = "us-east-1",
        Bucket = "customer-bucket",
        RoleArn = "arn:aws:iam::123456789012:role/SegmentS3Upload",
        ExternalId = "ext-id-123",
        ServiceUrl = new Uri(s3Url),
        StsServiceUrl = stsUrl is null ? null : new Uri(stsUrl),
    };

    /// <summary>A destination whose STS and S3 both accept connections and never answer, on a fake clock.</summary>
    private sealed class SilentPeers : IAsyncDisposable
    {
        private S3RoleDestination? destination;
        private SealedBatch? batch;

        public FakeTimeProvider Time { get; } = new();

        public SilentEndpoint Sts { get; } = new();

        public SilentEndpoint S3 { get; } = new();

        /// <summary>Starts consuming one batch and returns the attempt once STS has received the request for credentials.</summary>
        public async Task<Task<BatchReceipt>> ConsumeUntilStsHasTheRequestAsync(CancellationToken cancellationToken)
        {
            destination = new S3RoleDestination(Options(S3.Url, Sts.Url), BaseCredentials, Time);
            batch = await OneBatchAsync();
            Task<BatchReceipt> attempt = ((ISealedBatchConsumer)destination).ConsumeAsync(batch, cancellationToken);
            await Sts.WaitForBytesAsync(1);
            return attempt;
        }

        public async ValueTask DisposeAsync()
        {
            batch?.Dispose();
            destination?.Dispose();
            await S3.DisposeAsync();
            await Sts.DisposeAsync();
        }
    }
}
