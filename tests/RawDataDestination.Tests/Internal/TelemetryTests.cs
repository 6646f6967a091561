using Moq;

namespace RawDataDestination.Tests.Internal;

[NonParallelizable]
public class TelemetryTests
{
    [Test]
    public async Task BatchBuffer_RecordsAppendedRejectedBytesAndSealsWithNamesUnitsAndTags()
    {
        using var metrics = new MetricsRecorder();
        var time = new FakeTimeProvider(Start);
        await using (var buffer = new BatchBuffer(new BatchBufferOptions(), new RecordingConsumer(), time))
        {
            await buffer.AppendAsync("src", "{\"receivedAt\":\"2023-11-24T10:00:00Z\"}"u8.ToArray());
            await buffer.AppendAsync("src", "{\"receivedAt\":\"2023-11-24T10:00:00Z\"}"u8.ToArray());
            Assert.ThrowsAsync<EventRejectedException>(async () => await buffer.AppendAsync("src", "[]"u8.ToArray()));
            time.Advance(TimeSpan.FromSeconds(90));
            await buffer.FlushAsync();
        }

        Assert.That(metrics.Sum("rawdata.events.appended"), Is.EqualTo(2));
        Assert.That(metrics.Named("rawdata.events.appended").First().Unit, Is.EqualTo("{event}"));
        var rejected = metrics.Named("rawdata.events.rejected").Single();
        Assert.That(rejected.Tags["reason"], Is.EqualTo("NotAnObject"));
        Assert.That(metrics.Sum("rawdata.bytes.in"), Is.EqualTo(2 * ("{\"receivedAt\":\"2023-11-24T10:00:00Z\"}".Length + 1)));
        Assert.That(metrics.Named("rawdata.bytes.in").First().Unit, Is.EqualTo("By"));
        var sealedBatch = metrics.Named("rawdata.batches.sealed").Single();
        Assert.That(sealedBatch.Tags["cause"], Is.EqualTo("flush"));
        var age = metrics.Named("rawdata.batch.age").Single();
        Assert.That((age.Value, age.Unit), Is.EqualTo((90.0, "s")));
    }

