using Moq;

namespace RawDataDestination.Tests.Internal;

/// <summary>
/// Seal causes other than flush, and the upload activity's error status for every kind of failure: the cases
/// <see cref="TelemetryTests"/> does not reach. Listeners are process-wide, so these tests run alone.
/// </summary>
[NonParallelizable]
public class TelemetryOutcomeTests
{
    [Test]
    public async Task BatchBuffer_TagsSealsForRoomAsCapacityAndAtDisposeAsShutdown()
    {
        using var metrics = new MetricsRecorder();
        var consumer = new RecordingConsumer();
        await using (var buffer = new BatchBuffer(new BatchBufferOptions { MaxOpenBatches = 1 }, consumer, new FakeTimeProvider(Start)))
        {
            await buffer.AppendAsync("a", Event(1));
            await buffer.AppendAsync("b", Event(2)); // a second open batch, one allowed: a's is sealed for room
            await consumer.WaitForBatchesAsync(1);
        } // b's is sealed by the dispose

        Assert.That(consumer.Batches.Select(b => (b.SourceId, b.Cause)), Is.EquivalentTo(new[] { ("a", SealCause.Capacity), ("b", SealCause.Shutdown) }));
        Assert.That(
            metrics.Named("rawdata.batches.sealed").Select(m => m.Tags["cause"]),
            Is.EquivalentTo(new[] { "capacity", "shutdown" }),
            "each seal's tag names its own cause");
    }

    [Test]
    public async Task BatchBuffer_TagsAJournalResealedAtStartAsRecovered()
    {
        using var spool = new TempDirectory("rawdata-recovered-");
        await SpoolFiles.WriteAsync(spool.Path, "journal", "src", "0190f0a0-0000-7000-8000-000000000002.ndjson", "{\"messageId\":\"m-1\",\"receivedAt\":\"2023-11-24T10:00:00.000Z\"}\n");
        using var metrics = new MetricsRecorder();
        var consumer = new RecordingConsumer();
        await using (var buffer = new BatchBuffer(new BatchBufferOptions { SpoolDirectory = spool.Path }, consumer, new FakeTimeProvider(Start)))
        {
            await buffer.FlushAsync();
        }

        Assert.That(consumer.Batches.Select(b => b.Cause), Is.EqualTo(new[] { SealCause.Recovered }));
        Assert.That(metrics.Named("rawdata.batches.sealed").Select(m => m.Tags["cause"]), Is.EqualTo(new[] { "recovered" }));
    }

    private static IEnumerable<TestCaseData> Failures()
    {
        yield return new TestCaseData(
            RawDataDestination.Sts.StsExplanations.ForAssumeRole(new AmazonSecurityTokenServiceException("not authorized", Amazon.Runtime.ErrorType.Sender, "AccessDenied", "r", HttpStatusCode.Forbidden), "arn:aws:iam::123456789012:role/r", "ext-id", new RawDataDestination.Sts.StsEndpoint(null, "us-east-1")),
            "failed").SetName("Upload_WhenStsRefusesTheRole_EndsItsActivityWithAnErrorStatus");
        yield return new TestCaseData(
            new AmazonS3Exception("The specified method is not allowed", Amazon.Runtime.ErrorType.Sender, "MethodNotAllowed", "r", HttpStatusCode.MethodNotAllowed),
            "failed").SetName("Upload_WhenRefusedWithAnUnlisted4xx_EndsItsActivityWithAnErrorStatus");
        yield return new TestCaseData(
            new AmazonS3Exception("Please reduce your request rate.", Amazon.Runtime.ErrorType.Sender, "SlowDown", "r", HttpStatusCode.ServiceUnavailable),
            "failed").SetName("Upload_WhenRetriesRunOut_EndsItsActivityWithAnErrorStatus");
        yield return new TestCaseData(null, "cancelled").SetName("Upload_WhenCancelled_EndsItsActivityWithAnErrorStatus");
    }

    /// <summary>A failure, or with <see langword="null"/> a PutObject that hangs until the caller cancels.</summary>
    [TestCaseSource(nameof(Failures))]
    public async Task Upload_WhenItFails_EndsItsActivityWithAnErrorStatusAndRecordsItsOutcome(Exception? failure, string outcome)
    {
        using var activities = new ActivityRecorder();
        using var metrics = new MetricsRecorder();
        var s3 = new Mock<IAmazonS3>();
        var put = s3.Setup(c => c.PutObjectAsync(It.IsAny<PutObjectRequest>(), It.IsAny<CancellationToken>()));
        if (failure is null)
        {
            put.Returns(async (PutObjectRequest _, CancellationToken ct) =>
            {
                await Task.Delay(Timeout.Infinite, ct);
                return S3Answers.Written();
            });
        }
        else
        {
            put.ThrowsAsync(failure);
        }

        using S3RoleDestination destination = MockedS3Destination.Create(s3.Object, MockedS3Destination.Options(o => o.RetryTimeLimit = TimeSpan.Zero));
        using SealedBatch batch = await TestBatches.CreateAsync("src", new DateOnly(2023, 11, 24), "{}");
        using var cancel = new CancellationTokenSource();
        Task upload = destination.UploadAsync(batch, cancel.Token);
        if (failure is null)
        {
            await cancel.CancelAsync();
        }

        Assert.That(async () => await upload.WaitAsync(TimeSpan.FromSeconds(30)), Throws.Exception.Not.InstanceOf<TimeoutException>(), "the upload fails");

        Activity activity = activities.Single("rawdata.upload");

        Assert.That(activity.Status, Is.EqualTo(ActivityStatusCode.Error));
        Assert.That(activity.StatusDescription, Is.Not.Empty, "the status says why");
        Assert.That(metrics.Named("rawdata.upload.duration").Select(m => m.Tags["outcome"]), Is.EqualTo(new[] { outcome }));
    }
}
