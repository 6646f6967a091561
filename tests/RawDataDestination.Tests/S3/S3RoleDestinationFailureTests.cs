using Moq;

namespace RawDataDestination.Tests.S3;

/// <summary>Failure paths a real S3 cannot produce on demand, through a mocked S3 client.</summary>
public class S3RoleDestinationFailureTests
{
    private static S3RoleDestinationOptions Options() => new()
    {
        Region = "us-west-2",
        Bucket = "customer-bucket/team/raw",
        RoleArn = "arn:aws:iam::123456789012:role/SegmentS3Upload",
        ExternalId = "ext-id-123",
    };

    private static Task<SealedBatch> OneBatchAsync() =>
        TestBatches.CreateAsync("src-1", new DateOnly(2023, 11, 24), "{\"type\":\"track\"}");

    /// <summary>What one upload throws when S3 answers every PUT with <paramref name="putError"/>.</summary>
    private static async Task<DestinationException> RefusedUploadAsync(Exception putError, Action<S3RoleDestinationOptions>? configure = null)
    {
        var (destination, _) = Create(putError, configure);
        using SealedBatch batch = await OneBatchAsync();

        return Assert.ThrowsAsync<DestinationException>(async () => await destination.UploadAsync(batch))!;
    }

    private static (S3RoleDestination Destination, Mock<IAmazonS3> S3) Create(Exception? putError = null, Action<S3RoleDestinationOptions>? configure = null, TimeProvider? time = null)
    {
        var options = Options();
        options.RetryTimeLimit = TimeSpan.Zero;
        configure?.Invoke(options);
        var s3 = new Mock<IAmazonS3>(MockBehavior.Strict);
        var put = s3.Setup(c => c.PutObjectAsync(It.IsAny<PutObjectRequest>(), It.IsAny<CancellationToken>()));
        if (putError is null)
        {
            put.ReturnsAsync(S3Answers.Written());
        }
        else
        {
            put.ThrowsAsync(putError);
        }

        var credentials = AssumeRoleCredentials.Create(Mock.Of<IAmazonSecurityTokenService>(), new RoleSession(Options().RoleArn, "ext-id-123", "s", TimeSpan.FromHours(1)), TimeSpan.FromMinutes(5));
        return (new S3RoleDestination(options, s3.Object, credentials, timeProvider: time), s3);
    }

    /// <summary>Moves fake time on until the task ends: the backoff waits are timers on the fake clock (bounded).</summary>
    private static async Task AdvanceUntilDoneAsync(FakeTimeProvider time, Task task)
    {
        for (int i = 0; i < 1_000_000 && !task.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Yield();
        }

        Assert.That(task.IsCompleted, Is.True, "the upload finished");
    }

    private static AmazonS3Exception S3Error(string code, HttpStatusCode status, string message = "denied") =>
        new(message, Amazon.Runtime.ErrorType.Sender, code, "request-id", status);

    [Test]
    public async Task UploadAsync_SendsOnePutObjectWithKeyAclAndContentType()
    {
        var (destination, s3) = Create();
        using SealedBatch batch = await OneBatchAsync();

        UploadedObject uploaded = await destination.UploadAsync(batch);

        Assert.That(uploaded.Key, Does.Match(@"^team/raw/segment-logs/src-1/1700784000000/\d{13}\.[0-9a-f-]{36}\.gz$"));
        s3.Verify(c => c.PutObjectAsync(It.Is<PutObjectRequest>(r =>
            r.BucketName == "customer-bucket" && r.Key == uploaded.Key && r.ContentType == "application/gzip"
            && r.CannedACL == S3CannedACL.BucketOwnerFullControl && r.Headers.ContentEncoding == null), It.IsAny<CancellationToken>()), Times.Once);
        s3.VerifyNoOtherCalls();
    }