    [Test]
    public async Task Destination_RecordsAttemptsFailuresUploadsAndLatency()
    {
        using var metrics = new MetricsRecorder();
        var s3 = new Mock<IAmazonS3>();
        s3.SetupSequence(c => c.PutObjectAsync(It.IsAny<PutObjectRequest>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new AmazonS3Exception("Please reduce your request rate.", Amazon.Runtime.ErrorType.Sender, "SlowDown", "r", HttpStatusCode.ServiceUnavailable))
            .ReturnsAsync(S3Answers.Written());
        S3RoleDestination destination = MockedS3Destination.Create(s3.Object, MockedS3Destination.Options(o =>
        {
            o.RetryBaseDelay = TimeSpan.FromTicks(1);
            o.RetryMaxDelay = TimeSpan.FromTicks(1);
        }));
        using SealedBatch batch = await TestBatches.CreateAsync("src", new DateOnly(2023, 11, 24), "{}");

        await destination.UploadAsync(batch);

        Assert.That(metrics.Sum("rawdata.upload.attempts"), Is.EqualTo(2));
        Assert.That(metrics.Named("rawdata.upload.failures").Single().Tags["error.code"], Is.EqualTo("SlowDown"));
        Assert.That(metrics.Sum("rawdata.objects.uploaded"), Is.EqualTo(1));
        Assert.That(metrics.Sum("rawdata.bytes.out"), Is.EqualTo(batch.CompressedBytes));
        Assert.That(metrics.Named("rawdata.upload.duration").Single().Unit, Is.EqualTo("s"));
    }

    [Test]
    public async Task Credentials_RecordRefreshesFailuresAndSecondsUntilExpiry()
    {
        using var metrics = new MetricsRecorder();
        var time = new FakeTimeProvider(Start);
        var sts = new Mock<IAmazonSecurityTokenService>();
        sts.Setup(c => c.AssumeRoleAsync(It.IsAny<AssumeRoleRequest>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(() => new AssumeRoleResponse
            {
                Credentials = new Amazon.SecurityToken.Model.Credentials("AKIA", "secret", "token", time.GetUtcNow().UtcDateTime.AddHours(1)),
            });
        var refused = new Mock<IAmazonSecurityTokenService>();
        refused.Setup(c => c.AssumeRoleAsync(It.IsAny<AssumeRoleRequest>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new AmazonSecurityTokenServiceException("not authorized", Amazon.Runtime.ErrorType.Sender, "AccessDenied", "r", HttpStatusCode.Forbidden));
        var good = AssumeRoleCredentials.Create(sts.Object, new RoleSession("arn:aws:iam::123456789012:role/good", "ext-123", "s", TimeSpan.FromHours(1)), TimeSpan.FromMinutes(5), time);
        var bad = AssumeRoleCredentials.Create(refused.Object, new RoleSession("arn:aws:iam::123456789012:role/bad", "ext-123", "s", TimeSpan.FromHours(1)), TimeSpan.FromMinutes(5), time);

        await good.GetCredentialsAsync();
        Assert.ThrowsAsync<AssumeRoleException>(async () => await bad.GetCredentialsAsync());
        metrics.Observe();

        Assert.That(metrics.Sum("rawdata.credentials.refreshes"), Is.EqualTo(1));
        Assert.That(metrics.Named("rawdata.credentials.refreshes").Single().Unit, Is.EqualTo("{refresh}"));
        RecordedMeasurement failure = metrics.Named("rawdata.credentials.failures").Single();
        Assert.That((failure.Tags["error.code"], failure.Unit), Is.EqualTo(("AccessDenied", "{failure}")));
        RecordedMeasurement expiry = metrics.Named("rawdata.credentials.expiry").Single(m => m.Tags["aws.iam.role"] == good.RoleArn);
        Assert.That(expiry.Unit, Is.EqualTo("s"));
        Assert.That(expiry.Value, Is.InRange(3000, 3600), "an hour, less the SDK's safety buffer");
        GC.KeepAlive(good);
        GC.KeepAlive(bad);
    }

    [Test]
    public async Task Spool_RecordsItsDepthTaggedWithItsDirectory()
    {
        using var metrics = new MetricsRecorder();
        string directory = Directory.CreateTempSubdirectory("rawdata-metrics-").FullName;
        try
        {
            var consumer = new RecordingConsumer { FailuresToInject = int.MaxValue };
            await using (var buffer = new BatchBuffer(new BatchBufferOptions { SpoolDirectory = directory, RetryBudget = TimeSpan.Zero, ShutdownTimeout = TimeSpan.Zero }, consumer, new FakeTimeProvider(Start)))
            {
                await buffer.AppendAsync("src", "{\"receivedAt\":\"2023-11-24T10:00:00Z\"}"u8.ToArray());
                Assert.ThrowsAsync<BatchDeliveryException>(async () => await buffer.FlushAsync());
                metrics.Observe();
            }

            RecordedMeasurement depth = metrics.Named("rawdata.spool.depth").Single(m => m.Tags["rawdata.spool.directory"] == Path.GetFullPath(directory));
            Assert.That((depth.Value, depth.Unit), Is.EqualTo((1.0, "{batch}")));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Test]
    public async Task Upload_IsTracedAsOneActivityWithBucketKeyAndEventCount()
    {
        using var activities = new ActivityRecorder();
        var s3 = new Mock<IAmazonS3>();
        s3.Setup(c => c.PutObjectAsync(It.IsAny<PutObjectRequest>(), It.IsAny<CancellationToken>())).ReturnsAsync(S3Answers.Written());
        using SealedBatch batch = await TestBatches.CreateAsync("src", new DateOnly(2023, 11, 24), "{}", "{}");

        UploadedObject uploaded = await MockedS3Destination.Create(s3.Object).UploadAsync(batch);

        Activity upload = activities.Single("rawdata.upload");
        Assert.That(upload.Kind, Is.EqualTo(ActivityKind.Client));
        Assert.That(upload.GetTagItem("aws.s3.bucket"), Is.EqualTo("bucket"));
        Assert.That(upload.GetTagItem("aws.s3.key"), Is.EqualTo(uploaded.Key));
        Assert.That(upload.GetTagItem("rawdata.events"), Is.EqualTo(2L));
    }

    [Test]
    public async Task BatchBuffer_TagsEachSealWithItsCause_SizeAndSchedule()
    {
        using var metrics = new MetricsRecorder();
        var time = new FakeTimeProvider(Start);
        var consumer = new RecordingConsumer();
        byte[] big = Encoding.UTF8.GetBytes("{\"receivedAt\":\"2023-11-24T10:00:00Z\",\"p\":\"" + new string('x', 600) + "\"}");
        await using (var buffer = new BatchBuffer(new BatchBufferOptions { MaxBatchBytes = 1024, MaxEventBytes = 1024 }, consumer, time))
        {
            await buffer.AppendAsync("src", big);
            await buffer.AppendAsync("src", big); // no room: the first batch is sealed by size
            time.Advance(TimeSpan.FromMinutes(40)); // 10:40, the schedule seals the second
            await consumer.WaitForBatchesAsync(2);
        }

        Assert.That(
            metrics.Named("rawdata.batches.sealed").Select(m => m.Tags["cause"]),
            Is.EquivalentTo(new[] { "size", "schedule" }));
    }

    [Test]
    public async Task Upload_WhenRefused_EndsItsActivityWithAnErrorStatusAndRecordsDurationAsFailed()
    {
        using var activities = new ActivityRecorder();
        using var metrics = new MetricsRecorder();
        var s3 = new Mock<IAmazonS3>();
        s3.Setup(c => c.PutObjectAsync(It.IsAny<PutObjectRequest>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new AmazonS3Exception("Access Denied", Amazon.Runtime.ErrorType.Sender, "AccessDenied", "r", HttpStatusCode.Forbidden));
        S3RoleDestination destination = MockedS3Destination.Create(s3.Object);
        using SealedBatch batch = await TestBatches.CreateAsync("src", new DateOnly(2023, 11, 24), "{}");

        Assert.ThrowsAsync<DestinationException>(async () => await destination.UploadAsync(batch));

        Activity upload = activities.Single("rawdata.upload");
        Assert.That(upload.Status, Is.EqualTo(ActivityStatusCode.Error));
        Assert.That(metrics.Named("rawdata.upload.duration").Single().Tags["outcome"], Is.EqualTo("failed"));
        Assert.That(metrics.Named("rawdata.upload.failures").Single().Tags["error.code"], Is.EqualTo("AccessDenied"));
    }

    [Test]
    public async Task Upload_WhenAnEarlierAttemptLanded_CountsAFallbackNotAFailure()
    {
        using var metrics = new MetricsRecorder();
        var s3 = new Mock<IAmazonS3>();
        s3.Setup(c => c.PutObjectAsync(It.IsAny<PutObjectRequest>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new AmazonS3Exception("At least one of the pre-conditions you specified did not hold", Amazon.Runtime.ErrorType.Sender, "PreconditionFailed", "r", HttpStatusCode.PreconditionFailed));
        using SealedBatch batch = await TestBatches.CreateAsync("src", new DateOnly(2023, 11, 24), "{}");

        await MockedS3Destination.Create(s3.Object).UploadAsync(batch);

        Assert.That(metrics.Named("rawdata.upload.fallbacks").Single().Tags["fallback"], Is.EqualTo("already-present"));
        Assert.That(metrics.Named("rawdata.upload.failures"), Is.Empty, "a 412 to If-None-Match means delivered, not failed");
        Assert.That(metrics.Named("rawdata.upload.duration").Single().Tags["outcome"], Is.EqualTo("already-present"));
    }
}
