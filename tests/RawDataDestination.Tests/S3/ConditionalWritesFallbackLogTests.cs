using Moq;

namespace RawDataDestination.Tests.S3;

/// <summary>
/// The README's "a 501 switches to plain PUTs, logged once": a store that does not implement If-None-Match is reported
/// in the log once per destination, not once per upload. A mocked S3 client, since s3rver answers If-None-Match.
/// </summary>
public class ConditionalWritesFallbackLogTests
{
    private const string Warning = "does not implement conditional writes";

    private static AmazonS3Exception NotImplemented() =>
        new("A header you provided implies functionality that is not implemented", Amazon.Runtime.ErrorType.Sender, "NotImplemented", "request-id", HttpStatusCode.NotImplemented);

    private static (S3RoleDestination Destination, Mock<IAmazonS3> S3, CapturingLogger Log) Create()
    {
        var options = new S3RoleDestinationOptions
        {
            Region = "us-west-2",
            Bucket = "customer-bucket/raw",
            RoleArn = "arn:aws:iam::123456789012:role/SegmentS3Upload",
            ExternalId = "ext-id-123",
            ConditionalWrites = ConditionalWrites.Enabled,
            RetryTimeLimit = TimeSpan.Zero,
        };
        var s3 = new Mock<IAmazonS3>(MockBehavior.Strict);
        s3.Setup(c => c.PutObjectAsync(It.Is<PutObjectRequest>(r => r.IfNoneMatch == null), It.IsAny<CancellationToken>()))
            .ReturnsAsync(S3Answers.Written());
        var credentials = AssumeRoleCredentials.Create(Mock.Of<IAmazonSecurityTokenService>(), new RoleSession(options.RoleArn, options.ExternalId, "s", TimeSpan.FromHours(1)), TimeSpan.FromMinutes(5));
        var log = new CapturingLogger();
        return (new S3RoleDestination(options, s3.Object, credentials, log), s3, log);
    }

    private static Task<SealedBatch> OneBatchAsync(int i) =>
        TestBatches.CreateAsync("src-1", new DateOnly(2023, 11, 24), $"{{\"messageId\":\"{i}\"}}");

    [Test]
    public async Task UploadAsync_WhenTheStoreAnswers501_LogsTheFallbackOnceForEveryLaterUpload()
    {
        var (destination, s3, log) = Create();
        s3.Setup(c => c.PutObjectAsync(It.Is<PutObjectRequest>(r => r.IfNoneMatch == "*"), It.IsAny<CancellationToken>())).ThrowsAsync(NotImplemented());

        for (int i = 0; i < 5; i++)
        {
            using SealedBatch batch = await OneBatchAsync(i);
            await destination.UploadAsync(batch);
        }

        var warnings = log.Lines.Where(line => line.Contains(Warning, StringComparison.Ordinal)).ToList();
        Assert.That(warnings, Has.Count.EqualTo(1), "one warning for five uploads");
        Assert.That(warnings[0], Does.StartWith("Warning: ").And.Contain("customer-bucket"));
        s3.Verify(c => c.PutObjectAsync(It.Is<PutObjectRequest>(r => r.IfNoneMatch == null), It.IsAny<CancellationToken>()), Times.Exactly(5), "every upload landed, with a plain PUT");
    }

    [Test]
    public async Task UploadAsync_WhenConcurrentUploadsAllMeet501_LogsTheFallbackOnce()
    {
        const int Uploads = 4;
        var (destination, s3, log) = Create();
        var arrived = 0;
        var allArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        s3.Setup(c => c.PutObjectAsync(It.Is<PutObjectRequest>(r => r.IfNoneMatch == "*"), It.IsAny<CancellationToken>()))
            .Returns(async () =>
            {
                // Every upload sends its conditional PUT before the store's first 501 comes back, as uploads in flight
                // together do.
                if (Interlocked.Increment(ref arrived) == Uploads)
                {
                    allArrived.SetResult();
                }

                await allArrived.Task.WaitAsync(TimeSpan.FromSeconds(30));
                throw NotImplemented();
            });
        SealedBatch[] batches = await Task.WhenAll(Enumerable.Range(0, Uploads).Select(OneBatchAsync));
        try
        {
            await Task.WhenAll(batches.Select(batch => destination.UploadAsync(batch))).WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            foreach (SealedBatch batch in batches)
            {
                batch.Dispose();
            }
        }

        Assert.That(log.Lines.Count(line => line.Contains(Warning, StringComparison.Ordinal)), Is.EqualTo(1), "one warning however many uploads met the 501");
    }
}