    [TestCase("AccessDenied", HttpStatusCode.Forbidden, "Access Denied", "arn:aws:s3:::customer-bucket/team/raw/segment-logs/*", "kms:GenerateDataKey on the key")]
    [TestCase("AccessDenied", HttpStatusCode.Forbidden, "User is not authorized to perform: kms:GenerateDataKey on resource: arn:aws:kms:us-west-2:123456789012:key/k", "kms:GenerateDataKey")]
    [TestCase("NoSuchBucket", HttpStatusCode.NotFound, "denied", "Bucket 'customer-bucket' does not exist")]
    [TestCase("PermanentRedirect", HttpStatusCode.MovedPermanently, "denied", "not in region 'us-west-2'")]
    [TestCase("AuthorizationHeaderMalformed", HttpStatusCode.BadRequest, "The authorization header is malformed; the region 'us-west-2' is wrong; expecting 'eu-central-1'", "the bucket is in 'eu-central-1'")]
    [TestCase("InvalidAccessKeyId", HttpStatusCode.Forbidden, "denied", "did not accept the assumed role's credentials")]
    public async Task UploadAsync_WhenS3RefusesPermanently_ExplainsTheFix(string code, HttpStatusCode status, string message, params string[] fixes)
    {
        DestinationException error = await RefusedUploadAsync(S3Error(code, status, message));

        Assert.That(error.ErrorCode, Is.EqualTo(code));
        Assert.That(error.IsPermanent, Is.True);
        foreach (string fix in fixes)
        {
            Assert.That(error.Message, Does.Contain(fix));
        }
    }

    [Test]
    public async Task UploadAsync_WhenTheBucketRefusesAcls_RetriesOnceWithoutTheAclAndWarnsOnce()
    {
        var s3 = new Mock<IAmazonS3>(MockBehavior.Strict);
        var sent = new List<S3CannedACL?>();
        s3.Setup(c => c.PutObjectAsync(It.IsAny<PutObjectRequest>(), It.IsAny<CancellationToken>()))
            .Returns((PutObjectRequest request, CancellationToken _) =>
            {
                sent.Add(request.CannedACL);
                return request.CannedACL is null
                    ? Task.FromResult(S3Answers.Written())
                    : Task.FromException<PutObjectResponse>(S3Error("AccessControlListNotSupported", HttpStatusCode.BadRequest, "The bucket does not allow ACLs"));
            });
        var logger = new CapturingLogger();
        var credentials = AssumeRoleCredentials.Create(Mock.Of<IAmazonSecurityTokenService>(), new RoleSession(Options().RoleArn, "ext-id-123", "s", TimeSpan.FromHours(1)), TimeSpan.FromMinutes(5));
        var destination = new S3RoleDestination(Options(), s3.Object, credentials, logger);
        using SealedBatch first = await OneBatchAsync();
        using SealedBatch second = await OneBatchAsync();

        await destination.UploadAsync(first);
        await destination.UploadAsync(second);

        Assert.That(sent, Is.EqualTo(new S3CannedACL?[] { S3CannedACL.BucketOwnerFullControl, null, null }), "one refused attempt, then no ACL for good");
        Assert.That(logger.Lines.Count(l => l.Contains("AccessControlListNotSupported", StringComparison.Ordinal)), Is.EqualTo(1), "warned once");
        Assert.That(logger.Lines.Single(l => l.Contains("AccessControlListNotSupported", StringComparison.Ordinal)), Does.Contain("without the bucket-owner-full-control ACL").And.Contain("To stop this warning, set Acl to ObjectAcl.None;"));
    }

    [Test]
    public async Task UploadAsync_WhenConcurrentUploadsAreAllRefusedTheAcl_WarnsOnce()
    {
        var s3 = new Mock<IAmazonS3>(MockBehavior.Strict);
        var bothSentWithAcl = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int withAcl = 0;
        int withoutAcl = 0;
        s3.Setup(c => c.PutObjectAsync(It.IsAny<PutObjectRequest>(), It.IsAny<CancellationToken>()))
            .Returns(async (PutObjectRequest request, CancellationToken cancellationToken) =>
            {
                if (request.CannedACL is null)
                {
                    Interlocked.Increment(ref withoutAcl);
                    return S3Answers.Written();
                }

                // Both uploads are in flight with the ACL before the bucket refuses either.
                if (Interlocked.Increment(ref withAcl) == 2)
                {
                    bothSentWithAcl.SetResult();
                }

                await bothSentWithAcl.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
                throw S3Error("AccessControlListNotSupported", HttpStatusCode.BadRequest, "The bucket does not allow ACLs");
            });
        var logger = new CapturingLogger();
        var credentials = AssumeRoleCredentials.Create(Mock.Of<IAmazonSecurityTokenService>(), new RoleSession(Options().RoleArn, "ext-id-123", "s", TimeSpan.FromHours(1)), TimeSpan.FromMinutes(5));
        var destination = new S3RoleDestination(Options(), s3.Object, credentials, logger);
        using SealedBatch first = await OneBatchAsync();
        using SealedBatch second = await OneBatchAsync();

        await Task.WhenAll(destination.UploadAsync(first), destination.UploadAsync(second));

        Assert.That((withAcl, withoutAcl), Is.EqualTo((2, 2)), "each refused once with the ACL, then landed without it");
        Assert.That(logger.Lines.Count(l => l.Contains("AccessControlListNotSupported", StringComparison.Ordinal)), Is.EqualTo(1), "warned once");
    }

    [Test]
    public async Task UploadAsync_WhenTheBucketRefusesAclsAndNoneIsSent_ExplainsTheFix()
    {
        DestinationException error = await RefusedUploadAsync(S3Error("AccessControlListNotSupported", HttpStatusCode.BadRequest), o => o.Acl = ObjectAcl.None);

        Assert.That(error.Message, Does.Contain("ObjectAcl.None"));
    }

    [Test]
    public async Task UploadAsync_WhenThrottledThenServerErrorThenOk_RetriesTheSameKeyAndBytes()
    {
        var time = new FakeTimeProvider(TestBatches.SealedAt);
        var (destination, s3) = Create(configure: o => o.RetryTimeLimit = TimeSpan.FromDays(1), time: time); // far beyond what the fake clock can race to while the retries run on a busy machine
        var keys = new List<string>();
        var bodies = new List<byte[]>();
        s3.Setup(c => c.PutObjectAsync(It.IsAny<PutObjectRequest>(), It.IsAny<CancellationToken>()))
            .Callback<PutObjectRequest, CancellationToken>((r, _) =>
            {
                keys.Add(r.Key);
                var body = new MemoryStream();
                r.InputStream.CopyTo(body);
                bodies.Add(body.ToArray());
            })
            .Returns(new Queue<Func<Task<PutObjectResponse>>>(
            [
                () => throw S3Error("SlowDown", HttpStatusCode.ServiceUnavailable, "Please reduce your request rate."),
                () => throw S3Error("InternalError", HttpStatusCode.InternalServerError, "We encountered an internal error."),
                () => throw new HttpRequestException("connection reset"),
                () => Task.FromResult(S3Answers.Written()),
            ]).Dequeue_());
        using SealedBatch batch = await OneBatchAsync();

        Task<UploadedObject> upload = destination.UploadAsync(batch);
        await AdvanceUntilDoneAsync(time, upload);

        Assert.That(keys, Has.Count.EqualTo(4));
        Assert.That(keys.Distinct().Single(), Is.EqualTo((await upload).Key));
        Assert.That(bodies.Select(Convert.ToBase64String).Distinct().Count(), Is.EqualTo(1), "every attempt sends the same bytes");
        Assert.That(bodies[0], Is.EqualTo(batch.ReadAllBytes()));
    }

    [Test]
    public async Task UploadAsync_WhenAnEarlierAttemptLanded_CountsPreconditionFailedAsDelivered()
    {
        // Backoff of at most one tick on the real clock: the retry runs at once, and the test owns no timing.
        var (destination, s3) = Create(configure: o => (o.ConditionalWrites, o.RetryBaseDelay, o.RetryMaxDelay, o.RetryTimeLimit) = (ConditionalWrites.Enabled, TimeSpan.FromTicks(1), TimeSpan.FromTicks(1), TimeSpan.FromMinutes(1)));
        var attempts = new List<PutObjectRequest>();
        s3.Setup(c => c.PutObjectAsync(It.IsAny<PutObjectRequest>(), It.IsAny<CancellationToken>()))
            .Callback<PutObjectRequest, CancellationToken>((r, _) => attempts.Add(r))
            .Returns(new Queue<Func<Task<PutObjectResponse>>>(
            [
                () => throw new HttpRequestException("The response ended prematurely."), // the PUT landed; its answer was lost
                () => throw S3Error("PreconditionFailed", HttpStatusCode.PreconditionFailed, "At least one of the pre-conditions you specified did not hold"),
            ]).Dequeue_());
        using SealedBatch batch = await OneBatchAsync();

        UploadedObject uploaded = await destination.UploadAsync(batch);

        Assert.That(attempts, Has.Count.EqualTo(2), "the lost answer was retried, and the retry's 412 ended the upload");
        Assert.That(attempts.Select(r => (r.Key, r.IfNoneMatch)), Is.All.EqualTo((uploaded.Key, "*")));
    }

    [Test]
    public async Task UploadAsync_WhenStoreLacksConditionalWrites_FallsBackToPlainPut()
    {
        var (destination, s3) = Create(configure: o => o.ConditionalWrites = ConditionalWrites.Enabled);
        s3.Setup(c => c.PutObjectAsync(It.Is<PutObjectRequest>(r => r.IfNoneMatch == "*"), It.IsAny<CancellationToken>()))
            .ThrowsAsync(S3Error("NotImplemented", HttpStatusCode.NotImplemented, "A header you provided implies functionality that is not implemented"));
        s3.Setup(c => c.PutObjectAsync(It.Is<PutObjectRequest>(r => r.IfNoneMatch == null), It.IsAny<CancellationToken>()))
            .ReturnsAsync(S3Answers.Written());
        using SealedBatch first = await OneBatchAsync();
        using SealedBatch second = await OneBatchAsync();

        await destination.UploadAsync(first);
        await destination.UploadAsync(second);

        s3.Verify(c => c.PutObjectAsync(It.Is<PutObjectRequest>(r => r.IfNoneMatch == "*"), It.IsAny<CancellationToken>()), Times.Once, "asked once, then remembered");
        s3.Verify(c => c.PutObjectAsync(It.Is<PutObjectRequest>(r => r.IfNoneMatch == null), It.IsAny<CancellationToken>()), Times.Exactly(2));
    }

    [Test]
    public async Task UploadAsync_AgainstAnOverriddenEndpoint_SendsNoConditionByDefault()
    {
        var (destination, s3) = Create(configure: o => o.ServiceUrl = new Uri("http://127.0.0.1:4568"));
        using SealedBatch batch = await OneBatchAsync();

        await destination.UploadAsync(batch);

        s3.Verify(c => c.PutObjectAsync(It.Is<PutObjectRequest>(r => r.IfNoneMatch == null && !r.UseChunkEncoding), It.IsAny<CancellationToken>()), Times.Once);
    }

    [Test]
    public async Task UploadAsync_WhenPermanentlyRefused_DoesNotRetry()
    {
        var time = new FakeTimeProvider(TestBatches.SealedAt);
        var (destination, s3) = Create(S3Error("AccessDenied", HttpStatusCode.Forbidden), o => o.RetryTimeLimit = TimeSpan.FromHours(1), time);
        using SealedBatch batch = await OneBatchAsync();

        Assert.ThrowsAsync<DestinationException>(async () => await destination.UploadAsync(batch));

        s3.Verify(c => c.PutObjectAsync(It.IsAny<PutObjectRequest>(), It.IsAny<CancellationToken>()), Times.Once);
    }

    [Test]
    public async Task UploadAsync_WhenThrottledPastTheRetryTimeLimit_ThrowsTheLastErrorExplainedAsTransient()
    {
        DestinationException error = await RefusedUploadAsync(S3Error("SlowDown", HttpStatusCode.ServiceUnavailable, "Please reduce your request rate."));

        Assert.That(error.IsPermanent, Is.False, "throttling is worth another try later");
        Assert.That(error.ErrorCode, Is.EqualTo("SlowDown"));
        Assert.That(error.InnerException, Is.InstanceOf<AmazonS3Exception>(), "S3's own answer stays inside");
    }
}

internal static class QueueExtensions
{
    /// <summary>A Moq return function that plays the queued responses in order.</summary>
    public static Func<Task<PutObjectResponse>> Dequeue_(this Queue<Func<Task<PutObjectResponse>>> queue) => () => queue.Dequeue()();
}
